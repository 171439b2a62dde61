import NIOCore
import NIOPosix

/// The first handler of a connection accepted on a Service address: picks the Service's ready
/// endpoints in round-robin order, connects to the first that answers, then joins the two
/// connections with a `ByteRelay` and leaves. The accepted connection does not read until then
/// (`autoRead` is off), so nothing needs buffering. No endpoint, or none that accepts: the client
/// connection is reset.
final class ServiceConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// The endpoints to try, in order, read when the connection is accepted.
    private let endpoints: @Sendable () -> EndpointCycle
    private let connectTimeout: TimeAmount
    private let onFailure: @Sendable (String) -> Void
    private var clientClosed = false

    init(
        connectTimeout: TimeAmount, endpoints: @escaping @Sendable () -> EndpointCycle,
        onFailure: @escaping @Sendable (String) -> Void
    ) {
        self.endpoints = endpoints
        self.connectTimeout = connectTimeout
        self.onFailure = onFailure
    }

    func channelActive(context: ChannelHandlerContext) {
        connect(context: context, candidates: endpoints(), errors: [])
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientClosed = true
        context.fireChannelInactive()
    }

    private func connect(context: ChannelHandlerContext, candidates: EndpointCycle, errors: [String]) {
        guard !clientClosed else { return }
        guard let endpoint = candidates.first else {
            if !errors.isEmpty { onFailure(errors.joined(separator: "; ")) }
            // A reset rather than an orderly close: the client learns at once that nobody answered.
            let channel = context.channel
            if let provider = channel as? any SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                channel.close(promise: nil)
            }
            return
        }
        let client = context.channel
        Self.bootstrap(on: context.eventLoop, connectTimeout: connectTimeout)
            .connect(host: endpoint.host, port: endpoint.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let backend):
                    self.join(context: context, client: client, backend: backend)
                case .failure(let error):
                    var rest = candidates
                    rest.removeFirst()
                    self.connect(context: context, candidates: rest, errors: errors + ["\(endpoint): \(error)"])
                }
            }
    }

    private func join(context: ChannelHandlerContext, client: any Channel, backend: any Channel) {
        guard !clientClosed else {
            backend.close(promise: nil)
            return
        }
        do {
            let (clientSide, backendSide) = ByteRelay.pair()
            try client.pipeline.syncOperations.addHandler(clientSide)
            try backend.pipeline.syncOperations.addHandler(backendSide)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            try client.syncOptions?.setOption(.autoRead, value: true)
            try backend.syncOptions?.setOption(.autoRead, value: true)
        } catch {
            backend.close(promise: nil)
            client.close(promise: nil)
        }
    }

    /// Connections to endpoints: on the client's event loop (the relay needs both on one loop), no
    /// reading before the relay is in place, half-close passed on, no Nagle delay.
    static func bootstrap(on eventLoop: any EventLoop, connectTimeout: TimeAmount) -> ClientBootstrap {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.autoRead, value: false)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
    }
}
