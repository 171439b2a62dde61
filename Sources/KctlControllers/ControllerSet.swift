import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// Tuning of the built-in controllers.
public struct ControllerOptions: Sendable {
    public var deploymentWorkers = 2
    public var replicaSetWorkers = 2
    public var garbageCollectorWorkers = 2
    public var namespaceWorkers = 1
    public var endpointsWorkers = 2
    /// Per-key retry back-off after a failed reconcile.
    public var backOff = WorkQueue.BackOff()
    /// At most this many pods created or deleted per ReplicaSet reconcile.
    public var burstReplicas = 500
    /// How often a terminating namespace is checked for what is left in it.
    public var namespaceRecheck: Duration = .seconds(1)
    /// Events older than this are deleted ...
    public var eventTTL: Duration = .seconds(3600)
    /// ... on this interval.
    public var eventExpiryInterval: Duration = .seconds(60)
    /// Whether to run the event expiry with the controllers.
    public var expireEvents = true
    /// The wall clock for timestamps and pod availability (tests pass `ManualClock.date`).
    public var now: @Sendable () -> Date = { Date() }
    /// Randomness for generated pod names.
    public var names = NameGenerator()
    /// Where the HPA controller reads metric samples; the HPA controller runs only when set.
    public var autoscalingMetrics: (any AutoscalingMetricsSource)?
    /// How often each HorizontalPodAutoscaler is synced.
    public var hpaSyncPeriod: Duration = .seconds(15)
    /// The scale-down stabilization window of HPAs that do not set one.
    public var hpaDownscaleStabilization: Duration = .seconds(300)
    /// The band around an HPA's target within which nothing scales (0.1: ±10%).
    public var hpaTolerance = 0.1
    /// How long after a pod's start its CPU samples are suspect.
    public var hpaCPUInitializationPeriod: Duration = .seconds(300)
    /// A pod unready within this long of its start has never been ready.
    public var hpaInitialReadinessDelay: Duration = .seconds(30)
    public var hpaWorkers = 2

    /// The HPA controller's settings, from the `hpa*` options.
    public var hpaSettings: HPASettings {
        HPASettings(
            syncPeriod: hpaSyncPeriod, downscaleStabilization: hpaDownscaleStabilization, tolerance: hpaTolerance,
            cpuInitializationPeriod: hpaCPUInitializationPeriod, initialReadinessDelay: hpaInitialReadinessDelay)
    }

    public init() {}
}

/// The built-in controllers (deployment, replicaset, garbage collector, namespace, endpoints, and
/// hpa when given a metrics source) over shared informers, as one Service for the daemon:
///
///     let controllers = ControllerSet(store: store, logger: logger)
///     ServiceGroup(configuration: .init(services: [..., controllers.manager, ...], logger: logger))
///
/// The manager starts the informers (Deployments, ReplicaSets, Pods, Namespaces, Services,
/// Endpoints, and HorizontalPodAutoscalers when `options.autoscalingMetrics` is set), waits until
/// they have synced, then runs every controller and the event expiry until graceful shutdown.
public struct ControllerSet: Sendable {
    public let deployments: Informer
    public let replicaSets: Informer
    public let pods: Informer
    public let namespaces: Informer
    /// Services and Endpoints (`services` is taken by the daemon's list of lifecycle services).
    public let serviceInformer: Informer
    public let endpointsInformer: Informer
    /// HorizontalPodAutoscalers; nil unless `ControllerOptions.autoscalingMetrics` is set.
    public let hpaInformer: Informer?
    /// The HPA controller's reconciler (with its recommendation histories), when it runs.
    public let hpaReconciler: HorizontalPodAutoscalerReconciler?
    public let controllers: [Controller]
    public let garbageCollector: GarbageCollector
    public let eventExpiry: EventExpiry
    /// Runs all of the above.
    public let manager: ControllerManager

    /// The services the daemon runs (just the manager).
    public var services: [any ServiceLifecycle.Service] { [manager] }

