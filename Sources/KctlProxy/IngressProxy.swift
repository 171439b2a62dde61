import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// kctl's ingress controller: one HTTP/1.1 listener that routes requests by every Ingress' host
/// and path rules (see `IngressRoutes`) straight to the ready endpoints of the backend Service,
/// the way ingress-nginx skips the ClusterIP.
///
/// It keeps connections to clients and (a few per endpoint and event loop) to backends alive,
/// passes WebSocket and other upgrades through as raw bytes after the `101`, sets
/// `X-Forwarded-For`/`-Proto`/`-Host`, streams bodies both ways, and sends a request whose connect
/// failed to the next endpoint. Its own answers carry a one-line body saying why: 404
/// `no ingress rule for HOST PATH`, 503 `no ready endpoints for service NS/NAME` (or no such
/// Service or port), 502 when the backend fails before answering. Ingress changes rebuild the
/// route table at once; Service and Endpoints changes apply to the next request.
///
/// With a `ServiceWaker`, a request for a Service with no ready endpoint is not failed: the proxy
/// wakes the Service (once for all the requests that come together), holds the request until an
/// endpoint is ready and then forwards it, or answers 503 after `wakeTimeout`. When there is
/// nothing to wake, the 503 comes at once as without a waker.
///
///     let ingress = IngressProxy(store: store, logger: logger, port: 6480)
///     ServiceGroup(configuration: .init(services: [..., ingress], logger: logger))
///     let address = await ingress.boundAddress       // with port 0: the port it got
public final class IngressProxy: ServiceLifecycle.Service, Sendable {
    /// The documented default of `--ingress-listen`.
    public static let defaultPort = 6480

    public let host: String
    public let port: Int
    private let logger: Logger
    private let className: String
    private let group: any EventLoopGroup
    private let ingresses: Informer
    private let events: EventRecorder
    private let shared: IngressShared
    private let onListening: (@Sendable (SocketAddress) -> Void)?
    private let waker: (any ServiceWaker)?

    private enum Binding {
        case pending([CheckedContinuation<SocketAddress?, Never>])
        case bound(SocketAddress)
        case stopped
    }
    private let binding = Locked(Binding.pending([]))
    /// Accepted client connections, closed at shutdown.
    private let clients = Locked<[ObjectIdentifier: any Channel]>([:])

    /// - Parameters:
    ///   - host, port: where to listen (port 0: any free port; see `boundAddress`).
    ///   - className: the `ingressClassName` served besides none.
    ///   - connectTimeout: how long a connect to an endpoint may take before the next is tried.
    ///   - waker: wakes a Service that has no ready endpoint (scale from zero); nil: answer 503.
    ///   - wakeTimeout: how long a request is held for its Service to wake before the 503.
    ///   - maxHeldRequestsPerService: beyond this many held requests for one Service, a 503 at once.
    ///   - onListening: called once the listener is bound, with its address.
    ///   - informers: where the Ingress, Service and Endpoints informers come from in a daemon (nil: its own).
    public init(
        store: any Store, logger: Logger, host: String = "127.0.0.1", port: Int = IngressProxy.defaultPort,
        className: String = IngressRoutes.defaultClassName,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(2), waker: (any ServiceWaker)? = nil, wakeTimeout: Duration = .seconds(30),
        maxHeldRequestsPerService: Int = 1000, onListening: (@Sendable (SocketAddress) -> Void)? = nil,
        informers: SharedInformers? = nil
    ) {
        self.host = host
        self.port = port
        self.logger = logger
        self.className = className
        self.group = eventLoopGroup
        self.onListening = onListening
        self.waker = waker
        self.ingresses = SharedInformers.informer(for: .ingress, from: informers, store: store, logger: logger)
        self.events = EventRecorder(store: store, component: "ingress-proxy", logger: logger)
        let directory = ServiceDirectory(store: store, logger: logger, informers: informers)
        let held = waker.map { _ in HeldRequests(limit: maxHeldRequestsPerService) }
        self.shared = IngressShared(
            directory: directory, pools: BackendPools(), logger: logger, connectTimeout: TimeAmount(connectTimeout),
            replayLimit: 64 * 1024, held: held, wakeTimeout: wakeTimeout)
        ingresses.addHandler { [weak self] _ in self?.rebuildRoutes() }
        if let held {
            // Held requests look again whenever their Service or its Endpoints change.
            directory.endpoints.addHandler { event in held.endpointsChanged(event.object.key) }
            directory.services.addHandler { event in held.endpointsChanged(event.object.key) }
        }
    }

