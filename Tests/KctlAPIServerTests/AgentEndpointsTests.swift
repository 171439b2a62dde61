import Foundation
import KctlClient
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import Testing

@testable import KctlAPIServer

/// The API the node agents serve through: pod logs, eviction, `metrics.k8s.io` and node
/// stop/start, on a real socket with fake agents behind it.
@Suite struct AgentEndpointsTests {
    // MARK: Logs

    @Test func logsOfTheOnlyContainerWithTailAndLimit() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            let pod = try await server.pod("web", node: "node-1", containers: ["main"])
            logs.set("web", "main", "one\ntwo\nthree\n")
            let (status, body) = try await server.client.raw(method: "GET", path: "/api/v1/namespaces/default/pods/web/log")
            #expect(status == 200)
            #expect(String(decoding: body, as: UTF8.self) == "one\ntwo\nthree\n")
            #expect(logs.requests.last == PodLogRequest(namespace: "default", pod: "web", uid: pod.uid ?? "", container: "main"))

            let tail = try await server.client.getText(path: "/api/v1/namespaces/default/pods/web/log?tailLines=1")
            #expect(tail == "three\n")
            let limited = try await server.client.getText(path: "/api/v1/namespaces/default/pods/web/log?limitBytes=5")
            #expect(limited == "one\nt")
            #expect(logs.requests.last?.limitBytes == 5)
        }
    }

    @Test func logErrorsNameTheContainerAsKubernetesDoes() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            _ = try await server.pod("two", node: "node-1", containers: ["a", "b"])
            _ = try await server.pod("pending", node: nil, containers: ["main"])
            logs.set("two", "a", "from a\n")
            func error(_ path: String) async throws -> StatusError? {
                do {
                    _ = try await server.client.getText(path: "/api/v1/namespaces/default/pods/" + path)
                    return nil
                } catch let error as StatusError { return error }
            }
            let ambiguous = try await error("two/log")
            #expect(ambiguous?.code == 400)
            #expect(ambiguous?.message == "a container name must be specified for pod two, choose one of: [a b]")
            #expect(try await error("two/log?container=x")?.message == "container x is not valid for pod two")
            #expect(try await error("two/log?container=b")?.message == "container \"b\" in pod \"two\" is waiting to start: ContainerCreating")
            #expect(try await error("two/log?container=a&previous=true")?.message == "previous terminated container \"a\" in pod \"two\" not found")
            #expect(try await error("pending/log")?.message == "container \"main\" in pod \"pending\" is waiting to start: ContainerCreating")
            #expect(try await error("missing/log")?.code == 404)
            let invalid = try await error("two/log?container=a&tailLines=-1")
            #expect(invalid?.code == 422)
            #expect(invalid?.causes.first?.field == "tailLines")
            #expect(try await server.client.getText(path: "/api/v1/namespaces/default/pods/two/log?container=a") == "from a\n")
        }
    }

    @Test func aWaitingContainerReportsItsReason() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            _ = try await server.pod("crash", node: "node-1", containers: ["main"])
            _ = try await server.store.update(.pod, namespace: "default", name: "crash", subresource: .status) {
                $0.status = ["phase": "Running", "containerStatuses": [["name": "main", "state": ["waiting": ["reason": "CrashLoopBackOff"]]]]]
            }
            do {
                _ = try await server.client.getText(path: "/api/v1/namespaces/default/pods/crash/log")
                Issue.record("expected an error")
            } catch let error as StatusError {
                #expect(error.message == "container \"main\" in pod \"crash\" is waiting to start: CrashLoopBackOff")
            }
        }
    }

    @Test func followStreamsNewOutputUntilTheContainerEnds() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            _ = try await server.pod("web", node: "node-1", containers: ["main"])
            logs.set("web", "main", "hello\n")
            var chunks = server.client.logs(namespace: "default", pod: "web", options: PodLogOptions(follow: true))
                .makeAsyncIterator()
            #expect(try await chunks.next().map { String(decoding: $0, as: UTF8.self) } == "hello\n")
            try await eventually("the follower is registered") { logs.followers == 1 }
            logs.append("more\n")
            #expect(try await chunks.next().map { String(decoding: $0, as: UTF8.self) } == "more\n")
            logs.endAll()
            #expect(try await chunks.next() == nil)
        }
    }

    @Test func followEndsWhenTheClientGoesAway() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            _ = try await server.pod("web", node: "node-1", containers: ["main"])
            logs.set("web", "main", "hello\n")
            let client = server.client
            let reader = Task {
                for try await chunk in client.logs(namespace: "default", pod: "web", options: PodLogOptions(follow: true)) {
                    _ = chunk
                }
            }
            try await eventually("the follower is registered") { logs.followers == 1 }
            reader.cancel()
            _ = await reader.result
            // The server notices at its next writes, and lets the agent's stream go.
            try await eventually("the agent's stream is released") {
                logs.append("more\n")
                return logs.released == 1
            }
        }
    }

    @Test func shuttingDownEndsEveryFollow() async throws {
        let logs = FakeLogSource()
        try await AgentServer.with(logs: logs) { server in
            _ = try await server.pod("web", node: "node-1", containers: ["main"])
            logs.set("web", "main", "hello\n")
            let client = server.client
            let reader = Task {
                var text = ""
                for try await chunk in client.logs(namespace: "default", pod: "web", options: PodLogOptions(follow: true)) {
                    text += String(decoding: chunk, as: UTF8.self)
                }
                return text
            }
            try await eventually("the follower is registered") { logs.followers == 1 }
            await server.shutdown()
            let text = try await withDeadline(seconds: 10) { try await reader.value }
            #expect(text == "hello\n")
            try await eventually("the agent's stream is released") { logs.released == 1 }
        }
    }

    @Test func withoutAgentsTheEndpointsSaySo() async throws {
        try await AgentServer.with { server in
            _ = try await server.pod("web", node: "node-1", containers: ["main"])
            _ = try await server.node("node-1")
            for (method, path) in [
                ("GET", "/api/v1/namespaces/default/pods/web/log"), ("GET", "/apis/metrics.k8s.io/v1beta1/pods"),
                ("POST", "/apis/kctl.dev/v1/nodes/node-1/stop"),
            ] {
                let (status, body) = try await server.client.raw(method: method, path: path)
                #expect(status == 503, "\(path)")
                #expect(KubeClient.error(status: status, body: body).reason == .serviceUnavailable)
            }
            let groups = try await server.json("/apis")
            #expect(!(groups["groups"]?.arrayValue ?? []).contains { $0["name"] == "metrics.k8s.io" })
        }
    }

    // MARK: Eviction

    @Test func evictionDeletesThroughTheNormalPath() async throws {
        try await AgentServer.with { server in
            _ = try await server.pod("unbound", node: nil, containers: ["main"])
            _ = try await server.pod("bound", node: "node-1", containers: ["main"])
            _ = try await server.pod("quick", node: "node-1", containers: ["main"])
            let (status, body) = try await server.evict("unbound", ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "unbound"]])
            #expect(status == 201)
            let answer = try JSONValue.parse(body)
            #expect(answer["kind"] == "Status" && answer["status"] == "Success" && answer["code"] == 201)
            await #expect(throws: StatusError.self) { try await server.store.get(.pod, namespace: "default", name: "unbound") }

            // A pod on a node is only marked: its agent stops it, then removes it.
            #expect(try await server.evict("bound", ["apiVersion": "policy/v1beta1", "kind": "Eviction", "metadata": ["name": "bound", "namespace": "default"]]).status == 201)
            let marked = try await server.store.get(.pod, namespace: "default", name: "bound")
            #expect(marked.deletionTimestamp != nil)

            // deleteOptions are honoured: a grace period of 0 removes it at once.
            let quick: JSONValue = ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "quick"], "deleteOptions": ["gracePeriodSeconds": 0]]
            #expect(try await server.evict("quick", quick).status == 201)
            await #expect(throws: StatusError.self) { try await server.store.get(.pod, namespace: "default", name: "quick") }
        }
    }

    @Test func evictionErrors() async throws {
        try await AgentServer.with { server in
            _ = try await server.pod("web", node: nil, containers: ["main"])
            let mismatch = try await server.evict("web", ["apiVersion": "policy/v1", "kind": "Eviction", "metadata": ["name": "other"]])
            #expect(mismatch.status == 400)
            #expect(KubeClient.error(status: 400, body: mismatch.body).message == "name in URL does not match name in Eviction object")
            let wrongNamespace = try await server.evict("web", ["kind": "Eviction", "metadata": ["name": "web", "namespace": "other"]])
            #expect(wrongNamespace.status == 400)
            #expect(try await server.evict("missing", ["kind": "Eviction", "metadata": ["name": "missing"]]).status == 404)
            let dryRun: JSONValue = ["kind": "Eviction", "metadata": ["name": "web"], "deleteOptions": ["dryRun": ["All"]]]
            #expect(try await server.evict("web", dryRun).status == 201)
            _ = try await server.store.get(.pod, namespace: "default", name: "web")
        }
    }

    @Test func evictionAcceptsKubectlsProtobufBody() async throws {
        try await AgentServer.with { server in
            _ = try await server.pod("web", node: "node-1", containers: ["main"])
            let body = Protobuf.eviction(name: "web", namespace: "default", gracePeriodSeconds: 0)
            let (status, _) = try await server.client.raw(
                method: "POST", path: "/api/v1/namespaces/default/pods/web/eviction", body: body,
                contentType: "application/vnd.kubernetes.protobuf")
            #expect(status == 201)
            await #expect(throws: StatusError.self) { try await server.store.get(.pod, namespace: "default", name: "web") }
            let (bad, _) = try await server.client.raw(
                method: "POST", path: "/api/v1/namespaces/default/pods/web/eviction", body: [1, 2, 3],
                contentType: "application/vnd.kubernetes.protobuf")
            #expect(bad == 400)
        }
    }

    @Test func discoveryListsTheAgentSubresourcesAndTheMetricsGroup() async throws {
        try await AgentServer.with(metrics: FakeMetrics()) { server in
            let core = try await server.json("/api/v1")
            let resources = core["resources"]?.arrayValue ?? []
            let eviction = resources.first { $0["name"] == "pods/eviction" }
            #expect(eviction?["kind"] == "Eviction" && eviction?["group"] == "policy" && eviction?["version"] == "v1")
            #expect(resources.contains { $0["name"] == "pods/log" })
            let groups = try await server.json("/apis")
            let metrics = (groups["groups"]?.arrayValue ?? []).first { $0["name"] == "metrics.k8s.io" }
            #expect(metrics?["preferredVersion"]?["groupVersion"] == "metrics.k8s.io/v1beta1")
            let list = try await server.json("/apis/metrics.k8s.io/v1beta1")
            #expect(list["groupVersion"] == "metrics.k8s.io/v1beta1")
            #expect((list["resources"]?.arrayValue ?? []).compactMap { $0["kind"]?.stringValue } == ["NodeMetrics", "PodMetrics"])
        }
    }

    // MARK: Metrics

    @Test func podMetricsListsFilterByNamespaceAndLabels() async throws {
        let metrics = FakeMetrics()
        try await AgentServer.with(metrics: metrics) { server in
            _ = try await server.pod("web-1", node: "node-1", containers: ["main"], labels: ["app": "web"])
            _ = try await server.pod("db-1", node: "node-1", containers: ["main"], labels: ["app": "db"])
            _ = try await server.pod("quiet", node: "node-1", containers: ["main"])
            _ = try await server.store.create(KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop"]]), as: .namespace)
            _ = try await server.pod("cart-1", namespace: "shop", node: "node-2", containers: ["main"], labels: ["app": "web"])
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            metrics.podSamples.withLock {
                $0 = [
                    PodUsage(namespace: "default", name: "web-1", timestamp: now, window: .seconds(30), containers: [
                        ContainerUsage(name: "main", cpuCores: 0.012, memoryBytes: 12345 * 1024),
                        ContainerUsage(name: "sidecar", cpuCores: 0.001234567, memoryBytes: 1000),
                    ]),
                    PodUsage(namespace: "default", name: "db-1", timestamp: now, window: .seconds(90), containers: [
                        ContainerUsage(name: "main", cpuCores: 1, memoryBytes: 256 << 20),
                    ]),
                    PodUsage(namespace: "shop", name: "cart-1", timestamp: now, window: .seconds(30), containers: []),
                    PodUsage(namespace: "default", name: "gone", timestamp: now, window: .seconds(30), containers: []),
                ]
            }
            let all = try await server.json("/apis/metrics.k8s.io/v1beta1/pods")
            #expect(all["kind"] == "PodMetricsList" && all["apiVersion"] == "metrics.k8s.io/v1beta1")
            #expect(names(all) == ["db-1", "web-1", "cart-1"])

            let web = try await server.json("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dweb")
            #expect(names(web) == ["web-1"])
            let item = items(web).first
            #expect(item?["metadata"]?["namespace"] == "default" && item?["metadata"]?["labels"]?["app"] == "web")
            #expect(item?["timestamp"] == "2027-01-15T08:00:00Z" && item?["window"] == "30s")
            let usages = item?["containers"]?.arrayValue?.map {
                [$0["name"], $0["usage"]?["cpu"], $0["usage"]?["memory"]].map { $0?.stringValue ?? "" }
            }
            #expect(usages == [["main", "12m", "12345Ki"], ["sidecar", "1234567n", "1k"]])

            let db = try await server.json("/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/db-1")
            #expect(db["kind"] == "PodMetrics" && db["window"] == "1m30s")
            #expect(db["containers"]?.arrayValue?.first?["usage"] == ["cpu": "1", "memory": "256Mi"])

            let (status, body) = try await server.client.raw(method: "GET", path: "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/quiet")
            #expect(status == 404)
            #expect(KubeClient.error(status: status, body: body).message == "podmetrics.metrics.k8s.io \"default/quiet\" not found")
            let shop = try await server.json("/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods")
            #expect(names(shop) == ["cart-1"])
        }
    }

    @Test func nodeMetricsListsAndSelectors() async throws {
        let metrics = FakeMetrics()
        try await AgentServer.with(metrics: metrics) { server in
            _ = try await server.node("node-1", labels: ["zone": "a"])
            _ = try await server.node("node-2", labels: ["zone": "b"])
            _ = try await server.node("node-3", labels: ["zone": "b"])
            let now = Date()
            metrics.nodeSamples.withLock {
                $0 = [
                    NodeUsage(name: "node-1", timestamp: now, window: .milliseconds(1500), cpuCores: 0.25, memoryBytes: 1 << 30),
                    NodeUsage(name: "node-2", timestamp: now, window: .seconds(30), cpuCores: 2, memoryBytes: 3 << 20),
                ]
            }
            let all = try await server.json("/apis/metrics.k8s.io/v1beta1/nodes")
            #expect(all["kind"] == "NodeMetricsList")
            #expect(names(all) == ["node-1", "node-2"])
            #expect(items(all).first?["usage"] == ["cpu": "250m", "memory": "1Gi"])
            #expect(items(all).first?["window"] == "1.5s")
            let zoneB = try await server.json("/apis/metrics.k8s.io/v1beta1/nodes?labelSelector=zone%3Db")
            #expect(names(zoneB) == ["node-2"])
            let one = try await server.json("/apis/metrics.k8s.io/v1beta1/nodes/node-2")
            #expect(one["kind"] == "NodeMetrics" && one["metadata"]?["labels"]?["zone"] == "b")
            for missing in ["node-3", "node-9"] {
                let (status, body) = try await server.client.raw(method: "GET", path: "/apis/metrics.k8s.io/v1beta1/nodes/\(missing)")
                #expect(status == 404)
                #expect(KubeClient.error(status: status, body: body).message == "nodemetrics.metrics.k8s.io \"\(missing)\" not found")
            }
            let (post, _) = try await server.client.raw(method: "POST", path: "/apis/metrics.k8s.io/v1beta1/nodes")
            #expect(post == 405)
            let (unknown, _) = try await server.client.raw(method: "GET", path: "/apis/metrics.k8s.io/v1/nodes")
            #expect(unknown == 404)
        }
    }

    @Test func quantitiesAndWindowsAreWrittenAsMetricsServerWritesThem() {
        #expect(ResourceMetricsFormat.cpu(0) == "0")
        #expect(ResourceMetricsFormat.cpu(0.5) == "500m")
        #expect(ResourceMetricsFormat.cpu(3) == "3")
        #expect(ResourceMetricsFormat.cpu(0.000_012) == "12u")
        #expect(ResourceMetricsFormat.cpu(0.000_000_7) == "700n")
        #expect(ResourceMetricsFormat.memory(0) == "0")
        #expect(ResourceMetricsFormat.memory(1023) == "1023")
        #expect(ResourceMetricsFormat.memory(2048) == "2Ki")
        #expect(ResourceMetricsFormat.memory(5 << 30) == "5Gi")
        #expect(ResourceMetricsFormat.memory(3_000_000) == "3M")
    }

    // MARK: Node stop/start

    @Test func nodeStopAndStartReachTheAgents() async throws {
        let admin = FakeNodeAdmin()
        try await AgentServer.with(nodeAdmin: admin) { server in
            _ = try await server.node("node-1")
            let stopped = try await server.client.stopNode("node-1")
            #expect(stopped == "node node-1 stopped")
            #expect(try await server.client.startNode("node-1") == "node node-1 started")
            #expect(admin.calls.withLock { $0 } == ["stop node-1", "start node-1"])
            do {
                try await server.client.stopNode("node-9")
                Issue.record("a missing node was stopped")
            } catch let error as StatusError {
                #expect(error.code == 404 && error.message == "nodes \"node-9\" not found")
            }
            #expect(try await server.client.raw(method: "GET", path: "/apis/kctl.dev/v1/nodes/node-1/stop").status == 405)
            #expect(try await server.client.raw(method: "POST", path: "/apis/kctl.dev/v1/nodes/node-1/reboot").status == 404)
            #expect(admin.calls.withLock { $0 }.count == 2)
        }
    }

    @Test func kubectlsCordonPatchIsAccepted() async throws {
        try await AgentServer.with { server in
            _ = try await server.node("node-1")
            let path = "/api/v1/nodes/node-1"
            let smp = "application/strategic-merge-patch+json"
            let cordon = try await server.client.raw(method: "PATCH", path: path, body: Array(#"{"spec":{"unschedulable":true}}"#.utf8), contentType: smp)
            #expect(cordon.status == 200)
            #expect(try await server.store.get(.node, namespace: nil, name: "node-1").spec?["unschedulable"] == true)
            let uncordon = try await server.client.raw(method: "PATCH", path: path, body: Array(#"{"spec":{"unschedulable":null}}"#.utf8), contentType: smp)
            #expect(uncordon.status == 200)
            #expect(try await server.store.get(.node, namespace: nil, name: "node-1").spec?["unschedulable"] == nil)
            // Lists merge strategically too: kubectl taint sends the whole list.
            let taints = try await server.client.raw(
                method: "PATCH", path: path, body: Array(#"{"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}}"#.utf8),
                contentType: smp)
            #expect(taints.status == 200)
            #expect(try await server.store.get(.node, namespace: nil, name: "node-1").spec?["taints"]?.arrayValue?.count == 1)
        }
    }

    private func items(_ list: JSONValue) -> [JSONValue] { list["items"]?.arrayValue ?? [] }

    private func names(_ list: JSONValue) -> [String] {
        items(list).compactMap { $0["metadata"]?["name"]?.stringValue }
    }
}

// MARK: - An API server with fake agents

/// A real APIServer on an ephemeral loopback port, over a SQLite store in a temporary
/// directory, with the given fake providers.
struct AgentServer: Sendable {
    let client: KubeClient
    let store: SQLiteStore
    /// Stops the server the way a daemon's shutdown does.
    let shutdown: @Sendable () async -> Void

    static func with(
        logs: (any PodLogSource)? = nil, metrics: (any ResourceMetricsSource)? = nil,
        nodeAdmin: (any NodeAdministration)? = nil, _ body: @escaping @Sendable (AgentServer) async throws -> Void
    ) async throws {
        try await withTestAPIServer(label: "agent-endpoints-test") { store, logger in
            APIServer(store: store, logger: logger, podLogs: logs, resourceMetrics: metrics, nodeAdministration: nodeAdmin)
        } _: { url, store, stop in
            _ = try await store.create(
                KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]]), as: .namespace)
            let client = try KubeClient(server: url)
            do {
                try await body(AgentServer(client: client, store: store, shutdown: stop))
            } catch {
                try? await client.shutdown()
                throw error
            }
            try? await client.shutdown()
        }
    }

    @discardableResult
    func pod(
        _ name: String, namespace: String = "default", node: String?, containers: [String], labels: [String: String] = [:]
    ) async throws -> KubeObject {
        var spec: [String: JSONValue] = [
            "containers": .array(containers.map { ["name": .string($0), "command": ["sleep", "100"]] })
        ]
        if let node { spec["nodeName"] = .string(node) }
        var meta: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        return try await store.create(
            KubeObject(["apiVersion": "v1", "kind": "Pod", "metadata": .object(meta), "spec": .object(spec), "status": ["phase": "Pending"]]),
            as: .pod)
    }

    @discardableResult
    func node(_ name: String, labels: [String: String] = [:]) async throws -> KubeObject {
        var meta: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        return try await store.create(KubeObject(["apiVersion": "v1", "kind": "Node", "metadata": .object(meta)]), as: .node)
    }

    func json(_ path: String) async throws -> JSONValue {
        let (status, body) = try await client.raw(method: "GET", path: path)
        guard status == 200 else { throw KubeClient.error(status: status, body: body) }
        return try JSONValue.parse(body)
    }

    func evict(_ pod: String, _ eviction: JSONValue) async throws -> (status: Int, body: [UInt8]) {
        try await client.raw(method: "POST", path: "/api/v1/namespaces/default/pods/\(pod)/eviction", body: eviction.serialized())
    }
}

/// Logs held in memory; a follower gets what is appended until `endAll()`.
final class FakeLogSource: PodLogSource {
    private struct State {
        var logs: [String: [UInt8]] = [:]
        var requests: [PodLogRequest] = []
        var followers: [AsyncStream<[UInt8]>.Continuation] = []
        var released = 0
    }
    private let state = Locked(State())

    var requests: [PodLogRequest] { state.withLock { $0.requests } }
    var followers: Int { state.withLock { $0.followers.count } }
    /// Follow streams the server let go of.
    var released: Int { state.withLock { $0.released } }

    func set(_ pod: String, _ container: String, _ text: String) {
        state.withLock { $0.logs["\(pod)/\(container)"] = Array(text.utf8) }
    }

    func append(_ text: String) {
        for follower in state.withLock({ $0.followers }) { follower.yield(Array(text.utf8)) }
    }

    func endAll() {
        for follower in state.withLock({ $0.followers }) { follower.finish() }
    }

    func logs(_ request: PodLogRequest) async throws -> AsyncStream<[UInt8]>? {
        let stored = state.withLock { state -> [UInt8]? in
            state.requests.append(request)
            return request.previous ? nil : state.logs["\(request.pod)/\(request.container)"]
        }
        guard var bytes = stored else { return nil }
        if let tail = request.tailLines {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            bytes = Array(lines.suffix(tail).map { $0 + "\n" }.joined().utf8)
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        continuation.yield(bytes)
        if request.follow {
            continuation.onTermination = { [state] _ in state.withLock { $0.released += 1 } }
            state.withLock { $0.followers.append(continuation) }
        } else {
            continuation.finish()
        }
        return stream
    }
}

final class FakeMetrics: ResourceMetricsSource {
    let podSamples = Locked<[PodUsage]>([])
    let nodeSamples = Locked<[NodeUsage]>([])
    func pods() async -> [PodUsage] { podSamples.withLock { $0 } }
    func nodes() async -> [NodeUsage] { nodeSamples.withLock { $0 } }
}

final class FakeNodeAdmin: NodeAdministration {
    let calls = Locked<[String]>([])
    func stop(node: String) async throws { calls.withLock { $0.append("stop \(node)") } }
    func start(node: String) async throws { calls.withLock { $0.append("start \(node)") } }
}

/// Builds the protobuf request body kubectl sends for an Eviction.
enum Protobuf {
    static func eviction(name: String, namespace: String, gracePeriodSeconds: Int64) -> [UInt8] {
        let typeMeta = field(1, string: "policy/v1") + field(2, string: "Eviction")
        let meta = field(1, string: name) + field(3, string: namespace)
        let options = varintField(1, UInt64(bitPattern: gracePeriodSeconds)) + field(4, string: "Background")
        let raw = field(1, bytes: meta) + field(2, bytes: options)
        return [0x6B, 0x38, 0x73, 0x00] + field(1, bytes: typeMeta) + field(2, bytes: raw)
            + field(4, string: "application/vnd.kubernetes.protobuf")
    }

    static func varint(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    static func varintField(_ number: UInt64, _ value: UInt64) -> [UInt8] { varint(number << 3) + varint(value) }
    static func field(_ number: UInt64, bytes: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: UInt64, string: String) -> [UInt8] { field(number, bytes: Array(string.utf8)) }
}
