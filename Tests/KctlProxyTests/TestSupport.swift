import Foundation
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import KctlProxy

/// A fresh directory with one test's database, removed afterwards.
final class TempDir: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-proxy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var dbPath: String { (path as NSString).appendingPathComponent("state.db") }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

struct TestTimeout: Error, CustomStringConvertible {
    var description: String
}

let testLogger: Logger = {
    var logger = Logger(label: "kctl.proxy.test")
    logger.logLevel =
        ProcessInfo.processInfo.environment["KCTL_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}()

/// Opens a store in a fresh temporary directory, runs `body`, closes the store.
func withStore<R>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
    let dir = try TempDir()
    let store = try SQLiteStore(path: dir.dbPath, logger: testLogger)
    defer { store.close() }
    return try await body(store)
}

/// Runs `services` in child tasks while `body` runs, then cancels them and waits for them to end.
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

/// Polls `condition` (every 5 ms, real time) until it holds; fails after `seconds`.
func eventually(
    _ what: String, seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    if try await pollUntil(within: .seconds(seconds), every: .milliseconds(5), { (try? await condition()) == true }) { return }
    Issue.record("timed out waiting for: \(what)", sourceLocation: sourceLocation)
    throw TestTimeout(description: what)
}

/// A loopback block of its own for each test (127.`first`.x.0/24), so that tests running in
/// parallel never share an address.
func loopbackBlock(first: Int) -> String {
    "127.\(first).\(Int.random(in: 1...254))"
}

/// A port free on `host` right now (bound and released).
func freePort(on host: String) async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: host, port: 0).get()
    let port = channel.localAddress?.port ?? 0
    try await channel.close()
    return port
}

// MARK: Objects

func service(
    _ name: String, clusterIP: String? = nil, ports: [(name: String?, port: Int)], type: String? = nil,
    nodePorts: [Int?] = []
) -> KubeObject {
    var spec: [String: JSONValue] = [
        "selector": ["app": .string(name)],
        "ports": .array(
            ports.enumerated().map { index, port in
                var entry: [String: JSONValue] = ["port": .int(Int64(port.port)), "protocol": "TCP"]
                if let name = port.name { entry["name"] = .string(name) }
                if index < nodePorts.count, let nodePort = nodePorts[index] {
                    entry["nodePort"] = .int(Int64(nodePort))
                }
                return .object(entry)
            }),
    ]
    if let clusterIP { spec["clusterIP"] = .string(clusterIP) }
    if let type { spec["type"] = .string(type) }
    return KubeObject([
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": .string(name), "namespace": "default"],
        "spec": .object(spec),
    ])
}

/// Endpoints with one subset per (ready addresses, not-ready addresses, port), all with port `portName`.
func endpoints(_ name: String, portName: String? = nil, _ subsets: [(ready: [String], notReady: [String], port: Int)])
    -> KubeObject
{
    KubeObject([
        "apiVersion": "v1", "kind": "Endpoints",
        "metadata": ["name": .string(name), "namespace": "default"],
        "subsets": .array(
            subsets.map { subset in
                var port: [String: JSONValue] = ["port": .int(Int64(subset.port)), "protocol": "TCP"]
                if let portName { port["name"] = .string(portName) }
                var entry: [String: JSONValue] = ["ports": [.object(port)]]
                if !subset.ready.isEmpty { entry["addresses"] = .array(subset.ready.map { ["ip": .string($0)] }) }
                if !subset.notReady.isEmpty {
                    entry["notReadyAddresses"] = .array(subset.notReady.map { ["ip": .string($0)] })
                }
                return .object(entry)
            }),
    ])
}

/// Creates or replaces an object.
func put(_ store: any Store, _ object: KubeObject, as type: ResourceType) async throws {
    do {
        _ = try await store.create(object, as: type)
    } catch let error as StatusError where error.reason == .alreadyExists {
        _ = try await store.update(type, namespace: object.namespace, name: object.name, subresource: .main) {
            var replaced = object
            replaced.resourceVersion = $0.resourceVersion
            $0 = replaced
        }
    }
}
