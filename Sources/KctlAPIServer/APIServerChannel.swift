import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KctlServerRuntime
import Logging
import NIOCore
import NIOHTTP1

extension APIServer {
    /// The HTTP server for the API: HTTP/1.1, and the WebSocket upgrade `kubectl exec` asks for;
    /// each connection handled on its own event loop (`EventLoopBoundChannel`).
    public var httpServer: HTTPServerBuilder {
        let api = self
        return HTTPServerBuilder { responder in
            EventLoopBoundChannel(
                inner: UpgradeFilteringChannel(
                    inner: HTTP1WebSocketUpgradeChannel(
                        responder: responder, configuration: .init(ws: .init(maxFrameSize: 1 << 20)),
                        shouldUpgrade: { try await api.webSocketUpgrade($0, $1, $2) })))
        }
    }
}

/// Hummingbird's WebSocket channel, with the request's `Upgrade` header cut down to a WebSocket
/// handshake before NIO's upgrade handler reads it. That handler loses the request head of an
/// upgrade it has no upgrader for (`curl --http2` asks for `h2c`, SPDY clients for `SPDY/3.1`), and the
/// connection then closes without an answer; without the header the request is served as HTTP/1.1,
/// as it was before the server could upgrade.
struct UpgradeFilteringChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(UpgradeHeaderFilter(), position: .after(decoder))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Keeps only `websocket`, with its handshake headers, in the first request's `Upgrade` header
/// (dropping the header when nothing is left), then leaves the pipeline: later requests on the
/// connection no longer pass the upgrade handler.
final class UpgradeHeaderFilter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let offered = head.headers[canonicalForm: "upgrade"]
        if !offered.isEmpty {
            // The WebSocket upgrader only takes a request with its handshake headers.
            let handshake = head.headers.contains(name: "sec-websocket-key") && head.headers.contains(name: "sec-websocket-version")
            let kept = handshake ? offered.filter { $0.lowercased() == "websocket" } : []
            head.headers.remove(name: "upgrade")
            if !kept.isEmpty { head.headers.add(name: "Upgrade", value: kept.joined(separator: ", ")) }
        }
        context.fireChannelRead(wrapInboundOut(.head(head)))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
