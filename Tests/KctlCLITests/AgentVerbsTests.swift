import Foundation
import KctlAPIServer
import KctlClient
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import Testing

@testable import KctlCLI

/// kctl logs, top, cordon, uncordon, drain and node stop|start against a real API server on a
/// socket, with fake node agents behind it.
@Suite struct AgentVerbsTests {
    // MARK: logs

    @Test func logsPrintsTheContainersOutput() async throws {
        let logs = FakeLogs()
        try await VerbServer.with(logs: logs) { server in
            try await server.pod("web", node: "node-1", containers: ["main"])
            try await server.pod("two", node: "node-1", containers: ["a", "b"])
            logs.set("web", "main", "one\ntwo\n")
            logs.set("two", "a", "from a\n")
            logs.set("two", "b", "from b\n")

            let plain = await server.kctl(["logs", "web"])
            #expect(plain.exitCode == 0 && plain.stdout == "one\ntwo\n" && plain.stderr.isEmpty, "\(plain)")
            #expect(await server.kctl(["logs", "pod/web", "--tail", "1"]).stdout == "two\n")
            #expect(await server.kctl(["logs", "web", "--limit-bytes", "3"]).stdout == "one")

            let defaulted = await server.kctl(["logs", "two"])
            #expect(defaulted.stdout == "from a\n")
            #expect(defaulted.stderr == "Defaulted container \"a\" out of: a, b\n")
            #expect(await server.kctl(["logs", "two", "-c", "b"]).stdout == "from b\n")
            #expect(await server.kctl(["logs", "two", "b"]).stdout == "from b\n")

            let unknown = await server.kctl(["logs", "two", "-c", "x"])
            #expect(unknown.exitCode == 1)
            #expect(unknown.stderr == "error: container x is not valid for pod two\n")
            let previous = await server.kctl(["logs", "web", "--previous"])
            #expect(previous.stderr == "Error from server (BadRequest): previous terminated container \"main\" in pod \"web\" not found\n")
            let missing = await server.kctl(["logs", "nope"])
            #expect(missing.exitCode == 1 && missing.stderr == "Error from server (NotFound): pods \"nope\" not found\n")
            let service = await server.kctl(["logs", "svc/web"])
            #expect(service.exitCode == 1 && service.stderr.hasPrefix("error: cannot get the logs from services"))
        }
    }

