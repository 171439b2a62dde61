import KctlModel
import Logging
import NIOCore
import NIOHTTP1

/// What every ingress client connection shares: the route table, the Services and Endpoints, the
/// backend pools, the requests held for a Service to wake.
final class IngressShared: Sendable {
    let routes = Locked(IngressRoutes())
    let directory: ServiceDirectory
    let pools: BackendPools
    let logger: Logger
    let connectTimeout: TimeAmount
    /// How much of a request body is kept to send again when a reused backend connection turns
    /// out closed; a larger request gets a 502 instead of a retry.
    let replayLimit: Int
    /// Where a request waits for a Service with no ready endpoint to wake; nil: no waiting, a 503.
    let held: HeldRequests?
    /// How long a request is held at most.
    let wakeTimeout: TimeAmount
    /// `wakeTimeout` as the 503 after it says it (`30s`).
    let wakeTimeoutText: String

    init(
        directory: ServiceDirectory, pools: BackendPools, logger: Logger, connectTimeout: TimeAmount, replayLimit: Int,
        held: HeldRequests? = nil, wakeTimeout: Duration = .seconds(30)
    ) {
        self.directory = directory
        self.pools = pools
        self.logger = logger
        self.connectTimeout = connectTimeout
        self.replayLimit = replayLimit
        self.held = held
        self.wakeTimeout = TimeAmount(wakeTimeout)
        self.wakeTimeoutText = GoDuration.shortFormat(wakeTimeout)
    }
}

