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
        let (stream, continuation) = AsyncThrowingStream<ClientWatchEvent, any Error>.makeStream()
        // The one unstructured task here: it bridges the HTTP body to the consumer's stream and is
        // cancelled from `onTermination`, so it never outlives the consumer.
        let task = Task { [http] in
            do {
                var request = HTTPClientRequest(url: url)
                request.headers.add(name: "Accept", value: "application/json")
                request.headers.add(name: "User-Agent", value: "kctl")
                let response: HTTPClientResponse
                do {
                    response = try await http.execute(request, deadline: .distantFuture)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw self.unreachable(error)
                }
                let status = Int(response.status.code)
                guard status == 200 else {
                    var buffer = try await response.body.collect(upTo: 1 << 20)
                    throw KubeClient.error(status: status, body: buffer.readBytes(length: buffer.readableBytes) ?? [])
                }
                var splitter = LineSplitter()
                for try await chunk in response.body {
                    let lines = chunk.withUnsafeReadableBytes { raw in
                        splitter.append(contentsOf: raw.assumingMemoryBound(to: UInt8.self))
                    }
                    for line in lines {
                        if let event = try WatchEventDecoder.decode(line: line) { continuation.yield(event) }
                    }
                }
                if let line = splitter.finish(), let event = try WatchEventDecoder.decode(line: line) {
                    continuation.yield(event)
                }
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
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
