import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// The scheduler as a Service: informers on Nodes and Pods keep a `ClusterSnapshot` current, a
/// work queue holds the pending pods (unbound, not being deleted, for this scheduler), and workers
/// place them one at a time with `SchedulingPipeline`.
///
/// A placement is assumed in the snapshot at once (so the next pod sees its requests) and handed to
/// the binder, which writes the placements gathered meanwhile in one store batch: each is an
/// atomic update that fails if `spec.nodeName` is already set, so a pod can never be bound twice,
/// and sets `nodeName` and `PodScheduled=True` in one write, as Kubernetes' binding does, with
/// the decision stored beside it; then a `Scheduled` event is posted. A pod no node
/// fits gets `PodScheduled=False` (reason `Unschedulable`, Kubernetes' message), a `FailedScheduling`
/// warning, and is retried with back-off, and at once when a node appears or changes or a pod
/// frees room. Either way the decision is kept with the pod for as long as it lives, as its
/// attachment `scheduling` (see `Decision.record(time:)`, rendered by `SchedulingExplanation`):
/// outside the pod's value, so that a hundred nodes' lines do not travel with every later write
/// and watch event of the pod.
///
/// It does not preempt lower-priority pods, and does not expire assumptions whose binding the
/// informer never confirms (a successful bind is always confirmed by the watch).
///
///     let scheduler = SchedulerService(store: store, logger: logger)
///     ServiceGroup(configuration: .init(services: [scheduler], logger: logger))
public struct SchedulerService: ServiceLifecycle.Service {
    public static let defaultSchedulerName = "default-scheduler"

    private let store: any Store
    private let logger: Logger
    private let nodes: Informer
    private let pods: Informer
    private let queue: WorkQueue
    private let cache: SchedulerCache
    private let recorder: EventRecorder
    private let workers: Int
    private let now: @Sendable () -> Date
    private let bindings = BindingQueue()
    /// Most placements one store batch writes.
    static let bindingBatch = 256

    /// - Parameters:
    ///   - clock: paces retries (back-off) and informer restarts.
    ///   - workers: scheduling cycles run at once (each decision still takes the cache lock; the
    ///     binder writes their placements in batches).
    ///   - schedulerName: pods naming another `spec.schedulerName` are left alone.
    ///   - now: the wall clock for the decision's time stamp and events.
    ///   - shared: where the Node and Pod informers come from in a daemon (nil: its own).
    public init(
        store: any Store, logger: Logger, clock: any Clock<Duration> = ContinuousClock(), workers: Int = 4,
        schedulerName: String = SchedulerService.defaultSchedulerName, now: @escaping @Sendable () -> Date = { Date() },
        informers shared: SharedInformers? = nil
    ) {
        self.store = store
        self.logger = logger
        self.workers = max(1, workers)
        self.now = now
        nodes = SharedInformers.informer(for: .node, from: shared, store: store, logger: logger, clock: clock)
        pods = SharedInformers.informer(for: .pod, from: shared, store: store, logger: logger, clock: clock)
        queue = WorkQueue(name: "scheduler", clock: clock, backOff: .init(base: .seconds(1), max: .seconds(60)))
        cache = SchedulerCache(schedulerName: schedulerName)
        recorder = EventRecorder(store: store, component: schedulerName, logger: logger, now: now)

        let cache = self.cache
        let queue = self.queue
        nodes.addHandler { event in
            for key in cache.nodeChanged(event) { queue.add(key) }
        }
        pods.addHandler { event in
            let change = cache.podChanged(event)
            if let key = change.schedule { queue.add(key) }
            for key in change.retry { queue.add(key) }
        }
    }

    public func run() async throws {
        let queue = self.queue
        let bindings = self.bindings
        try await cancelWhenGracefulShutdown {
            try await withTaskCancellationHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await nodes.run() }
                    group.addTask { try await pods.run() }
                    await nodes.waitForSync()
                    await pods.waitForSync()
                    logger.debug("scheduler: \(nodes.count) nodes, \(pods.count) pods cached; scheduling")
                    group.addTask { await bindLoop() }
                    for _ in 0..<workers {
                        group.addTask {
                            while let key = await queue.get() {
                                await scheduleOne(key)
                                queue.done(key)
                            }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            } onCancel: {
                queue.shutDown()
                bindings.finish()
            }
        }
        queue.shutDown()
        bindings.finish()
    }