/// One client connection of the ingress proxy: routes each request, forwards it to an endpoint
/// of the backend Service over a pooled keep-alive connection, and streams the response back.
///
/// Requests are read from the bytes by a `RequestFramer` and handled one at a time; pipelined
/// ones wait in `queued`. Bodies stream both ways:
/// the client is read only while the backend connection can take more, and the backend only while
/// the client can. A connect that fails moves on to the next endpoint (nothing was sent, so this is
/// safe for every method); an idempotent request whose reused connection closed before answering
/// is sent again on a fresh one; any other failure before the response head is a 502, after it
/// the client connection is closed, which is all HTTP/1.1 can say. A `101 Switching Protocols`
/// turns both connections into a raw byte relay.
///
/// A request for a Service with no ready endpoint is held while the Service is woken (see
/// `HeldRequests`): it goes on as soon as an endpoint is ready, and gets a 503 after the wake
/// timeout. Its body is read on meanwhile, up to `replayLimit`, so that a client that leaves is
/// noticed and ends the wait.
final class IngressConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One request, its backend and its response.
    final class Exchange {
        let clientHead: RequestFramer.Head
        /// The request head as the backend gets it, in bytes (`ProxyHeaders.backendRequest`).
        let backendHead: ByteBuffer
        let backend: IngressRoutes.Backend
        /// Endpoints not tried yet, the current one first.
        var candidates: EndpointCycle
        var connectErrors: [String] = []
        var connection: BackendConnection?
        var reused = false
        /// Body bytes received while no backend connection is attached, to write once one is.
        var buffered: [ByteBuffer] = []
        /// The body bytes sent, to send again on a fresh connection; nil once over the limit or
        /// once the response has started.
        var replay: [ByteBuffer]? = []
        var replayBytes = 0
        var requestEnded = false
        var requestSent = false
        /// Request bytes were written to the backend connection since its last flush.
        var requestUnflushed = false
        var responseStarted = false
        var responseKeepAlive = true
        var clientKeepAlive: Bool
        /// While held for the Service to wake: the place in `HeldRequests` and the timeout.
        var hold: (id: UInt64, timer: Scheduled<Void>)?
        /// Body bytes kept in `buffered`, read while no connection was attached.
        var bufferedBytes = 0
        /// The client's bytes after an upgrade request, for the backend once it switches.
        var afterUpgrade: [ByteBuffer] = []

        init(
            clientHead: RequestFramer.Head, forwardedLines: ByteBuffer, backend: IngressRoutes.Backend,
            candidates: EndpointCycle
        ) {
            self.clientHead = clientHead
            self.backendHead = ProxyHeaders.backendRequest(clientHead, forwardedLines: forwardedLines)
            self.backend = backend
            self.candidates = candidates
            // Nothing is framed after an upgrade request, so that connection cannot carry another.
            self.clientKeepAlive = clientHead.keepAlive && !clientHead.isUpgrade
        }

        /// Detaches the backend connection and closes it.
        func closeConnection() {
            guard let connection else { return }
            self.connection = nil
            connection.delegate = nil
            connection.close()
        }
    }

    enum State {
        case idle
        case proxying(Exchange)
        /// Answered before the request ended: its remaining body is read and dropped.
        case discarding
        case closing
        /// Upgraded: the relay has taken over and this handler has left the pipeline.
        case switched
    }

    /// Pipelined requests held back until the one in progress is answered.
    private static let queueLimit = 64

    private let shared: IngressShared
    private var context: ChannelHandlerContext?
    private var pool: BackendPool!
    private var state = State.idle
    private var framer = RequestFramer()
    private var queued = CircularBuffer<RequestFramer.Part>()
    private var readPending = false
    private var clientAddress: String?
    /// The last `Host` of this connection's requests, and its normalized form.
    private var lastHost: (raw: String, normalized: String)?
    /// The last backend this connection resolved, and to what.
    private var lastResolved: (backend: IngressRoutes.Backend, port: ResolvedPort)?
    /// The `X-Forwarded-*` lines of this connection's last request without an `X-Forwarded-For`,
    /// and its `Host`: the next such request with the same `Host` gets the same lines.
    private var lastForwarded: (host: String?, lines: ByteBuffer)?
    /// Response bytes were written to the client since its last flush.
    private var responseUnflushed = false

    init(shared: IngressShared) {
        self.shared = shared
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        pool = shared.pools.pool(for: context.eventLoop)
        clientAddress = context.channel.remoteAddress?.ipAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Client events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        framer.feed(&buffer, into: &queued)
        processQueued(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxying(let exchange) = state, exchange.requestUnflushed {
            exchange.requestUnflushed = false
            exchange.connection?.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .proxying(let exchange) = state { exchange.connection?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        abandon()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        shared.logger.debug("ingress: client \(clientAddress ?? "?"): \(error)")
        close(context)
    }

    func read(context: ChannelHandlerContext) {
        if mayRead {
            context.read()
        } else {
            readPending = true
        }
    }

    /// Whether to read from the client now: not while connecting, only while the backend can take
    /// more of the body, and, once the request has been sent, only until a few pipelined requests
    /// have piled up (reading on lets a client that hangs up end the exchange).
    private var mayRead: Bool {
        switch state {
        case .idle, .discarding, .switched: return true
        case .closing: return false
        case .proxying(let exchange):
            guard let connection = exchange.connection else {
                guard exchange.hold != nil else { return false }
                return exchange.requestEnded
                    ? queued.count < Self.queueLimit : exchange.bufferedBytes < shared.replayLimit
            }
            if exchange.requestEnded { return queued.count < Self.queueLimit }
            return connection.channel.isWritable
        }
    }

    private func resumeReading() {
        guard readPending, mayRead, let context else { return }
        readPending = false
        context.read()
    }

    /// Whether `part` belongs to a request after the one in progress, and waits for it to be answered.
    private func waits(_ part: RequestFramer.Part) -> Bool {
        switch (part, state) {
        case (_, .idle): return false
        case (.head, _): return true
        // A request that does not parse: the one in progress if its body is being read, else the next.
        case (.invalid, .proxying(let exchange)): return exchange.requestEnded
        default: return false
        }
    }

    // MARK: Requests

    private func handle(_ part: RequestFramer.Part, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            start(head, context: context)
        case (.body(let buffer), .proxying(let exchange)):
            forward(buffer, exchange)
        case (.end, .proxying(let exchange)):
            exchange.requestEnded = true
            if let connection = exchange.connection {
                exchange.requestSent = true
                exchange.requestUnflushed = false
                connection.flush()
            }
        case (.upgraded(let bytes), .proxying(let exchange)):
            exchange.afterUpgrade.append(bytes)
        case (.invalid(let error), .idle):
            // A request that does not parse is answered when no other answer is under way, then the connection ends.
            shared.logger.debug("ingress: client \(clientAddress ?? "?"): \(error)")
            let status = "\(error.status.code) \(error.status.reasonPhrase)"
            context.write(
                wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")),
                promise: nil)
            endResponse(keepAlive: false, context: context)
        case (.invalid(let error), _):
            shared.logger.debug("ingress: client \(clientAddress ?? "?"): \(error)")
            close(context)
        case (.end, .discarding):
            state = .idle
        case (.body, .discarding), (.upgraded, _), (_, .closing), (_, .switched):
            break
        case (.head, _), (.body, .idle), (.end, .idle):
            // Out of order (cannot come from the framer): give up on the connection.
            close(context)
        }
    }

    /// Handles the queued parts of the next requests while the connection is free for them.
    private func processQueued(context: ChannelHandlerContext) {
        while let part = queued.first, !waits(part) {
            queued.removeFirst()
            handle(part, context: context)
        }
        resumeReading()
    }

    private func start(_ head: RequestFramer.Head, context: ChannelHandlerContext) {
        let host = head.host ?? ""
        if lastHost?.raw != host { lastHost = (host, IngressRoutes.normalizedHost(host)) }
        let normalized = lastHost!.normalized
        let path = IngressRoutes.requestPath(head.target)
        if head.method == .CONNECT {
            // What follows a CONNECT is a tunnel's bytes, not another request: the connection ends.
            head.keepAlive = false
            respond(.methodNotAllowed, "the ingress does not tunnel CONNECT", to: head, requestEnded: false, context: context)
            return
        }
        guard let backend = shared.routes.withLock({ $0.route(normalizedHost: normalized, requestPath: path) }) else {
            respond(.notFound, "no ingress rule for \(host) \(path)", to: head, requestEnded: false, context: context)
            return
        }
        let resolved = resolvedPort(of: backend)
        if let problem = Self.problem(resolved.resolution, backend) {
            respond(.serviceUnavailable, problem, to: head, requestEnded: false, context: context)
            return
        }
        let candidates = resolved.rotated()
        guard !candidates.isEmpty else {
            guard let held = shared.held else {
                respond(
                    .serviceUnavailable, "no ready endpoints for service \(backend.serviceKey)", to: head,
                    requestEnded: false, context: context)
                return
            }
            let exchange = Exchange(
                clientHead: head, forwardedLines: forwardedLines(head),
                backend: backend, candidates: EndpointCycle())
            state = .proxying(exchange)
            hold(exchange, in: held, context: context)
            return
        }
        let exchange = Exchange(
            clientHead: head, forwardedLines: forwardedLines(head),
            backend: backend, candidates: candidates)
        state = .proxying(exchange)
        acquire(exchange, context: context, usePool: true)
    }

    /// The lines the ingress adds to `head` for the backend (`ProxyHeaders.forwardedLines`).
    private func forwardedLines(_ head: RequestFramer.Head) -> ByteBuffer {
        guard head.forwardedFor.isEmpty else { return ProxyHeaders.forwardedLines(head, clientAddress: clientAddress) }
        if let last = lastForwarded, last.host == head.host { return last.lines }
        let lines = ProxyHeaders.forwardedLines(head, clientAddress: clientAddress)
        lastForwarded = (head.host, lines)
        return lines
    }

    /// The backend's Service port as resolved now: the one this connection used last while the
    /// directory has not changed since (most requests of a connection go to one backend).
    private func resolvedPort(of backend: IngressRoutes.Backend) -> ResolvedPort {
        let directory = shared.directory
        if let last = lastResolved, last.backend == backend, last.port.generation == directory.generation {
            return last.port
        }
        let port = directory.resolvedPort(namespace: backend.namespace, service: backend.service, port: backend.port)
        lastResolved = (backend, port)
        return port
    }

    /// Why a backend cannot be served at all (503), or nil when it resolved to endpoints (maybe none).
    private static func problem(_ resolution: ServiceDirectory.Resolution, _ backend: IngressRoutes.Backend)
        -> String?
    {
        switch resolution {
        case .noService: return "no service \(backend.serviceKey)"
        case .noPort: return "service \(backend.serviceKey) has no port \(backend.port)"
        case .endpoints: return nil
        }
    }

    // MARK: Held requests

    /// Holds a request until its Service has a ready endpoint, asking for a wake-up if it is the first.
    private func hold(_ exchange: Exchange, in held: HeldRequests, context: ChannelHandlerContext) {
        let backend = exchange.backend
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, exchange), eventLoop: loop)
        let id = held.hold(namespace: backend.namespace, service: backend.service) { notice in
            loop.execute { bound.value.0.heldNotice(notice, exchange: bound.value.1) }
        }
        guard let id else {
            respond(
                .serviceUnavailable, "too many requests waiting for service \(backend.serviceKey) to wake",
                to: exchange.clientHead, requestEnded: false, context: context)
            return
        }
        let timer = loop.assumeIsolated().scheduleTask(in: shared.wakeTimeout) { [weak self] () -> Void in
            self?.holdTimedOut(exchange)
        }
        exchange.hold = (id, timer)
        shared.logger.debug("ingress: holding a request for \(backend.serviceKey) while it wakes")
        // An endpoint may have become ready between the lookup and the hold.
        lookAgain(exchange)
        resumeReading()
    }

    private func heldNotice(_ notice: HeldRequests.Notice, exchange: Exchange) {
        guard exchange.hold != nil, case .proxying(let current) = state, current === exchange, let context else {
            return
        }
        switch notice {
        case .changed:
            lookAgain(exchange)
        case .nothingToWake:
            endHold(exchange)
            respond(
                .serviceUnavailable, "no ready endpoints for service \(exchange.backend.serviceKey)",
                to: exchange.clientHead, requestEnded: exchange.requestEnded, context: context)
        }
    }

    /// Sends a held request on once its Service has a ready endpoint.
    private func lookAgain(_ exchange: Exchange) {
        guard exchange.hold != nil, let context else { return }
        let resolved = resolvedPort(of: exchange.backend)
        if let problem = Self.problem(resolved.resolution, exchange.backend) {
            endHold(exchange)
            respond(
                .serviceUnavailable, problem, to: exchange.clientHead, requestEnded: exchange.requestEnded,
                context: context)
            return
        }
        let candidates = resolved.rotated()
        guard !candidates.isEmpty else { return }
        endHold(exchange)
        exchange.candidates = candidates
        acquire(exchange, context: context, usePool: true)
    }

    private func holdTimedOut(_ exchange: Exchange) {
        guard exchange.hold != nil, case .proxying(let current) = state, current === exchange, let context else {
            return
        }
        endHold(exchange)
        respond(
            .serviceUnavailable,
            "service \(exchange.backend.serviceKey) was woken but no replica became ready within \(shared.wakeTimeoutText)",
            to: exchange.clientHead, requestEnded: exchange.requestEnded, context: context)
    }

    /// Gives up the request's place among the held ones, if it has one.
    private func endHold(_ exchange: Exchange) {
        guard let hold = exchange.hold else { return }
        exchange.hold = nil
        hold.timer.cancel()
        shared.held?.release(service: exchange.backend.serviceKey, id: hold.id)
    }

    /// Sends bytes of the request body on, or keeps them until a connection is attached.
    private func forward(_ bytes: ByteBuffer, _ exchange: Exchange) {
        if exchange.replay != nil {
            exchange.replayBytes += bytes.readableBytes
            if exchange.replayBytes > shared.replayLimit {
                exchange.replay = nil
            } else {
                exchange.replay?.append(bytes)
            }
        }
        if let connection = exchange.connection {
            connection.write(bytes)
            exchange.requestUnflushed = true
        } else {
            exchange.bufferedBytes += bytes.readableBytes
            exchange.buffered.append(bytes)
        }
    }

    // MARK: Backend connections

    private func acquire(_ exchange: Exchange, context: ChannelHandlerContext, usePool: Bool) {
        guard let endpoint = exchange.candidates.first else {
            let errors = exchange.connectErrors.joined(separator: "; ")
            shared.logger.warning(
                "ingress: no endpoint of \(exchange.backend.serviceKey) accepted a connection: \(errors)")
            respond(
                .badGateway, "no endpoint of service \(exchange.backend.serviceKey) accepted a connection",
                to: exchange.clientHead, requestEnded: exchange.requestEnded, context: context)
            return
        }
        if usePool, let connection = pool.take(endpoint) {
            attach(connection, to: exchange, reused: true)
            return
        }
        BackendConnection.connect(to: endpoint, on: context.eventLoop, timeout: shared.connectTimeout)
            .assumeIsolated()
            .whenComplete { result in
                guard case .proxying(let current) = self.state, current === exchange, let context = self.context else {
                    // The client left while connecting: an unused connection is as good as a pooled one.
                    if case .success(let connection) = result { self.pool.put(connection) }
                    return
                }
                switch result {
                case .success(let connection):
                    self.attach(connection, to: exchange, reused: false)
                case .failure(let error):
                    exchange.connectErrors.append("\(endpoint): \(error)")
                    exchange.candidates.removeFirst()
                    self.shared.logger.debug(
                        "ingress: connect to \(endpoint) of \(exchange.backend.serviceKey) failed: \(error)")
                    self.acquire(exchange, context: context, usePool: true)
                }
            }
    }

    private func attach(_ connection: BackendConnection, to exchange: Exchange, reused: Bool) {
        exchange.connection = connection
        exchange.reused = reused
        connection.delegate = self
        connection.expectResponse(
            to: exchange.clientHead.method, unwrapChunks: exchange.clientHead.version == .http1_0)
        connection.write(exchange.backendHead)
        let buffered = exchange.buffered
        exchange.buffered = []
        for bytes in buffered { connection.write(bytes) }
        exchange.requestSent = exchange.requestEnded
        exchange.requestUnflushed = false
        connection.flush()
        resumeReading()
    }

    // MARK: Answers

    /// Answers from the proxy itself, with a short text body saying why.
    private func respond(
        _ status: HTTPResponseStatus, _ message: String, to head: RequestFramer.Head, requestEnded: Bool,
        context: ChannelHandlerContext
    ) {
        // A client waiting for `100 Continue` will not send the body it announced, so the
        // connection cannot be trusted for another request.
        let keepAlive = head.keepAlive && !head.isUpgrade && (requestEnded || !head.expectsContinue)
        var headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(message.utf8.count + 1)),
        ])
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        var out = context.channel.allocator.buffer(capacity: 160 + message.utf8.count)
        ProxyHeaders.write(HTTPResponseHead(version: head.version, status: status, headers: headers), to: &out)
        if head.method != .HEAD {
            out.writeString(message)
            out.writeString("\n")
        }
        context.write(wrapOutboundOut(out), promise: nil)
        endResponse(keepAlive: keepAlive, context: context)
        if keepAlive {
            state = requestEnded ? .idle : .discarding
            processQueued(context: context)
        }
    }

    /// Sends a response's bytes on; closes the client connection once they are out unless kept alive.
    private func endResponse(keepAlive: Bool, context: ChannelHandlerContext) {
        responseUnflushed = false
        guard !keepAlive else {
            context.flush()
            return
        }
        state = .closing
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        // Writes complete in order: an empty one's completion marks the end of the response.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: written)
    }

    private func close(_ context: ChannelHandlerContext) {
        abandon()
        context.close(promise: nil)
    }

    /// Gives up the exchange in progress, if any: its place among the held requests and its
    /// backend connection, whose state is unknown mid-exchange.
    private func abandon() {
        if case .proxying(let exchange) = state {
            endHold(exchange)
            exchange.closeConnection()
        }
        state = .closing
    }

    /// Both connections become a byte relay after a `101`: its head and the bytes after it go to
    /// the client, what the client sent after its request goes to the backend, the relays go in,
    /// and every HTTP handler comes out.
    private func switchToBytes(
        _ exchange: Exchange, head: ResponseFramer.Head, leftover: ByteBuffer, context: ChannelHandlerContext
    ) {
        guard let connection = exchange.connection else { return }
        exchange.connection = nil
        connection.delegate = nil
        state = .switched
        context.write(
            wrapOutboundOut(ProxyHeaders.clientResponse(head, version: exchange.clientHead.version, keepAlive: true)),
            promise: nil)
        if leftover.readableBytes > 0 { context.write(wrapOutboundOut(leftover), promise: nil) }
        context.flush()
        let (clientRelay, backendRelay) = ByteRelay.pair()
        do {
            let operations = context.pipeline.syncOperations
            try operations.addHandler(clientRelay)
            try connection.switchToBytes(adding: backendRelay)
            for bytes in exchange.afterUpgrade { connection.write(bytes) }
            exchange.afterUpgrade = []
            operations.removeHandler(context: context, promise: nil)
            connection.flush()
            // Reads held back while waiting for the 101 must not stall the relay.
            context.channel.read()
            connection.channel.read()
        } catch {
            shared.logger.warning("ingress: cannot switch \(exchange.backend.serviceKey) to a raw connection: \(error)")
            connection.close()
            context.channel.close(promise: nil)
        }
    }
}