    /// The address the proxy listens on, once it does; nil if it stopped or never bound.
    public var boundAddress: SocketAddress? {
        get async {
            await withCheckedContinuation { continuation in
                let ready = binding.withLock { binding -> SocketAddress?? in
                    switch binding {
                    case .pending(var waiters):
                        waiters.append(continuation)
                        binding = .pending(waiters)
                        return .none
                    case .bound(let address): return .some(address)
                    case .stopped: return .some(nil)
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// The current route table (for inspection and tests).
    public var routes: IngressRoutes { shared.routes.withLock { $0 } }

    /// How many requests are held for `namespace/service` to wake (for tests).
    func heldRequests(for service: String) -> Int { shared.held?.count(service: service) ?? 0 }

    /// Loads the Ingresses, listens, and serves until graceful shutdown or cancellation; then stops
    /// listening and closes client and idle backend connections. Throws when it cannot listen.
    public func run() async throws {
        let ingresses = self.ingresses
        let directory = shared.directory
        defer { setBinding(.stopped) }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try? await ingresses.run() }
            tasks.addTask { await directory.run() }
            if let waker, let held = shared.held {
                let logger = self.logger
                tasks.addTask { await held.run(waker: waker, logger: logger) }
            }
            await ingresses.waitForSync()
            await directory.waitForSync()
            rebuildRoutes()
            if Task.isCancelled { return }
            let server: any Channel
            do {
                server = try await bind()
            } catch {
                tasks.cancelAll()
                throw error
            }
            let address = server.localAddress.map { "\($0)" } ?? "\(host):\(port)"
            logger.info("ingress: listening on \(address)")
            if let local = server.localAddress {
                setBinding(.bound(local))
                onListening?(local)
            }
            // Serve until graceful shutdown (returns) or cancellation (throws).
            try? await gracefulShutdown()
            try? await server.close()
            for client in clients.withLock({ Array($0.values) }) { try? await client.close() }
            await shared.pools.closeAll()
            logger.info("ingress: stopped listening on \(address)")
            tasks.cancelAll()
        }
    }

    private func bind() async throws -> any Channel {
        let shared = self.shared
        let clients = self.clients
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                clients.withLock { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in _ = clients.withLock { $0.removeValue(forKey: id) } }
                return channel.eventLoop.makeCompletedFuture {
                    // Requests are decoded; responses go out as bytes (a backend's as it sent
                    // them, see `ResponseFramer`), so there is no response encoder. The decoder
                    // keeps the bytes after an upgrade request for the relay.
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(IngressConnectionHandler(shared: shared))
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    private func setBinding(_ new: Binding) {
        let waiters = binding.withLock { binding -> [CheckedContinuation<SocketAddress?, Never>] in
            guard case .pending(let waiters) = binding else {
                if case .stopped = new { binding = .stopped }
                return []
            }
            binding = new
            return waiters
        }
        let address: SocketAddress? = if case .bound(let address) = new { address } else { nil }
        for waiter in waiters { waiter.resume(returning: address) }
    }

    /// Rebuilds the route table from the Ingress cache; logs what changed in the problems.
    private func rebuildRoutes() {
        let table = IngressRoutes(ingresses: ingresses.list(), className: className)
        let old = shared.routes.withLock { routes -> IngressRoutes in
            let old = routes
            routes = table
            return old
        }
        let fresh = table.problems.filter { !old.problems.contains($0) }
        for problem in fresh {
            logger.warning("ingress: \(problem)")
        }
        // Each new problem is also a Warning Event on its Ingress, so `kctl describe ingress`
        // and `kctl events` show why a rule is ignored.
        guard !fresh.isEmpty else { return }
        let ingresses = self.ingresses.list()
        let events = self.events
        Task {
            for problem in fresh {
                guard let ingress = ingresses.first(where: { problem.hasPrefix("ingress \($0.key):") }) else { continue }
                await events.warning(ingress, reason: "IngressRuleIgnored", message: problem)
            }
        }
    }
}
