import AsyncHTTPClient
import KctlModel
import NIOCore
import NIOHTTP1

/// What `GET pods/NAME/log` can ask for.
public struct PodLogOptions: Sendable, Hashable {
    /// nil: the pod's only container (the server refuses when there are several).
    public var container: String?
    public var follow: Bool
    public var tailLines: Int?
    public var limitBytes: Int?
    public var previous: Bool

    public init(
        container: String? = nil, follow: Bool = false, tailLines: Int? = nil, limitBytes: Int? = nil,
        previous: Bool = false
    ) {
        self.container = container
        self.follow = follow
        self.tailLines = tailLines
        self.limitBytes = limitBytes
        self.previous = previous
    }
}

extension KubeClient {
    /// A pod's log, chunk by chunk as the server sends it; with `follow`, until the container
    /// ends or the consumer stops. An error answer (no such container, not started) is thrown
    /// as its `StatusError` from the first `next()`.
    public func logs(namespace: String, pod: String, options: PodLogOptions = PodLogOptions()) -> AsyncThrowingStream<[UInt8], any Error> {
        let query = Query.encode([
            ("container", options.container), ("follow", options.follow ? "true" : nil),
            ("tailLines", options.tailLines.map(String.init)), ("limitBytes", options.limitBytes.map(String.init)),
            ("previous", options.previous ? "true" : nil),
        ])
        let url = server + ResourceType.pod.itemPath(namespace: namespace, name: pod) + "/log" + query
        let reader = ByteStreamReader(client: self, url: url)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }

    /// Evicts a pod (policy/v1 Eviction): deleted as by `delete`, gracefully when it runs on a node.
    /// - Parameter gracePeriodSeconds: nil: the pod's own `terminationGracePeriodSeconds`.
    public func evict(namespace: String, pod: String, gracePeriodSeconds: Int64? = nil) async throws {
        var eviction: JSONValue = [
            "apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": ["name": .string(pod), "namespace": .string(namespace)],
        ]
        if let gracePeriodSeconds { eviction["deleteOptions"] = ["gracePeriodSeconds": .int(gracePeriodSeconds)] }
        _ = try await sendForObject(
            method: .POST, path: ResourceType.pod.itemPath(namespace: namespace, name: pod) + "/eviction",
            body: eviction.serialized())
    }

    /// PodMetrics from `metrics.k8s.io/v1beta1`; `namespace` nil: every namespace.
    public func podMetrics(namespace: String?, labelSelector: String? = nil) async throws -> [KubeObject] {
        let base = namespace.map { "/apis/metrics.k8s.io/v1beta1/namespaces/\($0)/pods" } ?? "/apis/metrics.k8s.io/v1beta1/pods"
        let list = try await sendForObject(method: .GET, path: base + Query.encode([("labelSelector", labelSelector)]))
        return (list["items"]?.arrayValue ?? []).compactMap { try? KubeObject(json: $0) }
    }

    /// One pod's PodMetrics; NotFound (404) when it has no sample.
    public func podMetrics(namespace: String, name: String) async throws -> KubeObject {
        try await sendForObject(method: .GET, path: "/apis/metrics.k8s.io/v1beta1/namespaces/\(namespace)/pods/\(name)")
    }

    /// NodeMetrics from `metrics.k8s.io/v1beta1`.
    public func nodeMetrics(labelSelector: String? = nil) async throws -> [KubeObject] {
        let list = try await sendForObject(
            method: .GET, path: "/apis/metrics.k8s.io/v1beta1/nodes" + Query.encode([("labelSelector", labelSelector)]))
        return (list["items"]?.arrayValue ?? []).compactMap { try? KubeObject(json: $0) }
    }

    /// One node's NodeMetrics; NotFound (404) when it has no sample.
    public func nodeMetrics(name: String) async throws -> KubeObject {
        try await sendForObject(method: .GET, path: "/apis/metrics.k8s.io/v1beta1/nodes/\(name)")
    }

    /// Stops a simulated node (kctl's admin API): its agent stops heartbeating, its processes die.
    /// Returns the server's message.
    @discardableResult
    public func stopNode(_ name: String) async throws -> String {
        try await nodeAdmin(name, "stop")
    }

    /// Starts a stopped simulated node again. Returns the server's message.
    @discardableResult
    public func startNode(_ name: String) async throws -> String {
        try await nodeAdmin(name, "start")
    }

    private func nodeAdmin(_ name: String, _ action: String) async throws -> String {
        let status = try await sendForObject(method: .POST, path: "/apis/kctl.dev/v1/nodes/\(name)/\(action)")
        return status["message"]?.stringValue ?? ""
    }
}

/// The body of one streamed response, read in the consumer's task (see `WatchReader`); a
/// non-2xx answer is thrown as its Status.
private final class ByteStreamReader: @unchecked Sendable {
    private let client: KubeClient
    private let url: String
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var ended = false

    init(client: KubeClient, url: String) {
        self.client = client
        self.url = url
    }

    func next() async throws -> [UInt8]? {
        if ended { return nil }
        do {
            if body == nil { body = try await open() }
            while let chunk = try await body?.next() {
                if chunk.readableBytes > 0 { return Array(chunk.readableBytesView) }
            }
        } catch is CancellationError {
        } catch {
            ended = true
            body = nil
            throw error
        }
        ended = true
        body = nil
        return nil
    }

    private func open() async throws -> HTTPClientResponse.Body.AsyncIterator {
        try await client.openStream(url: url, accept: "text/plain, application/json")
    }
}