// MARK: Backend events

extension IngressConnectionHandler: BackendConnectionDelegate {
    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func backendRead(_ part: ResponseFramer.Part) {
        guard case .proxying(let exchange) = state, let context else { return }
        let version = exchange.clientHead.version
        switch part {
        case .head(let head) where head.isInformational:
            context.writeAndFlush(
                wrapOutboundOut(ProxyHeaders.clientResponse(head, version: version, keepAlive: true)), promise: nil)
        case .head(let head):
            responseUnflushed = true
            context.write(wrapOutboundOut(startResponse(head, exchange) ?? head.bytes), promise: nil)
        case .complete(let head, let whole):
            if let out = startResponse(head, exchange) {
                let headLength = head.bytes.readableBytes
                let body = whole.getSlice(at: whole.readerIndex + headLength, length: whole.readableBytes - headLength)!
                context.write(wrapOutboundOut(out), promise: nil)
                context.write(wrapOutboundOut(body), promise: nil)
            } else {
                // The head goes on unchanged: head and body leave as the one slice they came in.
                context.write(wrapOutboundOut(whole), promise: nil)
            }
            finish(exchange, context: context)
        case .body(let buffer):
            responseUnflushed = true
            context.write(wrapOutboundOut(buffer), promise: nil)
        case .end:
            finish(exchange, context: context)
        case .switched(let head, let leftover):
            exchange.responseStarted = true
            exchange.replay = nil
            guard exchange.clientHead.isUpgrade else {
                // A switch nobody asked for: nothing of it has reached the client yet.
                exchange.closeConnection()
                shared.logger.warning("ingress: a backend of \(exchange.backend.serviceKey) switched protocols unasked")
                respond(
                    .badGateway, "a backend of service \(exchange.backend.serviceKey) switched protocols unasked",
                    to: exchange.clientHead, requestEnded: exchange.requestEnded, context: context)
                return
            }
            switchToBytes(exchange, head: head, leftover: leftover, context: context)
        }
    }

