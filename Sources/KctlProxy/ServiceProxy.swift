import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// kctl's kube-proxy: makes every Service reachable at its ClusterIP (and, for `NodePort`, at
/// `127.0.0.1:nodePort`) by listening there on loopback and piping each TCP connection to one of
/// the Service's ready endpoints, in round-robin order; a refused connect moves on to the next.
///
/// A Service port with no ready endpoint gets no listener, so clients are refused at once (as
/// kube-proxy rejects them) rather than accepted and dropped. Listeners follow the Services and
/// Endpoints as they change: endpoint changes apply to new connections and leave open ones alone;
/// a deleted Service or a moved ClusterIP closes or moves its listener. Only TCP ports are served.
///
///     let proxy = ServiceProxy(store: store, logger: logger)
///     ServiceGroup(configuration: .init(services: [..., proxy], logger: logger))
///
/// Binding a port below 1024 (a Service on port 80) needs the privilege to do so; the failure is
/// logged and retried.
public final class ServiceProxy: ServiceLifecycle.Service, Sendable {
    private let logger: Logger
    private let directory: ServiceDirectory
    private let group: any EventLoopGroup
    private let nodeAddress: String
    private let connectTimeout: TimeAmount
    private let retryInterval: Duration
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    /// address -> target, for `listeners`.
    private let open = Locked<[ServiceListenerPlan.Address: ServiceListenerPlan.Target]>([:])

    /// - Parameters:
    ///   - nodeAddress: where `NodePort` ports listen.
    ///   - connectTimeout: how long a connect to an endpoint may take before the next is tried.
    ///   - retryInterval: how often addresses that failed to bind are tried again.
    ///   - informers: where the Service and Endpoints informers come from in a daemon (nil: its own).
    public init(
        store: any Store, logger: Logger, nodeAddress: String = "127.0.0.1",
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        connectTimeout: Duration = .seconds(2), retryInterval: Duration = .seconds(5),
        informers: SharedInformers? = nil
    ) {
        self.logger = logger
        self.directory = ServiceDirectory(store: store, logger: logger, informers: informers)
        self.group = eventLoopGroup
        self.nodeAddress = nodeAddress
        self.connectTimeout = TimeAmount(connectTimeout)
        self.retryInterval = retryInterval
        (changes, changed) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        directory.services.addHandler { [changed] _ in changed.yield() }
        directory.endpoints.addHandler { [changed] _ in changed.yield() }
    }

    /// The open listeners: `host:port` -> `namespace/service:port`.
    public var listeners: [String: String] {
        open.withLock { open in
            Dictionary(uniqueKeysWithValues: open.map { ($0.key.description, $0.value.description) })
        }
    }

    /// Follows Services and Endpoints until graceful shutdown or cancellation, then closes every
    /// listener (connections already piped stay until either side closes them).
    public func run() async throws {
        let directory = self.directory
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await directory.run() }
            tasks.addTask { [changed, retryInterval] in
                // Addresses that failed to bind (a port in use, no privilege) are retried on a timer.
                while (try? await Task.sleep(for: retryInterval)) != nil { changed.yield() }
            }
            await directory.waitForSync()
            var listeners: [ServiceListenerPlan.Address: ServiceListener] = [:]
            var conflicts: [String] = []
            changed.yield()
            for await _ in changes.cancelOnGracefulShutdown() {
                let plan = ServiceListenerPlan(services: directory.services.list(), nodeAddress: nodeAddress) {
                    !directory.ready(namespace: $0.namespace, service: $0.service, portName: $0.portName).isEmpty
                }
                if plan.conflicts != conflicts {
                    conflicts = plan.conflicts
                    for conflict in conflicts { logger.warning("service proxy: not listening for \(conflict)") }
                }
                await reconcile(&listeners, with: plan)
            }
            for listener in listeners.values.sorted(by: { $0.address < $1.address }) {
                await listener.close()
                logger.info("service proxy: stopped listening on \(listener.address) (shutting down)")
            }
            open.withLock { $0 = [:] }
            tasks.cancelAll()
        }
    }

    /// Opens, retargets and closes listeners until they match `plan`.
    private func reconcile(
        _ listeners: inout [ServiceListenerPlan.Address: ServiceListener], with plan: ServiceListenerPlan
    ) async {
        for (address, listener) in listeners.sorted(by: { $0.key < $1.key }) where plan.listeners[address] == nil {
            await listener.close()
            listeners[address] = nil
            let reason =
                directory.services.get(namespace: listener.target.namespace, name: listener.target.service) == nil
                ? "service deleted" : "no ready endpoints or port removed"
            logger.info("service proxy: stopped listening on \(address) for \(listener.target) (\(reason))")
        }
        for (address, target) in plan.listeners.sorted(by: { $0.key < $1.key }) {
            if let listener = listeners[address] {
                let old = listener.target
                if old != target {
                    listener.target = target
                    logger.info("service proxy: \(address) now forwards to \(target) instead of \(old)")
                }
                continue
            }
            do {
                let listener = try await ServiceListener.bind(
                    address: address, target: target, group: group, connectTimeout: connectTimeout,
                    directory: directory, logger: logger)
                listeners[address] = listener
                logger.info("service proxy: listening on \(address) for \(target)")
            } catch {
                logger.warning("service proxy: cannot listen on \(address) for \(target): \(error); will retry")
            }
        }
        let snapshot = listeners.mapValues(\.target)
        open.withLock { $0 = snapshot }
    }
}

/// One bound address and the Service port its connections go to (which can change in place).
final class ServiceListener: Sendable {
    let address: ServiceListenerPlan.Address
    private let channel: any Channel
    private let current: Locked<ServiceListenerPlan.Target>

    var target: ServiceListenerPlan.Target {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    private init(
        address: ServiceListenerPlan.Address, channel: any Channel, current: Locked<ServiceListenerPlan.Target>
    ) {
        self.address = address
        self.channel = channel
        self.current = current
    }

    static func bind(
        address: ServiceListenerPlan.Address, target: ServiceListenerPlan.Target, group: any EventLoopGroup,
        connectTimeout: TimeAmount, directory: ServiceDirectory, logger: Logger
    ) async throws -> ServiceListener {
        let current = Locked(target)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = ServiceConnectionHandler(connectTimeout: connectTimeout) {
                        let target = current.withLock { $0 }
                        let ready = directory.ready(
                            namespace: target.namespace, service: target.service, portName: target.portName)
                        return directory.rotated(ready, key: target.description)
                    } onFailure: { errors in
                        let target = current.withLock { $0 }
                        logger.warning("service proxy: no endpoint of \(target) accepted a connection: \(errors)")
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
        return ServiceListener(address: address, channel: channel, current: current)
    }

    /// Stops accepting; connections already accepted are not affected.
    func close() async {
        try? await channel.close()
    }
}
