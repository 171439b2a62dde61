import Foundation
import KctlAgent
import KctlControllerRuntime
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import Testing

/// A fresh directory with one test's database, removed afterwards.
final class TempDir: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-agent-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var dbPath: String { (path as NSString).appendingPathComponent("state.db") }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

let testLogger: Logger = {
    var logger = Logger(label: "kctl.agent.test")
    logger.logLevel = ProcessInfo.processInfo.environment["KCTL_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}()

/// Opens a store in a fresh temporary directory, runs `body`, closes the store.
func withStore<R>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
    let dir = try TempDir()
    let store = try SQLiteStore(path: dir.dbPath, logger: testLogger)
    defer { store.close() }
    return try await body(store)
}

/// Runs `service` in a child task while `body` runs, then cancels it and waits for it to end.
func whileRunning<R: Sendable>(
    _ services: [@Sendable () async throws -> Void], _ body: () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for service in services { group.addTask { try await service() } }
        do {
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Polls `condition` (every 5 ms, real time) until it holds; fails after `seconds` (20 by default:
/// starting shell containers took over 10 s once when the suite ran beside a build on 2 cores).
func eventually(
    _ what: String, seconds: Double = 20, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    if try await pollUntil(within: .seconds(seconds), every: .milliseconds(5), { (try? await condition()) == true }) { return }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw TestTimeout(description: what)
}

/// The object, or nil when it does not exist.
func find(_ store: any Store, _ type: ResourceType, _ namespace: String?, _ name: String) async throws -> KubeObject? {
    do {
        return try await store.get(type, namespace: namespace, name: name)
    } catch let error as StatusError where error.reason == .notFound {
        return nil
    }
}

func lease(_ store: any Store, _ node: String) async throws -> KubeObject? {
    try await find(store, .lease, "kube-node-lease", node)
}

func readyCondition(_ node: KubeObject?) -> JSONValue? {
    node?.status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
}

func readyStatus(_ node: KubeObject?) -> String? {
    readyCondition(node)?["status"]?.stringValue
}

func taints(_ node: KubeObject?) -> [String] {
    (node?.spec?["taints"]?.arrayValue ?? []).compactMap { taint in
        guard let key = taint["key"]?.stringValue, let effect = taint["effect"]?.stringValue else { return nil }
        return "\(key):\(effect)"
    }
}

func pod(_ name: String, node: String?, namespace: String = "default", tolerations: JSONValue? = nil) -> KubeObject {
    var spec: [String: JSONValue] = ["containers": [["name": "app", "image": "app"]]]
    if let node { spec["nodeName"] = .string(node) }
    if let tolerations { spec["tolerations"] = tolerations }
    return KubeObject([
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": .string(name), "namespace": .string(namespace)],
        "spec": .object(spec), "status": ["phase": "Pending"],
    ])
}

/// Short intervals for tests that run on the manual clock.
let testAgentOptions = AgentOptions(heartbeatInterval: .seconds(10), statusReportInterval: .seconds(60))

/// Runs one simulated node's agent with a real process runtime (`options` gets the pods
/// directory) around `body`; afterwards no process of the runtime is left.
func withProcessRuntime(
    _ options: (_ podsDirectory: String) -> RuntimeOptions,
    _ body: @Sendable (SQLiteStore, PodRuntime, NodeAgents, TempDir) async throws -> Void
) async throws {
    let dir = try TempDir()
    let store = try SQLiteStore(path: dir.dbPath, logger: testLogger)
    defer { store.close() }
    let runtime = PodRuntime(store: store, options: options(dir.path + "/pods"), logger: testLogger)
    try await SimulatedNodes.ensure(store: store, count: 1, logger: testLogger)
    let agents = NodeAgents(
        store: store, logger: testLogger, options: AgentOptions(heartbeatInterval: .seconds(1)),
        runner: runtime.runner(node:))
    do {
        try await whileRunning([{ try await agents.run() }, { await runtime.runHousekeeping() }]) {
            try await body(store, runtime, agents, dir)
        }
    } catch {
        await runtime.shutdown()
        throw error
    }
    #expect(runtime.runningProcesses == 0, "the agents stopped every pod on shutdown")
    await runtime.shutdown()
}
