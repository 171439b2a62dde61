import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP answer, body read whole (the demo's bodies are small).
public struct DemoHTTPResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The body decoded as JSON.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(body.utf8))
    }
}

/// How the roles call each other, and how tests call the roles: plain HTTP/1.1 through
/// AsyncHTTPClient's shared connection pool.
public struct DemoHTTPClient: Sendable {
    public init() {}

    /// Sends one request. Throws only when no HTTP answer came (refused, reset, timed out).
    /// An idempotent request (GET) is tried once more when the connection failed: a pooled
    /// keep-alive connection may have been closed by a replica that is shutting down.
    public func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: String? = nil,
        timeout: Duration = .seconds(5)
    ) async throws -> DemoHTTPResponse {
        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
        }
        let attempts = method == "GET" || method == "HEAD" ? 2 : 1
        var lastError: (any Error)?
        for _ in 0..<attempts {
            do {
                let deadline = NIODeadline.now() + .nanoseconds(Int64(timeout.seconds * 1e9))
                let response = try await HTTPClient.shared.execute(request, deadline: deadline)
                let bytes = try await response.body.collect(upTo: 16 << 20)
                return DemoHTTPResponse(
                    status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                    body: String(buffer: bytes))
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError!
    }

    public func get(_ url: String, headers: [(String, String)] = [], timeout: Duration = .seconds(5)) async throws
        -> DemoHTTPResponse
    {
        try await send("GET", url, headers: headers, timeout: timeout)
    }

    public func post(
        _ url: String, json: String, headers: [(String, String)] = [], timeout: Duration = .seconds(5)
    ) async throws -> DemoHTTPResponse {
        try await send("POST", url, headers: headers, body: json, timeout: timeout)
    }
}