    /// - Parameter shared: where the informers come from in a daemon (nil: informers of its own,
    ///   which the manager runs).
    public init(
        store: any Store, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        options: ControllerOptions = ControllerOptions(), informers shared: SharedInformers? = nil
    ) {
        func informer(_ resource: ResourceType) -> Informer {
            SharedInformers.informer(for: resource, from: shared, store: store, logger: logger, clock: clock)
        }
        let deployments = informer(.deployment)
        let replicaSets = informer(.replicaSet)
        let pods = informer(.pod)
        let namespaces = informer(.namespace)
        let services = informer(.service)
        let endpoints = informer(.endpoints)
        let configMaps = informer(.configMap)
        let secrets = informer(.secret)
        for informer in [deployments, replicaSets, pods] { Indexes.addIfMissing(to: informer) }

        // Deployment controller: woken by its Deployments and by their ReplicaSets.
        let deploymentQueue = WorkQueue(name: "deployment", clock: clock, backOff: options.backOff)
        deployments.enqueueKeys(into: deploymentQueue)
        replicaSets.enqueueControllers(ofKind: "Deployment", into: deploymentQueue)
        replicaSets.enqueueSelectingOwners(from: deployments, into: deploymentQueue)
        DeploymentReconciler.enqueueFollowers(
            configMaps: configMaps, secrets: secrets, from: deployments, into: deploymentQueue)
        let deploymentReconciler = DeploymentReconciler(
            store: store, deployments: deployments, replicaSets: replicaSets, pods: pods, configMaps: configMaps,
            secrets: secrets,
            recorder: EventRecorder(store: store, component: "deployment-controller", logger: logger, now: options.now),
            now: options.now, logger: logger)

        // ReplicaSet controller: woken by its ReplicaSets and by their Pods.
        let replicaSetQueue = WorkQueue(name: "replicaset", clock: clock, backOff: options.backOff)
        replicaSets.enqueueKeys(into: replicaSetQueue)
        pods.enqueueControllers(ofKind: "ReplicaSet", into: replicaSetQueue)
        pods.enqueueSelectingOwners(from: replicaSets, into: replicaSetQueue)
        let replicaSetReconciler = ReplicaSetReconciler(
            store: store, replicaSets: replicaSets, pods: pods,
            recorder: EventRecorder(store: store, component: "replicaset-controller", logger: logger, now: options.now),
            names: options.names, now: options.now, burst: options.burstReplicas, logger: logger)

        let garbageCollector = GarbageCollector(
            store: store, informers: [deployments, replicaSets, pods], clock: clock, backOff: options.backOff,
            logger: logger)

        let namespaceQueue = WorkQueue(name: "namespace", clock: clock, backOff: options.backOff)
        namespaces.enqueueKeys(into: namespaceQueue)
        let namespaceReconciler = NamespaceReconciler(
            store: store, namespaces: namespaces, recheck: options.namespaceRecheck,
            recorder: EventRecorder(store: store, component: "namespace-controller", logger: logger, now: options.now),
            logger: logger)

        // Endpoints controller: woken by Services, their pods and the Endpoints it manages.
        let endpointsQueue = WorkQueue(name: "endpoints", clock: clock, backOff: options.backOff)
        EndpointsReconciler.enqueue(services: services, pods: pods, endpoints: endpoints, into: endpointsQueue)
        let endpointsReconciler = EndpointsReconciler(
            store: store, services: services, pods: pods, endpoints: endpoints,
            recorder: EventRecorder(store: store, component: "endpoint-controller", logger: logger, now: options.now),
            logger: logger)

        // HPA controller: woken by its HPAs, then every sync period.
        var hpaInformer: Informer?
        var hpaReconciler: HorizontalPodAutoscalerReconciler?
        var hpaControllers: [Controller] = []
        if let metrics = options.autoscalingMetrics {
            let hpas = informer(.horizontalPodAutoscaler)
            let hpaQueue = WorkQueue(name: "hpa", clock: clock, backOff: options.backOff)
            HorizontalPodAutoscalerReconciler.enqueue(hpas: hpas, into: hpaQueue)
            let reconciler = HorizontalPodAutoscalerReconciler(
                store: store, hpas: hpas, pods: pods, metrics: metrics,
                recorder: EventRecorder(store: store, component: "horizontal-pod-autoscaler", logger: logger, now: options.now),
                settings: options.hpaSettings, now: options.now, logger: logger)
            hpaInformer = hpas
            hpaReconciler = reconciler
            hpaControllers = [
                Controller(name: "hpa", queue: hpaQueue, reconciler: reconciler, workers: options.hpaWorkers, logger: logger)
            ]
        }

        let controllers =
            [
                Controller(
                    name: "deployment", queue: deploymentQueue, reconciler: deploymentReconciler,
                    workers: options.deploymentWorkers, logger: logger),
                Controller(
                    name: "replicaset", queue: replicaSetQueue, reconciler: replicaSetReconciler,
                    workers: options.replicaSetWorkers, logger: logger),
                Controller(
                    name: "namespace", queue: namespaceQueue, reconciler: namespaceReconciler,
                    workers: options.namespaceWorkers, logger: logger),
                Controller(
                    name: "endpoints", queue: endpointsQueue, reconciler: endpointsReconciler,
                    workers: options.endpointsWorkers, logger: logger),
            ] + hpaControllers + garbageCollector.controllers(workers: options.garbageCollectorWorkers, logger: logger)

        let eventExpiry = EventExpiry(
            store: store, options: .init(ttl: options.eventTTL, interval: options.eventExpiryInterval), logger: logger,
            clock: clock, now: options.now)

        self.deployments = deployments
        self.replicaSets = replicaSets
        self.pods = pods
        self.namespaces = namespaces
        self.serviceInformer = services
        self.endpointsInformer = endpoints
        self.hpaInformer = hpaInformer
        self.hpaReconciler = hpaReconciler
        self.controllers = controllers
        self.garbageCollector = garbageCollector
        self.eventExpiry = eventExpiry
        self.manager = ControllerManager(
            informers: [namespaces, deployments, replicaSets, pods, services, endpoints, configMaps, secrets]
                + (hpaInformer.map { [$0] } ?? []), controllers: controllers,
            services: options.expireEvents ? [eventExpiry] : [], logger: logger)
    }

    /// The controller with this name (`deployment`, `replicaset`, `namespace`, `garbage-collector-pods`...).
    public func controller(named name: String) -> Controller? {
        controllers.first { $0.name == name }
    }
}

extension Informer {
    /// For objects without a controller, queues every `owners` object in the same namespace whose
    /// `spec.selector` matches them (so that an orphan gets adopted).
    func enqueueSelectingOwners(from owners: Informer, into queue: WorkQueue) {
        addHandler { event in
            let object = event.object
            guard object.controllerOwnerUID == nil, object.deletionTimestamp == nil else { return }
            for owner in owners.list(namespace: object.namespace) {
                guard let selector = try? owner.spec?["selector"]?.decode(LabelSelector.self), !selector.isEmpty,
                    selector.matches(object.labels)
                else { continue }
                queue.add(ObjectKey(owner))
            }
        }
    }
}