    /// The final response head has come: the head as the client gets it, nil when that is the
    /// head as received.
    private func startResponse(_ head: ResponseFramer.Head, _ exchange: Exchange) -> ByteBuffer? {
        exchange.responseStarted = true
        exchange.replay = nil
        exchange.responseKeepAlive = head.keepAlive && !head.endsWithClose
        // A body that ends with the backend's close, or one unwrapped from its chunks for an
        // HTTP/1.0 client, ends the client connection too.
        let version = exchange.clientHead.version
        let unwrapped = version == .http1_0 && head.chunked
        if head.endsWithClose || unwrapped { exchange.clientKeepAlive = false }
        return ProxyHeaders.rewrittenResponse(
            head, version: version, keepAlive: exchange.clientKeepAlive, unwrapped: unwrapped)
    }

    /// The response is complete: the backend connection goes back to the pool if both sides of
    /// the exchange ended cleanly, and the client connection takes its next request.
    private func finish(_ exchange: Exchange, context: ChannelHandlerContext) {
        if let connection = exchange.connection {
            exchange.connection = nil
            connection.delegate = nil
            if exchange.requestSent && exchange.responseKeepAlive && !exchange.clientHead.isUpgrade {
                pool.put(connection)
            } else {
                connection.close()
            }
        }
        endResponse(keepAlive: exchange.clientKeepAlive, context: context)
        guard exchange.clientKeepAlive else { return }
        state = exchange.requestEnded ? .idle : .discarding
        processQueued(context: context)
    }

