import KctlModel
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A TCP server that greets each connection with its name and a newline, then echoes: the
/// greeting tells a test which endpoint the service proxy picked.
final class NameEchoServer: Sendable {
    let name: String
    let host: String
    let port: Int
    private let channel: any Channel

    private init(name: String, host: String, port: Int, channel: any Channel) {
        self.name = name
        self.host = host
        self.port = port
        self.channel = channel
    }

    static func start(name: String, host: String) async throws -> NameEchoServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NameEchoHandler(name: name))
                }
            }
            .bind(host: host, port: 0).get()
        return NameEchoServer(name: name, host: host, port: channel.localAddress?.port ?? 0, channel: channel)
    }

    func stop() async { try? await channel.close() }
}

private final class NameEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let name: String

    init(name: String) { self.name = name }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "\(name)\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client finished sending: finish too, after the echo.
        if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil) }
    }
}

/// An HTTP backend that describes each request it gets (`backend=NAME method=... bytes=N`),
/// counts its connections, streams N bytes (chunked) for `.../large?bytes=N`, drops the connection on
/// `.../break`, and echoes WebSocket frames after an upgrade on any path.
final class HTTPTestBackend: Sendable {
    let name: String
    let host: String
    let port: Int
    private let channel: any Channel
    private let accepted: Locked<Int>

    /// Connections accepted so far.
    var connections: Int { accepted.withLock { $0 } }

    private init(name: String, host: String, port: Int, channel: any Channel, accepted: Locked<Int>) {
        self.name = name
        self.host = host
        self.port = port
        self.channel = channel
        self.accepted = accepted
    }

    static func start(name: String, host: String) async throws -> HTTPTestBackend {
        let accepted = Locked(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let id = accepted.withLock { count -> Int in
                    count += 1
                    return count
                }
                let upgrader = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(WebSocketEchoHandler())
                        }
                    })
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (
                            upgraders: [upgrader],
                            completionHandler: { context in
                                context.pipeline.removeHandler(name: "describe", promise: nil)
                            }
                        ))
                    try channel.pipeline.syncOperations.addHandler(
                        DescribeHandler(name: name, connection: id), name: "describe")
                }
            }
            .bind(host: host, port: 0).get()
        return HTTPTestBackend(
            name: name, host: host, port: channel.localAddress?.port ?? 0, channel: channel, accepted: accepted)
    }

    func stop() async { try? await channel.close() }
}

private final class DescribeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let name: String
    let connection: Int
    private var head: HTTPRequestHead?
    private var bytes = 0

    init(name: String, connection: Int) {
        self.name = name
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            bytes = 0
            if head.uri.hasSuffix("/break") { context.close(promise: nil) }
        case .body(let buffer):
            bytes += buffer.readableBytes
        case .end:
            guard let head else { return }
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        if let marker = head.uri.range(of: "/large?bytes="), let size = Int(head.uri[marker.upperBound...]) {
            // No Content-Length: the body goes out chunked.
            let response = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["X-Backend": name])
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: 64 * 1024)
            var left = size
            while left > 0 {
                let part = chunk.getSlice(at: 0, length: min(left, chunk.readableBytes))!
                context.write(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
                left -= part.readableBytes
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        func header(_ name: String) -> String { head.headers[name].joined(separator: "|") }
        let text = [
            "backend=\(name)", "method=\(head.method.rawValue)", "uri=\(head.uri)", "host=\(header("host"))",
            "xff=\(header("x-forwarded-for"))", "xfp=\(header("x-forwarded-proto"))",
            "xfh=\(header("x-forwarded-host"))", "connection=\(header("connection"))", "bytes=\(bytes)",
            "conn=\(connection)",
        ].joined(separator: "\n")
        let body = ByteBuffer(string: text)
        let response = HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["Content-Length": String(body.readableBytes), "X-Backend": name])
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

private final class WebSocketEchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .binary:
            let echo = WebSocketFrame(fin: true, opcode: frame.opcode, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(echo), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }
}
