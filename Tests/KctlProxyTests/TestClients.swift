import NIOCore
import NIOHTTP1
import NIOPosix

struct ConnectionClosed: Error {}

/// A raw TCP client connection, used from one task.
final class TCPConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()
    private(set) var ended = false

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Stops sending (a half-close).
    func finish() {
        outbound.finish()
    }

    /// Reads more into the buffer; false at the end of the stream (or a reset).
    private func fill() async throws -> Bool {
        guard !ended else { return false }
        do {
            guard var more = try await inbound.next() else {
                ended = true
                return false
            }
            buffer.writeBuffer(&more)
            return true
        } catch {
            ended = true
            return false
        }
    }

    /// The next line without its newline; nil when the stream ends first.
    func readLine() async throws -> String? {
        while true {
            if let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = newline - buffer.readerIndex
                let line = buffer.readString(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                return line
            }
            guard try await fill() else { return nil }
        }
    }

    /// Exactly `count` bytes; nil when the stream ends first.
    func read(count: Int) async throws -> [UInt8]? {
        while buffer.readableBytes < count {
            guard try await fill() else { return nil }
        }
        return buffer.readBytes(length: count)
    }

    /// Everything up to and including `\r\n\r\n`; nil when the stream ends first.
    func readHead() async throws -> String? {
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let bytes = Array(buffer.readableBytesView)
            if bytes.count >= 4, let index = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == end })
            {
                return buffer.readString(length: index + 4)
            }
            guard try await fill() else { return nil }
        }
    }

    /// Whether the peer closes (or resets) the connection without sending anything more.
    func closesWithoutData() async throws -> Bool {
        while try await fill() {}
        return buffer.readableBytes == 0
    }
}

func withTCPConnection<R>(
    host: String, port: Int, _ body: (TCPConnection) async throws -> R
) async throws -> R {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelOption(.allowRemoteHalfClosure, value: true)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(TCPConnection(inbound, outbound))
    }
}

/// Whether a TCP connect to `host:port` is refused.
func connectIsRefused(host: String, port: Int) async -> Bool {
    do {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port).get()
        try? await channel.close()
        return false
    } catch {
        return true
    }
}

/// One HTTP response as a test client saw it.
struct TestResponse {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    /// The body, when at most 64 KiB.
    var body: String
    var bodyBytes: Int

    /// A `key=value` line of an `HTTPTestBackend` description.
    subscript(field: String) -> String? {
        body.split(separator: "\n").first { $0.hasPrefix("\(field)=") }.map { String($0.dropFirst(field.count + 1)) }
    }
}

/// An HTTP/1.1 client connection that sends requests one after another on the same connection.
final class HTTPConnection {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    init(
        _ inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
        _ outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Sends a request (with `bodySize` bytes of body sent in 64 KiB parts, chunked or with a
    /// `Content-Length`) and reads its response.
    func send(
        _ method: HTTPMethod = .GET, _ uri: String, host: String = "test.local", headers: [(String, String)] = [],
        bodySize: Int = 0, chunked: Bool = false
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers.add(name: "Host", value: host)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if chunked {
            head.headers.add(name: "Transfer-Encoding", value: "chunked")
        } else if bodySize > 0 {
            head.headers.add(name: "Content-Length", value: String(bodySize))
        }
        try await outbound.write(.head(head))
        var left = bodySize
        let chunk = ByteBuffer(repeating: UInt8(ascii: "b"), count: 64 * 1024)
        while left > 0 {
            let part = chunk.getSlice(at: 0, length: min(left, chunk.readableBytes))!
            try await outbound.write(.body(.byteBuffer(part)))
            left -= part.readableBytes
        }
        try await outbound.write(.end(nil))

        var response: TestResponse?
        var body = ByteBuffer()
        while let part = try await inbound.next() {
            switch part {
            case .head(let head):
                response = TestResponse(status: head.status, headers: head.headers, body: "", bodyBytes: 0)
            case .body(var buffer):
                response?.bodyBytes += buffer.readableBytes
                if body.readableBytes + buffer.readableBytes <= 64 * 1024 { body.writeBuffer(&buffer) }
            case .end:
                response?.body = String(buffer: body)
                if let response { return response }
                throw ConnectionClosed()
            }
        }
        throw ConnectionClosed()
    }
}

func withHTTPConnection<R>(
    host: String, port: Int, _ body: (HTTPConnection) async throws -> R
) async throws -> R {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHTTPClientHandlers()
                return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                    wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(HTTPConnection(inbound, outbound))
    }
}

/// One request on a connection of its own.
func httpRequest(
    host: String, port: Int, _ method: HTTPMethod = .GET, _ uri: String, requestHost: String = "test.local",
    headers: [(String, String)] = [], bodySize: Int = 0, chunked: Bool = false
) async throws -> TestResponse {
    try await withHTTPConnection(host: host, port: port) { connection in
        try await connection.send(
            method, uri, host: requestHost, headers: headers, bodySize: bodySize, chunked: chunked)
    }
}
