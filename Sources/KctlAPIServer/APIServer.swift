import Foundation
import Hummingbird
import KctlModel
import KctlStore
import Logging
import NIOCore

/// The Kubernetes-shaped REST front of the store: discovery, CRUD, subresources and watch on
/// the paths and with the Status errors that kubectl and client libraries expect. Every route
/// parses its target, then delegates to one small handler per verb.
public struct APIServer: HTTPResponder {
    public typealias Context = BasicRequestContext

    let store: any Store
    let logger: Logger
    let settings: Settings
    /// The Prometheus text `/metrics` serves; nil answers 404.
    let metrics: (@Sendable () async -> String)?
    /// The node agents' parts of the API (pod logs, `metrics.k8s.io`, node stop/start); nil answers an error.
    let podLogs: (any PodLogSource)?
    let resourceMetrics: (any ResourceMetricsSource)?
    let nodeAdministration: (any NodeAdministration)?
    /// The metrics pipeline's samples (custom and external metrics APIs, pushes); nil answers 503.
    let metricSamples: (any MetricSamplesProvider)?
    /// Runs `kubectl exec` commands; nil answers 503.
    let podExec: (any PodExecutor)?
    /// Makes each Service write that assigns a cluster IP or node ports one step (see `ServiceAllocation`).
    let serviceAllocationLock = ServiceAllocationLock()

    /// Limits and timings of the API server.
    public struct Settings: Sendable {
        /// Largest accepted request body (Kubernetes: 3 MiB).
        public var maxBodyBytes: Int = 3 * 1024 * 1024
        /// A watch without `timeoutSeconds` ends after this long (clients re-watch).
        public var defaultWatchTimeout: Duration = .seconds(1800)
        /// An idle watch writes a blank line this often, which JSON stream readers skip, so a
        /// closed connection is noticed and the watcher released.
        public var watchHeartbeat: Duration = .seconds(15)
        /// New cluster IPs skip loopback addresses something on the host listens on (another
        /// kctld's service proxy). Only worth it where this daemon's proxy will bind its own.
        public var avoidListeningAddresses: Bool = true
        public init() {}
    }

