import KctlModel
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `httpGet` and `tcpSocket` handlers, on NIO directly: one fresh connection per probe (as
/// Kubernetes, which disables keep-alive for probes), a timer on the connection's event loop for
/// the timeout, no task or client machinery in between, so that hundreds of probes a second cost
/// little. Messages follow Go's, which is what Kubernetes users know from `kubectl describe`.
enum NetworkProbes {
    /// `User-Agent` of HTTP probes, unless the probe sets its own (Kubernetes: `kube-probe/1.xx`).
    static let userAgent = "kube-probe/kctl"

    static func httpGet(
        _ action: HTTPGetAction, target: ProbeTarget, timeout: Duration, group: any EventLoopGroup
    ) async -> ProbeOutcome {
        let scheme = (action.scheme ?? "HTTP").uppercased()
        guard scheme == "HTTP" else {
            return .failure("\(scheme) probes are not supported (only HTTP): kctl has no TLS for probes")
        }
        let port: Int
        switch resolvePort(action.port, in: target.ports) {
        case .success(let number): port = number
        case .failure(let error): return .failure(error.message)
        }
        let host = action.host.flatMap { $0.isEmpty ? nil : $0 } ?? target.podIP
        var path = action.path ?? "/"
        if !path.hasPrefix("/") { path = "/" + path }
        let authority = joinHostPort(host, port)
        let url = "http://\(authority)\(path)"
        let request: ByteBuffer
        switch requestHead(path: path, authority: authority, headers: action.httpHeaders ?? []) {
        case .success(let text): request = ByteBuffer(string: text)
        case .failure(let error): return .failure("Get \"\(url)\": \(error.message)")
        }

        let loop = group.next()
        let promise = loop.makePromise(of: Int.self)
        connect(host: host, port: port, on: loop, timeout: timeout, promise: promise) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(HTTPProbeHandler(request: request, promise: promise))
            }
        }
        do {
            let status = try await promise.futureResult.get()
            if (200..<400).contains(status) { return .success }
            return .failure("HTTP probe failed with statuscode: \(status)")
        } catch ProbeTimedOut.timedOut {
            return .failure("Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        } catch {
            return .failure("Get \"\(url)\": \(describe(error, authority: authority))")
        }
    }

    static func tcpSocket(
        _ action: TCPSocketAction, target: ProbeTarget, timeout: Duration, group: any EventLoopGroup
    ) async -> ProbeOutcome {
        let port: Int
        switch resolvePort(action.port, in: target.ports) {
        case .success(let number): port = number
        case .failure(let error): return .failure(error.message)
        }
        let host = action.host.flatMap { $0.isEmpty ? nil : $0 } ?? target.podIP
        let authority = joinHostPort(host, port)
        let loop = group.next()
        let promise = loop.makePromise(of: Int.self)
        let connecting = connect(host: host, port: port, on: loop, timeout: timeout, promise: promise) { channel in
            channel.eventLoop.makeSucceededVoidFuture()
        }
        connecting.whenSuccess { _ in promise.succeed(0) }
        do {
            _ = try await promise.futureResult.get()
            return .success
        } catch ProbeTimedOut.timedOut {
            return .failure("dial tcp \(authority): i/o timeout")
        } catch {
            return .failure(describe(error, authority: authority))
        }
    }

    // MARK: Plumbing

    enum ProbeTimedOut: Error { case timedOut }

    struct ProbeError: Error, Equatable {
        var message: String
    }

    /// Connects on `loop`; `promise` fails when the connection fails or `timeout` passes first, and
    /// the channel is closed as soon as `promise` completes either way.
    @discardableResult
    private static func connect(
        host: String, port: Int, on loop: any EventLoop, timeout: Duration, promise: EventLoopPromise<Int>,
        initializer: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let nanos = Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let timer = loop.scheduleTask(in: .nanoseconds(nanos)) { promise.fail(ProbeTimedOut.timedOut) }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(nanos))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer(initializer)
        let connecting: EventLoopFuture<any Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connecting = bootstrap.connect(to: address)
        } else {
            connecting = bootstrap.connect(host: host, port: port)
        }
        connecting.whenFailure { promise.fail($0) }
        promise.futureResult.whenComplete { _ in
            timer.cancel()
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return connecting
    }

    /// A probe's port: a number, or the name of one of the container's ports.
    static func resolvePort(_ port: IntOrString, in ports: [ContainerPort]) -> Result<Int, ProbeError> {
        let number: Int
        switch port {
        case .int(let value):
            number = Int(value)
        case .string(let name):
            if let named = ports.first(where: { $0.name == name }) {
                number = Int(named.containerPort)
            } else if let value = Int(name) {
                number = value
            } else {
                return .failure(ProbeError(message: "port \(name) not found in the container's ports"))
            }
        }
        guard (1...65535).contains(number) else { return .failure(ProbeError(message: "invalid port number: \(number)")) }
        return .success(number)
    }

    /// The request head. The probe's headers come first and win: a `Host`, `User-Agent` or `Accept`
    /// of its own replaces the default, and an empty `Accept` removes it, as in Kubernetes.
    static func requestHead(path: String, authority: String, headers: [HTTPHeader]) -> Result<String, ProbeError> {
        for header in headers {
            // By bytes: "\r\n" is one Character, equal to neither "\r" nor "\n".
            let bad = { (text: String) in text.utf8.contains { $0 == 13 || $0 == 10 || $0 == 0 } }
            if header.name.isEmpty || bad(header.name) || bad(header.value) || header.name.contains(":") {
                return .failure(ProbeError(message: "invalid header \(header.name.debugDescription)"))
            }
        }
        func has(_ name: String) -> Bool { headers.contains { $0.name.lowercased() == name } }
        var text = "GET \(path) HTTP/1.1\r\n"
        if !has("host") { text += "Host: \(authority)\r\n" }
        if !has("user-agent") { text += "User-Agent: \(userAgent)\r\n" }
        if !has("accept") { text += "Accept: */*\r\n" }
        for header in headers where !(header.name.lowercased() == "accept" && header.value.isEmpty) {
            text += "\(header.name): \(header.value)\r\n"
        }
        text += "Connection: close\r\n\r\n"
        return .success(text)
    }

    static func joinHostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Go's wording for a failed dial or read: `dial tcp 127.1.0.3:8080: connect: connection refused`.
    static func describe(_ error: any Error, authority: String) -> String {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error, authority: authority) }
            let host = authority.split(separator: ":").dropLast().joined(separator: ":")
            return "dial tcp: lookup \(host): no such host"
        case let error as IOError:
            return "dial tcp \(authority): connect: \(errnoText(error.errnoCode))"
        case ChannelError.connectTimeout:
            return "dial tcp \(authority): i/o timeout"
        case let error as ProbeError:
            return error.message
        default:
            return "\(error)"
        }
    }

    /// Go prints errno the way strerror does, in lower case.
    static func errnoText(_ code: CInt) -> String {
        String(cString: strerror(code)).lowercased()
    }
}

/// Writes the request once connected, feeds the response to the parser and completes the promise
/// with the status code; the caller closes the channel.
private final class HTTPProbeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: ByteBuffer
    private let promise: EventLoopPromise<Int>
    private var response = HTTPProbeResponse()

    init(request: ByteBuffer, promise: EventLoopPromise<Int>) {
        self.request = request
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        settle(response.feed(buffer.readableBytesView))
    }

    func channelInactive(context: ChannelHandlerContext) {
        settle(response.endOfStream())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? IOError {
            promise.fail(NetworkProbes.ProbeError(message: "read: \(NetworkProbes.errnoText(error.errnoCode))"))
        } else {
            promise.fail(error)
        }
        context.close(promise: nil)
    }

    private func settle(_ progress: HTTPProbeResponse.Progress) {
        switch progress {
        case .needMore: break
        case .complete(let status): promise.succeed(status)
        case .failed(let message): promise.fail(NetworkProbes.ProbeError(message: message))
        }
    }
}
