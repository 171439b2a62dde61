import AsyncHTTPClient
import KctlModel
import NIOCore

extension KubeClient {
    /// Watches a collection from `resourceVersion` (nil: the server's choice, usually "now").
    ///
    /// The stream yields each event in order and finishes when the server ends the response.
    /// An in-stream `ERROR` event is thrown as its `StatusError` (410 Expired: list again and
    /// re-watch). Stopping the iteration, or cancelling the consuming task, cancels the request.
    public func watch(
        _ type: ResourceType, namespace: String?, resourceVersion: String?,
        labelSelector: String? = nil, fieldSelector: String? = nil
    ) -> AsyncThrowingStream<ClientWatchEvent, any Error> {
        let query = Query.encode([
            ("watch", "true"), ("resourceVersion", resourceVersion),
            ("labelSelector", labelSelector), ("fieldSelector", fieldSelector),
        ])
        let url = server + type.collectionPath(namespace: type.namespaced ? namespace : nil) + query
        // Read in the consumer's own task, one event per `next()`: no task in between that would
        // cost a hand-off per event. The request starts with the first `next()`.
        let reader = WatchReader(client: self, url: url)
        return AsyncThrowingStream(unfolding: { try await reader.next() })
    }
}

/// The state of one watch response. `AsyncThrowingStream(unfolding:)` calls `next()` from the
/// stream's one consumer, one call at a time, hence `@unchecked Sendable`. Dropping the stream
/// drops the response body, which cancels the request; so does cancelling the consumer's task.
private final class WatchReader: @unchecked Sendable {
    private let client: KubeClient
    private let url: String
    private var body: HTTPClientResponse.Body.AsyncIterator?
    private var splitter = LineSplitter()
    /// Complete lines not yet decoded, from `lines[next]` on.
    private var lines: [[UInt8]] = []
    private var nextLine = 0
    private var ended = false

    init(client: KubeClient, url: String) {
        self.client = client
        self.url = url
    }

    /// The next event; nil when the server ended the response or the consumer was cancelled.
    func next() async throws -> ClientWatchEvent? {
        do {
            while true {
                while nextLine < lines.count {
                    let line = lines[nextLine]
                    nextLine += 1
                    if let event = try WatchEventDecoder.decode(line: line) { return event }
                }
                if ended { return nil }
                if body == nil { body = try await open() }
                guard let chunk = try await body?.next() else {
                    ended = true
                    body = nil
                    lines = splitter.finish().map { [$0] } ?? []
                    nextLine = 0
                    continue
                }
                lines = chunk.withUnsafeReadableBytes { raw in
                    splitter.append(contentsOf: raw.assumingMemoryBound(to: UInt8.self))
                }
                nextLine = 0
            }
        } catch is CancellationError {
            finish()
            return nil
        } catch {
            finish()
            throw error
        }
    }

    private func finish() {
        ended = true
        body = nil
        lines = []
    }

    private func open() async throws -> HTTPClientResponse.Body.AsyncIterator {
        try await client.openStream(url: url, accept: "application/json")
    }
}

/// Splits a byte stream into newline-terminated lines, keeping a partial line across chunks.
public struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Adds bytes; returns every line they complete (without the newline, blank lines dropped).
    public mutating func append(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.withUnsafeBufferPointer { append(contentsOf: $0) }
    }

    /// Adds bytes; returns every line they complete (without the newline, blank lines dropped).
    /// Whole lines inside `bytes` are copied once, straight out of it.
    public mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = bytes[start...].firstIndex(of: 10) {
            let piece = UnsafeBufferPointer(rebasing: bytes[start..<newline])
            if pending.isEmpty {
                if !Self.isBlank(piece) { lines.append(Array(piece)) }
            } else {
                pending.append(contentsOf: piece)
                if !pending.withUnsafeBufferPointer(Self.isBlank) { lines.append(pending) }
                pending = []
            }
            start = newline + 1
        }
        pending.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        return lines
    }

    /// The last line when the stream ended without a newline.
    public mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        return pending.withUnsafeBufferPointer(Self.isBlank) ? nil : pending
    }

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        !line.contains(where: { $0 != 32 && $0 != 13 && $0 != 9 })
    }
}

/// Decodes one line of a watch stream.
public enum WatchEventDecoder {
    /// The event on `line`; throws the `StatusError` of an `ERROR` event or for a malformed line.
    public static func decode(line: [UInt8]) throws -> ClientWatchEvent? {
        let json: JSONValue
        do {
            json = try JSONValue.parse(line)
        } catch {
            throw StatusError(
                reason: .internalError, code: 500, message: "the watch stream sent a line that is not JSON: \(error)")
        }
        guard let type = json["type"]?.stringValue, let objectJSON = json["object"] else {
            throw StatusError(
                reason: .internalError, code: 500, message: "the watch stream sent an event without type or object")
        }
        if type == "ERROR" {
            throw StatusError(statusObject: objectJSON, httpCode: 500)
                ?? StatusError(reason: .internalError, code: 500, message: "the watch stream sent an ERROR event")
        }
        return ClientWatchEvent(type: type, object: try KubeObject(json: objectJSON))
    }
}

extension KubeClient {
    /// Starts a streamed GET (a watch, a followed log): the body's iterator once the answer is a
    /// 2xx; otherwise the server's Status as an error. Unreachable servers throw `unreachable`.
    func openStream(url: String, accept: String) async throws -> HTTPClientResponse.Body.AsyncIterator {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "kctl")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, deadline: .distantFuture)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw unreachable(error)
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            var buffer = try await response.body.collect(upTo: 1 << 20)
            throw KubeClient.error(status: status, body: buffer.readBytes(length: buffer.readableBytes) ?? [])
        }
        return response.body.makeAsyncIterator()
    }
}