    public init(
        store: any Store, logger: Logger, settings: Settings = Settings(),
        metrics: (@Sendable () async -> String)? = nil, podLogs: (any PodLogSource)? = nil,
        resourceMetrics: (any ResourceMetricsSource)? = nil, nodeAdministration: (any NodeAdministration)? = nil,
        metricSamples: (any MetricSamplesProvider)? = nil, podExec: (any PodExecutor)? = nil
    ) {
        self.store = store
        self.logger = logger
        self.settings = settings
        self.metrics = metrics
        self.podLogs = podLogs
        self.resourceMetrics = resourceMetrics
        self.nodeAdministration = nodeAdministration
        self.metricSamples = metricSamples
        self.podExec = podExec
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await route(request)
        } catch let error as StatusError {
            response = Self.statusResponse(error)
        } catch {
            response = Self.statusResponse(.internalError("\(error)"))
        }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        let line: Logger.Message = "\(request.method) \(request.uri.path)\(request.uri.query.map { "?" + $0 } ?? "") \(response.status.code) \(String(format: "%.1f", ms))ms"
        if request.method == .get || request.method == .head {
            logger.debug(line)
        } else {
            logger.info(line)
        }
        return response
    }

    private func route(_ request: Request) async throws -> Response {
        let query = Query(request.uri.query)
        if request.uri.path.hasPrefix("/openapi/") { return try openAPI(path: request.uri.path) }
        if request.method == .get, let lookup = DescribeLookup.parse(path: request.uri.path) {
            return try await describeLookup(lookup, query: query)
        }
        if let review = SelfReview.parse(path: request.uri.path) {
            guard request.method == .post else { throw StatusError.methodNotAllowed("a review is created with POST") }
            var request = request
            return Self.json(review.answer(body: try await readBody(&request)), status: .created)
        }
        if request.method == .post, let namespace = AutoscalingV1.createNamespace(path: request.uri.path) {
            var request = request
            let body = try await readBody(&request)
            return try await createAutoscalingV1(
                namespace: namespace, body: body, query: query, contentType: request.headers[.contentType])
        }
        if let target = MetricSamplesRequest.parse(path: request.uri.path) {
            var request = request
            return try await metricSamples(target, request: &request, query: query)
        }
        switch try RequestInfoParser.parse(path: request.uri.path) {
        case .health:
            _ = try await store.currentRevision()
            return Self.text("ok")
        case .version:
            return Self.json(Discovery.version)
        case .metrics:
            guard let metrics else { throw StatusError(reason: .notFound, code: 404, message: "metrics are not served") }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics())))
        case .apiVersions:
            return Self.json(Discovery.apiVersions(host: request.head.authority ?? "127.0.0.1"))
        case .apiGroupList:
            return Self.json(Discovery.apiGroupList(resourceMetrics: resourceMetrics != nil, metricSamples: metricSamples != nil))
        case .resourceList(let group, let version):
            return Self.json(Discovery.resourceList(group: group, version: version))
        case .resourceMetrics(let target):
            guard request.method == .get else { throw StatusError.methodNotAllowed("metrics are read-only") }
            return try await resourceMetrics(target, query: query)
        case .nodeAdmin(let node, let action):
            guard request.method == .post else { throw StatusError.methodNotAllowed("use POST for node \(action.rawValue)") }
            return try await nodeAdmin(node, action)
        case .resource(let target):
            var request = request
            return try await handle(target, request: &request, query: query)
        }
    }

    private func handle(_ target: ResourceRequest, request: inout Request, query: Query) async throws -> Response {
        if target.subresource == "binding", request.method == .post {
            let body = try await readBody(&request)
            return try await bind(target, body: body)
        }
        if target.type == .pod, target.subresource == "log", request.method == .get {
            return try await podLog(target, query: query)
        }
        if target.type == .pod, target.subresource == Pod.schedulingRecord, request.method == .get {
            return try await podScheduling(target)
        }
        if target.type == .pod, target.subresource == "exec", request.method == .get || request.method == .post {
            // Reached only when the request was not upgraded to a WebSocket (see `webSocketUpgrade`):
            // the same checks, so that kubectl prints why, then Kubernetes' answer to a plain request.
            _ = try await execRequest(target, query: query)
            throw StatusError.badRequest("Upgrade request required")
        }
        if target.type == .pod, target.subresource == "eviction", request.method == .post {
            let body = try await readBody(&request)
            return try await evict(target, body: body, contentType: request.headers[.contentType])
        }
        if target.subresource == "scale", ScaleSubresource.serves(target.type), !target.isCollection {
            let body = request.method == .get ? [] : try await readBody(&request)
            return try await scale(
                target, method: request.method, body: body, contentType: request.headers[.contentType], query: query)
        }
        if let sub = target.subresource, sub != "status" {
            throw StatusError(
                reason: .notFound, code: 404,
                message: "the server could not find the requested resource (\(target.type.plural)/\(sub))")
        }
        if target.subresource == "status" && !target.type.hasStatus {
            throw StatusError(reason: .notFound, code: 404, message: "\(target.type.groupResource) has no status subresource")
        }
        switch (request.method, target.isCollection) {
        case (.get, true):
            let format = try ReadFormat.negotiate(accept: request.headers[.accept], query: query)
            if target.watchPrefix || query.bool("watch") && query["watch"] != "false" && query["watch"] != "0" {
                return try await watch(target, query: query, format: format)
            }
            return try await list(target, query: query, format: format)
        case (.get, false):
            let format = try ReadFormat.negotiate(accept: request.headers[.accept], query: query)
            if target.watchPrefix { return try await watch(target, query: query, format: format) }
            return try await get(target, format: format)
        case (.post, true):
            let body = try await readBody(&request)
            return try await create(target, body: body, query: query, contentType: request.headers[.contentType])
        case (.put, false):
            if ProtobufBody.isProtobuf(request.headers[.contentType]) {
                throw ProtobufBody.unsupported("protobuf bodies are decoded only when creating; send the update as application/json")
            }
            let body = try await readBody(&request)
            return try await update(target, body: body, query: query)
        case (.patch, false):
            let body = try await readBody(&request)
            return try await patch(target, body: body, contentType: request.headers[.contentType], query: query)
        case (.delete, false):
            let body = try await readBody(&request)
            return try await delete(target, body: body, query: query)
        case (.delete, true):
            let body = try await readBody(&request)
            return try await deleteCollection(target, body: body, query: query)
        default:
            throw StatusError.methodNotAllowed(
                "the server does not allow this method on the requested resource (\(request.method) \(request.uri.path))")
        }
    }

    /// `/openapi/v3` and its per-group-version documents; `/openapi/v2` is not served (kubectl
    /// falls back from it quietly).
    private func openAPI(path: String) throws -> Response {
        if path == "/openapi/v3" || path == "/openapi/v3/" { return Self.json(OpenAPI.index()) }
        let key = path.dropFirst("/openapi/v3/".count)
        guard path.hasPrefix("/openapi/v3/"), let document = OpenAPI.documents[String(key)] else {
            throw RequestInfoParser.notFound(path)
        }
        return Self.json(bytes: document.bytes)
    }

    private func readBody(_ request: inout Request) async throws -> [UInt8] {
        do {
            let buffer = try await request.collectBody(upTo: settings.maxBodyBytes)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw StatusError.tooLarge(limit: settings.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw StatusError.tooLarge(limit: settings.maxBodyBytes)
        }
    }

    // MARK: Responses

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        json(bytes: value.serialized(), status: status)
    }

    static func json(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(
            status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: buffer))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func statusResponse(_ error: StatusError) -> Response {
        json(error.statusObject, status: HTTPResponse.Status(code: error.code))
    }
}