    func backendReadComplete() {
        guard responseUnflushed else { return }
        responseUnflushed = false
        context?.flush()
    }

    func backendWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeReading() }
    }

    func backendClosed(error: (any Error)?) {
        guard case .proxying(let exchange) = state, let connection = exchange.connection, let context else { return }
        exchange.connection = nil
        let endpoint = connection.endpoint
        let reason = error.map { "\($0)" } ?? "connection closed"
        if exchange.responseStarted {
            // Part of the response is out: closing is the only way left to tell the client.
            shared.logger.warning(
                "ingress: \(endpoint) of \(exchange.backend.serviceKey) closed mid-response (\(reason))")
            close(context)
            return
        }
        if exchange.reused, exchange.clientHead.isIdempotent, let replay = exchange.replay {
            // A kept-alive connection the backend had closed: send the request again on a new one.
            exchange.buffered = replay
            exchange.requestSent = false
            acquire(exchange, context: context, usePool: false)
            return
        }
        shared.logger.warning("ingress: \(endpoint) of \(exchange.backend.serviceKey) failed: \(reason)")
        exchange.candidates = EndpointCycle()
        respond(
            .badGateway, "backend \(endpoint) of service \(exchange.backend.serviceKey) failed: \(reason)",
            to: exchange.clientHead, requestEnded: exchange.requestEnded, context: context)
    }
}
