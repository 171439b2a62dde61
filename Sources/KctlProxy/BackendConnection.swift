import NIOCore
import NIOHTTP1
import NIOPosix

/// What a backend connection reports to the client connection it currently serves.
protocol BackendConnectionDelegate: AnyObject {
    func backendRead(_ part: ResponseFramer.Part)
    func backendReadComplete()
    func backendWritabilityChanged(isWritable: Bool)
    /// The connection closed (with the error that closed it, if any).
    func backendClosed(error: (any Error)?)
    /// Whether the client can take more response bytes now.
    var clientIsWritable: Bool { get }
}

/// An HTTP/1.1 connection to one endpoint, serving one client request at a time and kept alive
/// between them in a `BackendPool`. Confined to its event loop (the client connection's).
final class BackendConnection {
    let endpoint: Endpoint
    let channel: any Channel
    fileprivate let handler: BackendHandler
    /// When it went back to the pool (idle connections are closed after a while).
    var idleSince = NIODeadline.uptimeNanoseconds(0)

    private init(endpoint: Endpoint, channel: any Channel, handler: BackendHandler) {
        self.endpoint = endpoint
        self.channel = channel
        self.handler = handler
    }

    /// Who gets this connection's responses; nil while it idles in the pool.
    var delegate: (any BackendConnectionDelegate)? {
        get { handler.delegate }
        set { handler.delegate = newValue }
    }

    /// Called when the connection closes while it has no delegate (it idles in the pool).
    var onIdleClose: (() -> Void)? {
        get { handler.onIdleClose }
        set { handler.onIdleClose = newValue }
    }

    var isActive: Bool { channel.isActive }

    /// Writes request bytes (sent at the next `flush`).
    func write(_ bytes: ByteBuffer) {
        channel.write(bytes, promise: nil)
    }

    /// Expects the response to a request about to be written; `unwrapChunks` for an HTTP/1.0
    /// client, which cannot take a chunked body.
    func expectResponse(to method: HTTPMethod, unwrapChunks: Bool) {
        handler.framer.expect(method: method, unwrapChunks: unwrapChunks)
    }

    func flush() { channel.flush() }

    /// Resumes reading responses once the client can take more.
    func resumeReading() { handler.resumeReading() }

    func close() { channel.close(promise: nil) }

    /// Connects on `eventLoop` (the client connection's: both sides of a proxied request then run
    /// on one thread and need no locking). Requests go out as the bytes the client connection
    /// made of them; responses come back as bytes framed by a `ResponseFramer`.
    static func connect(
        to endpoint: Endpoint, on eventLoop: any EventLoop, timeout: TimeAmount
    ) -> EventLoopFuture<BackendConnection> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BackendHandler())
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .flatMapThrowing { channel in
                let handler = try channel.pipeline.syncOperations.handler(type: BackendHandler.self)
                return BackendConnection(endpoint: endpoint, channel: channel, handler: handler)
            }
    }

    /// Takes the response framing out of the pipeline after a `101`, leaving raw bytes for the
    /// handler added in its place (the bytes that came after the `101` were handed over with it).
    func switchToBytes(adding relay: ByteRelay) throws {
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(relay)
        operations.removeHandler(context: try operations.context(handlerType: BackendHandler.self), promise: nil)
    }
}

/// Frames a backend connection's responses, passes their parts to its delegate, and reads only
/// while the client can take more.
private final class BackendHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Strong, not weak: a weak reference gives the client's handler a side table, and every
    /// retain and release of it on the request path takes the slow way. Every end of an exchange
    /// (response done, either side closed, switch to bytes) sets it back to nil.
    var delegate: (any BackendConnectionDelegate)?
    var onIdleClose: (() -> Void)?
    var framer = ResponseFramer()
    /// The parts of one read, kept to reuse the storage.
    private var parts: [ResponseFramer.Part] = []
    private var context: ChannelHandlerContext?
    private var readPending = false
    private var error: (any Error)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        guard delegate != nil else {
            // A response nobody asked for: the connection is out of step; drop it.
            context.close(promise: nil)
            return
        }
        var parts = self.parts
        self.parts = []
        do {
            try framer.feed(&buffer, into: &parts)
            deliver(&parts)
        } catch {
            // What was complete goes on first (a response may have ended before the bad bytes).
            deliver(&parts)
            errorCaught(context: context, error: error)
        }
    }

    /// Hands the parts to the delegate of the moment (an ended response leaves it nil).
    private func deliver(_ parts: inout [ResponseFramer.Part]) {
        for part in parts { delegate?.backendRead(part) }
        parts.removeAll(keepingCapacity: true)
        self.parts = parts
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.backendReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.backendWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body that runs until the close ends here.
        var parts: [ResponseFramer.Part] = []
        do {
            try framer.inputEnded(into: &parts)
        } catch {
            if self.error == nil { self.error = error }
        }
        deliver(&parts)
        if let delegate {
            self.delegate = nil
            delegate.backendClosed(error: error)
        } else {
            onIdleClose?()
        }
        onIdleClose = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if self.error == nil { self.error = error }
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if delegate?.clientIsWritable == false {
            readPending = true
        } else {
            context.read()
        }
    }

    func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }
}