    @Test func logsOfADeploymentReadItsBestPod() async throws {
        let logs = FakeLogs()
        try await VerbServer.with(logs: logs) { server in
            _ = try await server.store.create(
                KubeObject([
                    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default"],
                    "spec": ["selector": ["matchLabels": ["app": "web"]]],
                ]), as: .deployment)
            try await server.pod("web-pending", node: nil, containers: ["main"], labels: ["app": "web"])
            try await server.pod("web-running", node: "node-1", containers: ["main"], labels: ["app": "web"], phase: "Running")
            try await server.pod("other", node: "node-1", containers: ["main"], phase: "Running")
            logs.set("web-running", "main", "serving\n")
            let result = await server.kctl(["logs", "deploy/web"])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout == "serving\n")
            #expect(result.stderr == "Found 2 pods, using pod/web-running\n")
            let none = await server.kctl(["logs", "rs/missing"])
            #expect(none.stderr == "Error from server (NotFound): replicasets.apps \"missing\" not found\n")
        }
    }

    @Test func logsFollowStreamsUntilTheContainerEnds() async throws {
        let logs = FakeLogs()
        try await VerbServer.with(logs: logs) { server in
            try await server.pod("web", node: "node-1", containers: ["main"])
            logs.set("web", "main", "start\n")
            let following = Task { await server.kctl(["logs", "-f", "web"]) }
            try await eventually("kctl follows") { logs.followers == 1 }
            logs.append("caf")
            logs.append([0xC3])  // "é" cut in two chunks
            logs.append([0xA9, 0x0A])
            logs.endAll()
            let result = await following.value
            #expect(result.exitCode == 0)
            #expect(result.stdout == "start\ncafé\n")
        }
    }

    @Test func rawOutputKeepsUTF8SequencesCutBetweenChunks() {
        #expect(RawOutput.completePrefix(Array("abc".utf8)) == 3)
        #expect(RawOutput.completePrefix([0x61, 0xC3]) == 1)
        #expect(RawOutput.completePrefix([0x61, 0xC3, 0xA9]) == 3)
        #expect(RawOutput.completePrefix([0xE2, 0x82]) == 0)
        #expect(RawOutput.completePrefix([0xE2, 0x82, 0xAC]) == 3)
        #expect(RawOutput.completePrefix([0xF0, 0x9F, 0x98]) == 0)
        #expect(RawOutput.completePrefix([0xFF]) == 1)  // not UTF-8: passed on as is
    }

    // MARK: top

    @Test func topPodsPrintsUsageAsKubectlDoes() async throws {
        let metrics = FakeUsage()
        try await VerbServer.with(metrics: metrics) { server in
            try await server.pod("web-1", node: "node-1", containers: ["main", "sidecar"], labels: ["app": "web"])
            try await server.pod("db-1", node: "node-1", containers: ["main"], labels: ["app": "db"])
            try await server.pod("quiet", node: "node-1", containers: ["main"])
            try await server.namespace("shop")
            try await server.namespace("empty")
            try await server.pod("cart-1", namespace: "shop", node: "node-2", containers: ["main"], labels: ["app": "web"])
            metrics.podSamples.withLock {
                $0 = [
                    PodUsage(namespace: "default", name: "web-1", timestamp: Date(), window: .seconds(30), containers: [
                        ContainerUsage(name: "main", cpuCores: 0.012, memoryBytes: 12345 * 1024),
                        ContainerUsage(name: "sidecar", cpuCores: 0.001234567, memoryBytes: 1000),
                    ]),
                    PodUsage(namespace: "default", name: "db-1", timestamp: Date(), window: .seconds(30), containers: [
                        ContainerUsage(name: "main", cpuCores: 1, memoryBytes: 256 << 20)
                    ]),
                    PodUsage(namespace: "shop", name: "cart-1", timestamp: Date(), window: .seconds(30), containers: [
                        ContainerUsage(name: "main", cpuCores: 0.0005, memoryBytes: 40 << 20)
                    ]),
                ]
            }
            let pods = await server.kctl(["top", "pods"])
            #expect(pods.exitCode == 0, "\(pods)")
            #expect(pods.stdout == """
                NAME    CPU(cores)   MEMORY(bytes)
                db-1    1000m        256Mi
                web-1   14m          12Mi

                """)
            let all = await server.kctl(["top", "pod", "-A", "--sort-by", "cpu"])
            #expect(all.stdout == """
                NAMESPACE   NAME     CPU(cores)   MEMORY(bytes)
                default     db-1     1000m        256Mi
                default     web-1    14m          12Mi
                shop        cart-1   1m           40Mi

                """)
            let containers = await server.kctl(["top", "pods", "-l", "app=web", "--containers"])
            #expect(containers.stdout == """
                POD     NAME      CPU(cores)   MEMORY(bytes)
                web-1   main      12m          12Mi
                web-1   sidecar   2m           0Mi

                """)
            #expect(await server.kctl(["top", "pods", "db-1", "--no-headers"]).stdout == "db-1   1000m   256Mi\n")
            let quiet = await server.kctl(["top", "pod", "quiet"])
            #expect(quiet.exitCode == 1 && quiet.stderr == "Error from server (NotFound): podmetrics.metrics.k8s.io \"default/quiet\" not found\n")
            let empty = await server.kctl(["top", "pods", "-n", "empty"])
            #expect(empty.exitCode == 0 && empty.stdout.isEmpty && empty.stderr == "No resources found in empty namespace.\n")
            let noSample = await server.kctl(["top", "pods", "-l", "app!=web,app!=db"])
            #expect(noSample.exitCode == 1 && noSample.stderr == "error: metrics not available yet\n")
        }
    }

    @Test func topNodesShowsShareOfAllocatable() async throws {
        let metrics = FakeUsage()
        try await VerbServer.with(metrics: metrics) { server in
            try await server.node("node-1", labels: ["zone": "a"], allocatable: ["cpu": "2", "memory": "4Gi"])
            try await server.node("node-2", labels: ["zone": "b"], allocatable: ["cpu": "4", "memory": "8Gi"])
            try await server.node("node-3", labels: ["zone": "b"], allocatable: ["cpu": "4", "memory": "8Gi"])
            metrics.nodeSamples.withLock {
                $0 = [
                    NodeUsage(name: "node-1", timestamp: Date(), window: .seconds(30), cpuCores: 0.5, memoryBytes: 1 << 30),
                    NodeUsage(name: "node-2", timestamp: Date(), window: .seconds(30), cpuCores: 3.9999, memoryBytes: 100 << 20),
                ]
            }
            let nodes = await server.kctl(["top", "nodes"])
            #expect(nodes.exitCode == 0, "\(nodes)")
            #expect(nodes.stdout == """
                NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)
                node-1   500m         25%         1024Mi          25%
                node-2   4000m        100%        100Mi           1%
                node-3   <unknown>    <unknown>   <unknown>       <unknown>

                """)
            let zoneB = await server.kctl(["top", "node", "-l", "zone=b", "--no-headers", "--sort-by", "memory"])
            #expect(zoneB.stdout.hasPrefix("node-2   4000m"))
            #expect(await server.kctl(["top", "node", "node-1"]).stdout.contains("node-1   500m"))
            let quiet = await server.kctl(["top", "node", "node-3"])
            #expect(quiet.stderr == "Error from server (NotFound): nodemetrics.metrics.k8s.io \"node-3\" not found\n")
        }
    }

    @Test func topWithoutMetricsSaysSo() async throws {
        try await VerbServer.with { server in
            let result = await server.kctl(["top", "pods"])
            #expect(result.exitCode == 1)
            #expect(result.stderr.hasPrefix("Error from server (ServiceUnavailable): "))
        }
    }

    // MARK: cordon, uncordon, drain

    @Test func cordonAndUncordon() async throws {
        try await VerbServer.with { server in
            try await server.node("node-1")
            try await server.node("node-2", labels: ["zone": "b"])
            #expect(await server.kctl(["cordon", "node-1"]).stdout == "node/node-1 cordoned\n")
            #expect(try await server.unschedulable("node-1") == true)
            #expect(await server.kctl(["cordon", "node-1"]).stdout == "node/node-1 already cordoned\n")
            #expect(await server.kctl(["cordon", "-l", "zone=b"]).stdout == "node/node-2 cordoned\n")
            #expect(await server.kctl(["uncordon", "node-1"]).stdout == "node/node-1 uncordoned\n")
            #expect(try await server.unschedulable("node-1") == nil)
            #expect(await server.kctl(["uncordon", "node-1"]).stdout == "node/node-1 already uncordoned\n")
            let missing = await server.kctl(["cordon", "node-9"])
            #expect(missing.exitCode == 1 && missing.stderr == "Error from server (NotFound): nodes \"node-9\" not found\n")
        }
    }

    @Test func drainRefusesPodsNothingWouldReplace() async throws {
        try await VerbServer.with { server in
            try await server.node("node-1")
            try await server.pod("web-1", node: "node-1", containers: ["main"], owner: "ReplicaSet")
            try await server.pod("solo", node: "node-1", containers: ["main"])
            try await server.pod("scratch", node: "node-1", containers: ["main"], owner: "ReplicaSet", emptyDir: true)
            let result = await server.kctl(["drain", "node-1"])
            #expect(result.exitCode == 1)
            #expect(result.stdout == "node/node-1 cordoned\n")
            let failure = "[cannot delete Pods with local storage (use --delete-emptydir-data to override): default/scratch, cannot delete cannot delete Pods that declare no controller (use --force to override): default/solo]"
            #expect(result.stderr == """
                error: unable to drain node "node-1" due to error: \(failure), continuing command...
                There are pending nodes to be drained:
                 node-1
                \(failure)

                """)
            // Nothing was evicted.
            #expect(try await server.store.list(.pod, namespace: "default").items.count == 3)
        }
    }

    @Test func drainForcedEvictsEveryPodAndWaitsUntilTheyAreGone() async throws {
        try await VerbServer.with { server in
            try await server.node("node-1")
            try await server.pod("web-1", node: "node-1", containers: ["main"], owner: "ReplicaSet")
            try await server.pod("solo", node: "node-1", containers: ["main"])
            try await server.pod("elsewhere", node: "node-2", containers: ["main"])
            let result = await server.kctl(["drain", "node-1", "--force", "--grace-period", "0"])
            #expect(result.exitCode == 0, "\(result)")
            let lines = result.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first == "node/node-1 cordoned")
            #expect(Array(lines[1...2]) == ["evicting pod default/solo", "evicting pod default/web-1"])
            #expect(Set(lines[3...4]) == ["pod/solo evicted", "pod/web-1 evicted"])
            #expect(lines.last == "node/node-1 drained" && lines.count == 6)
            #expect(result.stderr == "Warning: deleting Pods that declare no controller: default/solo\n")
            #expect(try await server.store.list(.pod, namespace: "default").items.map(\.name) == ["elsewhere"])
        }
    }

    @Test func drainWaitsForTheAgentToStopEachPod() async throws {
        try await VerbServer.with { server in
            try await server.node("node-1")
            try await server.pod("web-1", node: "node-1", containers: ["main"], owner: "ReplicaSet")
            try await server.pod("web-2", node: "node-1", containers: ["main"], owner: "ReplicaSet")
            // The node's agent: removes each pod marked for deletion once "stopped".
            let store = server.store
            let from = try await store.currentRevision()
            let agent = Task {
                for try await event in try await store.watch(.pod, namespace: "default", from: from)
                where event.object.deletionTimestamp != nil {
                    _ = try? await store.delete(
                        .pod, namespace: "default", name: event.object.name, preconditions: .init(), gracePeriodSeconds: 0)
                }
            }
            defer { agent.cancel() }
            let result = await server.kctl(["drain", "node-1", "--timeout", "30s"])
            #expect(result.exitCode == 0, "\(result)")
            #expect(result.stdout.contains("pod/web-1 evicted\n") && result.stdout.contains("pod/web-2 evicted\n"))
            #expect(result.stdout.hasSuffix("node/node-1 drained\n"))
        }
    }

    @Test func drainGivesUpAtItsTimeout() async throws {
        try await VerbServer.with { server in
            try await server.node("node-1")
            try await server.pod("web-1", node: "node-1", containers: ["main"], owner: "ReplicaSet")
            // No agent: the evicted pod stays marked, never removed.
            let result = await server.kctl(["drain", "node-1", "--timeout", "2s"])  // cordon and evict fit well within it
            #expect(result.exitCode == 1)
            #expect(result.stdout == "node/node-1 cordoned\nevicting pod default/web-1\n")
            let failure = "error when waiting for pod \"web-1\" in namespace \"default\" to terminate: context deadline exceeded"
            #expect(result.stderr == """
                There are pending pods in node "node-1" when an error occurred: \(failure)
                pod/web-1
                error: unable to drain node "node-1" due to error: \(failure), continuing command...
                There are pending nodes to be drained:
                 node-1
                \(failure)

                """)
            #expect(try await server.store.get(.pod, namespace: "default", name: "web-1").deletionTimestamp != nil)
        }
    }

    @Test func drainPlanFollowsKubectlsFilters() throws {
        func pod(_ name: String, owner: String? = nil, phase: String = "Running", emptyDir: Bool = false, mirror: Bool = false) -> KubeObject {
            var meta: [String: JSONValue] = ["name": .string(name), "namespace": "default"]
            if let owner { meta["ownerReferences"] = [["kind": .string(owner), "name": "x", "uid": "u", "controller": true]] }
            if mirror { meta["annotations"] = ["kubernetes.io/config.mirror": "x"] }
            var spec: [String: JSONValue] = [:]
            if emptyDir { spec["volumes"] = [["name": "tmp", "emptyDir": [:]]] }
            return KubeObject(["metadata": .object(meta), "spec": .object(spec), "status": ["phase": .string(phase)]])
        }
        let pods = [
            pod("ds", owner: "DaemonSet"), pod("mirror", mirror: true), pod("done", phase: "Succeeded"),
            pod("rs", owner: "ReplicaSet"), pod("cache", owner: "ReplicaSet", emptyDir: true),
        ]
        let strict = DrainPlan(pods: pods, force: false, ignoreDaemonSets: false, deleteEmptyDirData: false)
        #expect(strict.failure == "[cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/ds, cannot delete Pods with local storage (use --delete-emptydir-data to override): default/cache]")
        let lenient = DrainPlan(pods: pods, force: false, ignoreDaemonSets: true, deleteEmptyDirData: true)
        #expect(lenient.failure == nil)
        #expect(lenient.evict.map(\.name) == ["done", "rs", "cache"])
        // kubectl keeps only the last filter's warning for a pod: the emptyDir one is dropped.
        #expect(lenient.warning == "ignoring DaemonSet-managed Pods: default/ds")
        #expect(DrainTimeout.parse("1m30s") == .seconds(90))
        #expect(DrainTimeout.parse("500ms") == .milliseconds(500))
        #expect(DrainTimeout.parse("0") == .zero)
        #expect(DrainTimeout.parse("soon") == nil)
        #expect(DrainTimeout.parse("5x") == nil)
    }

    // MARK: node stop|start

    @Test func nodeStopAndStart() async throws {
        let admin = FakeAdmin()
        try await VerbServer.with(nodeAdmin: admin) { server in
            try await server.node("node-1")
            #expect(await server.kctl(["node", "stop", "node-1"]).stdout == "node/node-1 stopped\n")
            #expect(await server.kctl(["node", "start", "node-1"]).stdout == "node/node-1 started\n")
            #expect(admin.calls.withLock { $0 } == ["stop node-1", "start node-1"])
            let missing = await server.kctl(["node", "stop", "node-9"])
            #expect(missing.exitCode == 1 && missing.stderr == "Error from server (NotFound): nodes \"node-9\" not found\n")
        }
    }
}

// MARK: - A server with fake agents

/// A real APIServer on an ephemeral loopback port over a temporary SQLite store, with fake
/// node-agent providers; `kctl` runs in process against it.
struct VerbServer: Sendable {
    let url: String
    let store: SQLiteStore

    static func with(
        logs: (any PodLogSource)? = nil, metrics: (any ResourceMetricsSource)? = nil,
        nodeAdmin: (any NodeAdministration)? = nil, _ body: @escaping @Sendable (VerbServer) async throws -> Void
    ) async throws {
        try await withTestAPIServer(label: "agent-verbs-test") { store, logger in
            APIServer(store: store, logger: logger, podLogs: logs, resourceMetrics: metrics, nodeAdministration: nodeAdmin)
        } _: { url, store, _ in
            let server = VerbServer(url: url, store: store)
            try await server.namespace("default")
            try await body(server)
        }
    }

    func kctl(_ arguments: [String]) async -> CommandResult {
        await KctlCommand.capture(arguments + ["--server", url])
    }

    func namespace(_ name: String) async throws {
        _ = try await store.create(KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]), as: .namespace)
    }

    func pod(
        _ name: String, namespace: String = "default", node: String?, containers: [String], labels: [String: String] = [:],
        phase: String = "Pending", owner: String? = nil, emptyDir: Bool = false
    ) async throws {
        var spec: [String: JSONValue] = [
            "containers": .array(containers.map { ["name": .string($0), "command": ["sleep", "100"]] })
        ]
        if let node { spec["nodeName"] = .string(node) }
        if emptyDir { spec["volumes"] = [["name": "scratch", "emptyDir": [:]]] }
        var meta: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        if let owner {
            meta["ownerReferences"] = [["apiVersion": "apps/v1", "kind": .string(owner), "name": "owner", "uid": "owner-uid", "controller": true]]
        }
        _ = try await store.create(
            KubeObject(["apiVersion": "v1", "kind": "Pod", "metadata": .object(meta), "spec": .object(spec), "status": ["phase": .string(phase)]]),
            as: .pod)
    }

    func node(_ name: String, labels: [String: String] = [:], allocatable: [String: String] = [:]) async throws {
        var meta: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        _ = try await store.create(
            KubeObject([
                "apiVersion": "v1", "kind": "Node", "metadata": .object(meta),
                "status": ["allocatable": .object(allocatable.mapValues { .string($0) })],
            ]), as: .node)
    }

    func unschedulable(_ node: String) async throws -> Bool? {
        try await store.get(.node, namespace: nil, name: node).spec?["unschedulable"]?.boolValue
    }
}

/// Logs held in memory; a follower gets what is appended until `endAll()`.
final class FakeLogs: PodLogSource {
    private let logs = Locked<[String: [UInt8]]>([:])
    private let live = Locked<[AsyncStream<[UInt8]>.Continuation]>([])

    var followers: Int { live.withLock { $0.count } }

    func set(_ pod: String, _ container: String, _ text: String) {
        logs.withLock { $0["\(pod)/\(container)"] = Array(text.utf8) }
    }

    func append(_ text: String) { append(Array(text.utf8)) }
    func append(_ bytes: [UInt8]) { for follower in live.withLock({ $0 }) { follower.yield(bytes) } }
    func endAll() { for follower in live.withLock({ $0 }) { follower.finish() } }

    func logs(_ request: PodLogRequest) async throws -> AsyncStream<[UInt8]>? {
        guard !request.previous, var bytes = logs.withLock({ $0["\(request.pod)/\(request.container)"] }) else { return nil }
        if let tail = request.tailLines {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            bytes = Array(lines.suffix(tail).map { $0 + "\n" }.joined().utf8)
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        continuation.yield(bytes)
        if request.follow { live.withLock { $0.append(continuation) } } else { continuation.finish() }
        return stream
    }
}

final class FakeUsage: ResourceMetricsSource {
    let podSamples = Locked<[PodUsage]>([])
    let nodeSamples = Locked<[NodeUsage]>([])
    func pods() async -> [PodUsage] { podSamples.withLock { $0 } }
    func nodes() async -> [NodeUsage] { nodeSamples.withLock { $0 } }
}

final class FakeAdmin: NodeAdministration {
    let calls = Locked<[String]>([])
    func stop(node: String) async throws { calls.withLock { $0.append("stop \(node)") } }
    func start(node: String) async throws { calls.withLock { $0.append("start \(node)") } }
}
