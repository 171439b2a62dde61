import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// One informer per resource (and namespace) for every component of a daemon: each change is
/// applied to one cache and handed to every consumer's handlers, instead of each component
/// watching, decoding and caching the same objects again.
///
/// The factory lists and watches; as a Service it runs every informer it has handed out until
/// graceful shutdown (an informer asked for while it runs starts at once). A consumer registers
/// its handlers and indexes when it is built, before the factory runs, and may call `run()` and
/// `waitForSync()` on the informer as on one of its own: on a shared informer `run()` only waits
/// until the consumer's task is cancelled, so consumers stop in any order without stopping the
/// watch the others still read. Put the factory before its consumers in a ServiceGroup, so that it
/// starts first and stops after them.
///
///     let informers = SharedInformers(store: store, logger: logger)
///     let scheduler = SchedulerService(store: store, logger: logger, informers: informers)
///     let agents = NodeAgents(store: store, logger: logger, options: options, informers: informers)
///     ServiceGroup(configuration: .init(services: [informers, scheduler, agents], logger: logger))
public final class SharedInformers: ServiceLifecycle.Service, Sendable {
    private struct Key: Hashable {
        var resource: ResourceType
        var namespace: String?
    }

    private let store: any Store
    private let logger: Logger
    private let clock: any Clock<Duration>
    private let informers = Locked<[Key: Informer]>([:])
    /// Every informer handed out, in order, for `run()` to start.
    private let created: AsyncStream<Informer>
    private let createdContinuation: AsyncStream<Informer>.Continuation

    /// - Parameter clock: paces the informers' retries after store errors.
    public init(store: any Store, logger: Logger, clock: any Clock<Duration> = ContinuousClock()) {
        self.store = store
        self.logger = logger
        self.clock = clock
        (created, createdContinuation) = AsyncStream.makeStream()
    }

    /// The one informer of `resource` (in `namespace`, or all namespaces when nil).
    public func informer(for resource: ResourceType, namespace: String? = nil) -> Informer {
        let key = Key(resource: resource, namespace: resource.namespaced ? namespace : nil)
        let (informer, isNew) = informers.withLock { informers -> (Informer, Bool) in
            if let existing = informers[key] { return (existing, false) }
            let informer = Informer(
                store: store, resource: resource, namespace: key.namespace, logger: logger, clock: clock, shared: true)
            informers[key] = informer
            return (informer, true)
        }
        if isNew { createdContinuation.yield(informer) }
        return informer
    }

    /// The informer of `resource` from `shared` when given, else a new one the caller runs itself:
    /// how a component that may run alone (in tests) or in a daemon gets its informers.
    public static func informer(
        for resource: ResourceType, namespace: String? = nil, from shared: SharedInformers?, store: any Store,
        logger: Logger, clock: any Clock<Duration> = ContinuousClock()
    ) -> Informer {
        if let shared { return shared.informer(for: resource, namespace: namespace) }
        return Informer(store: store, resource: resource, namespace: namespace, logger: logger, clock: clock)
    }

    /// How many informers have been handed out.
    public var count: Int { informers.withLock { $0.count } }

    /// Lists and watches with every informer until graceful shutdown or cancellation. Run it once.
    public func run() async throws {
        let created = self.created
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                // Ends when the task is cancelled; the informers' tasks are cancelled with it.
                for await informer in created {
                    group.addTask { try? await informer.listAndWatch() }
                }
                group.cancelAll()
            }
        }
    }
}
