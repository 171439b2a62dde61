import NIOCore

/// Copies bytes both ways between two channels on one event loop: the service proxy's client and
/// backend connections, and an ingress connection once a WebSocket upgrade has switched it to raw
/// bytes.
///
/// Back-pressure: a side reads only while the other side is writable, so a slow reader slows the
/// writer down instead of filling memory. Half-close: an end of input on one side shuts down the
/// output of the other (both channels need `allowRemoteHalfClosure`); a channel whose input and
/// output are both done is closed, and a closed channel closes its partner.
///
///     let (a, b) = ByteRelay.pair()
///     try client.pipeline.syncOperations.addHandler(a)
///     try backend.pipeline.syncOperations.addHandler(b)
final class ByteRelay: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: ByteRelay?
    private var context: ChannelHandlerContext?
    /// A read the channel asked for while the partner could not take more.
    private var readPending = false
    /// The peer of this channel has finished sending.
    private var inputClosed = false
    /// This side has finished sending to its peer.
    private var outputClosed = false

    private init() {}

    /// Two handlers joined to each other, one for each channel.
    static func pair() -> (ByteRelay, ByteRelay) {
        let first = ByteRelay()
        let second = ByteRelay()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // MARK: This channel's events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.send(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            partner?.peerFinished()
            if outputClosed { closeWhenWritten(context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable == true {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: Calls from the partner

    private func send(_ data: NIOAny) {
        context?.write(data, promise: nil)
    }

    private func resumeReading() {
        guard readPending, let context else { return }
        readPending = false
        context.read()
    }

    /// The partner's peer will send nothing more: pass the end on to this side's peer.
    private func peerFinished() {
        guard let context, !outputClosed else { return }
        outputClosed = true
        if inputClosed {
            closeWhenWritten(context)
            return
        }
        context.flush()
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenFailure { _ in channel.close(promise: nil) }
        context.close(mode: .output, promise: promise)
    }

    /// Closes the channel once what was written to it has gone out. (NIO turns a half-close of a
    /// channel whose input has ended into a full close, which drops unwritten bytes; writes
    /// complete in order, so an empty write's completion marks the end of the others.)
    private func closeWhenWritten(_ context: ChannelHandlerContext) {
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(NIOAny(ByteBuffer()), promise: promise)
    }
}
