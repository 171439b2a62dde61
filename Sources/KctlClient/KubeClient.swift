import AsyncHTTPClient
import Foundation
import KctlModel
import NIOCore
import NIOHTTP1

/// A typed HTTP client for the kctl API (the Kubernetes REST wire): CRUD, merge patches, watches
/// and raw requests. API failures arrive as `StatusError`, exactly as the server sent them; an
/// unreachable server is a `StatusError` with reason `ServiceUnavailable` (see `isUnreachable`).
///
///     let client = try KubeClient(server: "http://127.0.0.1:6440")
///     defer { Task { try? await client.shutdown() } }   // or call `shutdown()` when done
///     let web = try await client.get(.deployment, namespace: "default", name: "web")
///
/// Call `shutdown()` once when done: the client owns its connection pool.
public final class KubeClient: Sendable {
    /// The server's base URL without a trailing slash, e.g. `http://127.0.0.1:6440`.
    public let server: String
    let http: HTTPClient
    private let ownsHTTPClient: Bool
    /// How long a non-watch request may take, end to end.
    public let requestTimeout: TimeAmount

    /// Connects lazily to `server` (`http://host:port`; `https` is accepted too).
    /// - Throws: `StatusError` (BadRequest) when the address is not an http(s) URL with a host.
    public init(server: String, httpClient: HTTPClient? = nil, requestTimeout: TimeAmount = .seconds(30)) throws {
        self.server = try KubeClient.normalize(server: server)
        if let httpClient {
            self.http = httpClient
            self.ownsHTTPClient = false
        } else {
            var configuration = HTTPClient.Configuration()
            // Watches hold a connection each; controllers and agents open many at once.
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)
            configuration.timeout.connect = .seconds(5)
            // No tracer is ever bootstrapped here; the default no-op one still builds a span and
            // its attributes for every request (about 5% of `kctl apply`'s CPU).
            configuration.tracing.tracer = nil
            self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            self.ownsHTTPClient = true
        }
        self.requestTimeout = requestTimeout
    }

    /// Closes the connection pool. Call it once, when no request is running any more.
    public func shutdown() async throws {
        if ownsHTTPClient { try await http.shutdown() }
    }

    /// Checks and normalizes a server address: `http://127.0.0.1:6440/` -> `http://127.0.0.1:6440`.
    public static func normalize(server: String) throws -> String {
        var text = server.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw StatusError.badRequest(
                "invalid server address \"\(server)\": expected a URL like http://127.0.0.1:6440")
        }
        // The HTTP client traps on a port that does not fit 16 bits.
        if let port = url.port, !(0...65535).contains(port) {
            throw StatusError.badRequest("invalid server address \"\(server)\": port \(port) is not in 0-65535")
        }
        return text
    }

    // MARK: - Requests

    /// One HTTP exchange with the whole body read. Transport failures become the unreachable error.
    func send(
        method: HTTPMethod, path: String, body: [UInt8]? = nil, contentType: String? = nil,
        accept: String = "application/json"
    ) async throws -> (status: Int, body: [UInt8]) {
        // Appended to the server address, anything but an absolute path would change where the
        // request goes (`0/api` after `http://host:6440` is port 64400).
        guard path.hasPrefix("/") else {
            throw StatusError.badRequest("invalid request path \"\(path)\": it must start with /")
        }
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "kctl")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: requestTimeout)
            var buffer = try await response.body.collect(upTo: 256 << 20)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            return (Int(response.status.code), bytes)
        } catch let error as StatusError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw unreachable(error)
        }
    }

    /// Sends a request and decodes a JSON object answer; non-2xx answers throw their Status.
    func sendForObject(
        method: HTTPMethod, path: String, body: [UInt8]? = nil, contentType: String? = nil
    ) async throws -> KubeObject {
        let (status, bytes) = try await send(method: method, path: path, body: body, contentType: contentType)
        guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: bytes) }
        do {
            return try KubeObject(data: bytes)
        } catch {
            throw StatusError(
                reason: .internalError, code: 500,
                message: "the server sent a response that is not a JSON object (HTTP \(status)) for \(method) \(path)")
        }
    }

    /// The error for a failed response: its `Status` when it is one, else a generic error by HTTP code.
    public static func error(status: Int, body: [UInt8]) -> StatusError {
        if let json = try? JSONValue.parse(body), let error = StatusError(statusObject: json, httpCode: status) {
            return error
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let reason: StatusError.Reason
        switch status {
        case 400: reason = .badRequest
        case 401: reason = .unauthorized
        case 403: reason = .forbidden
        case 404: reason = .notFound
        case 405: reason = .methodNotAllowed
        case 409: reason = .conflict
        case 410: reason = .gone
        case 413: reason = .requestEntityTooLarge
        case 415: reason = .unsupportedMediaType
        case 422: reason = .invalid
        case 503: reason = .serviceUnavailable
        case 504: reason = .timeout
        default: reason = status >= 500 ? .internalError : .unknown
        }
        let message = text.isEmpty ? "the server responded with HTTP \(status)" : text
        return StatusError(reason: reason, code: status, message: message)
    }

    /// The error for a server that cannot be reached.
    func unreachable(_ error: any Error) -> StatusError {
        let text = String(describing: error)
        let lower = text.lowercased()
        let detail: String
        if lower.contains("refused") {
            detail = "connection refused (is kctld running?)"
        } else if lower.contains("connecttimeout") || lower.contains("connect timeout") {
            detail = "connection timed out (is kctld running?)"
        } else if lower.contains("deadlineexceeded") || lower.contains("timeout") {
            detail = "the request timed out"
        } else {
            detail = text
        }
        return KubeClient.unreachableError(server: server, detail: detail)
    }

    /// `cannot reach kctld at URL: DETAIL`, a ServiceUnavailable error.
    public static func unreachableError(server: String, detail: String) -> StatusError {
        StatusError(reason: .serviceUnavailable, code: 503, message: "cannot reach kctld at \(server): \(detail)")
    }
}

extension StatusError {
    /// Whether this is the client's own "cannot reach the server" error rather than a server's answer.
    public var isUnreachable: Bool {
        reason == .serviceUnavailable && message.hasPrefix("cannot reach kctld at ")
    }
}