    /// One scheduling cycle for one pod key.
    func scheduleOne(_ key: ObjectKey) async {
        guard let object = pods.get(key), SchedulerCache.wantsNode(object, schedulerName: cache.schedulerName) else {
            cache.clearUnschedulable(key)
            queue.forget(key)
            return
        }
        // Placed already; its binding is on its way (or failed and will requeue it).
        if cache.isAssumed(key) { return }
        let pod: PodInfo
        do {
            pod = try PodInfo(object)
        } catch {
            logger.warning("scheduler: cannot read pod \(key): \(error)")
            return
        }
        let started = ContinuousClock.now
        let decision = cache.schedule(pod)
        let time = Timestamp.format(now())
        let record = ObjectAttachment(name: Pod.schedulingRecord, value: decision.recordBytes(time: time))
        if let node = decision.node {
            bindings.add(
                PendingBinding(
                    key: key, pod: pod, object: object, node: node, record: record, message: decision.message,
                    time: time))
        } else {
            await reportUnschedulable(object, decision: decision, record: record, time: time)
        }
        SchedulerMetrics.attempt(scheduled: decision.node != nil, duration: started.duration(to: .now))
    }

    /// Writes the placements the scheduling cycles hand over, a batch at a time, until the
    /// queue is finished.
    private func bindLoop() async {
        while let batch = await bindings.next(limit: Self.bindingBatch) {
            await bind(batch)
        }
    }

    /// Binds each pod of `batch` in one store batch: `spec.nodeName` and `PodScheduled=True` in
    /// one conditional write per pod, which also stores the decision with it.
    func bind(_ batch: [PendingBinding]) async {
        let writes = batch.map { binding in
            StoreWrite.mutate(
                .pod, namespace: binding.object.namespace, name: binding.object.name, subresource: .all,
                attaching: binding.record
            ) { current in
                // Checked inside the store's atomic update: a pod bound meanwhile (by anyone) stays as it is.
                if let existing = current.spec?["nodeName"]?.stringValue, !existing.isEmpty {
                    throw StatusError.conflict(.pod, current.name, "the pod is already bound to \(existing)")
                }
                if current.deletionTimestamp != nil {
                    throw StatusError.conflict(.pod, current.name, "the pod is being deleted")
                }
                var spec = current.spec ?? [:]
                spec["nodeName"] = .string(binding.node)
                current.spec = spec
                Self.dropAnnotationRecord(&current)
                PodScheduledCondition.set(&current, scheduled: true, reason: nil, message: nil, now: binding.time)
            }
        }
        let results = await store.write(writes)
        for (binding, result) in zip(batch, results) {
            switch result {
            case .failed(let error as StatusError) where error.reason == .notFound || error.reason == .conflict:
                cache.forget(binding.pod)
                logger.info("scheduler: not binding \(binding.key) to \(binding.node): \(error.message)")
            case .failed(let error):
                cache.forget(binding.pod)
                logger.warning("scheduler: binding \(binding.key) to \(binding.node) failed: \(error); retrying")
                queue.addRateLimited(binding.key)
            case .written(let bound), .deleted(.pending(let bound)), .deleted(.deleted(let bound)):
                cache.clearUnschedulable(binding.key)
                queue.forget(binding.key)
                recorder.post(bound, type: .normal, reason: "Scheduled", message: binding.message)
            }
        }
    }

    private func reportUnschedulable(_ object: KubeObject, decision: Decision, record: ObjectAttachment, time: String) async {
        let key = ObjectKey(object)
        cache.markUnschedulable(key)
        let message = decision.message
        do {
            // The same verdict again (only the time differs) is not written again: a pod that
            // fits nowhere is retried whenever a node or a pod changes. The pod itself changes
            // only when its condition does.
            let stored = try? await store.attachment(
                Pod.schedulingRecord, of: .pod, namespace: object.namespace, name: object.name)
            let repeated = stored.map { Self.sameDecision($0, record.value) } ?? false
            let write = StoreWrite.mutate(
                .pod, namespace: object.namespace, name: object.name, subresource: .all,
                attaching: repeated ? nil : record
            ) { current in
                Self.dropAnnotationRecord(&current)
                PodScheduledCondition.set(
                    &current, scheduled: false, reason: "Unschedulable", message: message, now: time)
            }
            _ = try await store.write([write])[0].get()
        } catch let error as StatusError where error.reason == .notFound {
            cache.clearUnschedulable(key)
            return
        } catch {
            logger.warning("scheduler: could not record the decision for \(key): \(error)")
        }
        recorder.post(object, type: .warning, reason: "FailedScheduling", message: message)
        queue.addRateLimited(key)
    }

    /// Removes the record an earlier kctl kept in the pod as an annotation: the attachment that
    /// goes with this write supersedes it.
    static func dropAnnotationRecord(_ pod: inout KubeObject) {
        if pod.annotations[Decision.annotationKey] != nil { pod.annotations[Decision.annotationKey] = nil }
    }

    /// Two records that differ at most in `time`.
    static func sameDecision(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard var x = try? JSONValue.parse(a), var y = try? JSONValue.parse(b) else { return false }
        x["time"] = nil
        y["time"] = nil
        return x == y
    }
}
