import KctlModel
import Logging
import ServiceLifecycle

/// A work queue drained by N workers calling one reconciler: the controller loop. It holds every
/// requeue rule (error -> back-off, requeue-after -> forget then re-add later, done -> forget) and
/// logs one line per failed reconcile with its key.
///
/// As a Service it runs until graceful shutdown (the queue is shut down: workers finish the key
/// in hand and stop) or cancellation. Feed its queue from informer handlers:
///
///     let queue = WorkQueue(name: "replicaset")
///     replicaSets.addHandler { queue.add($0.key) }
///     let controller = Controller(name: "replicaset", queue: queue, reconciler: rsReconciler, logger: logger)
public struct Controller: ServiceLifecycle.Service {
    public let name: String
    public let queue: WorkQueue
    public let reconciler: any Reconciler
    public let workers: Int
    public let metrics: ControllerMetrics
    private let logger: Logger
    private let clock: ContinuousClock
    private let exported: ReconcileMetrics

    public init(
        name: String, queue: WorkQueue, reconciler: any Reconciler, workers: Int = 2, logger: Logger,
        metrics: ControllerMetrics = ControllerMetrics()
    ) {
        self.name = name
        self.queue = queue
        self.reconciler = reconciler
        self.workers = max(1, workers)
        self.logger = logger
        self.metrics = metrics
        self.clock = ContinuousClock()
        self.exported = ReconcileMetrics(controller: name)
    }

    public func run() async throws {
        let queue = self.queue
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<workers {
                    group.addTask {
                        while await processNextItem() {}
                    }
                }
            }
        } onGracefulShutdown: {
            queue.shutDown()
        }
        queue.shutDown()
    }

    /// Takes one key from the queue, reconciles it and applies the requeue rules. Returns false
    /// once the queue is shut down (or the task cancelled). Tests call it to step a controller.
    @discardableResult
    public func processNextItem() async -> Bool {
        guard let key = await queue.get() else { return false }
        defer { queue.done(key) }
        let start = clock.now
        do {
            let result = try await reconciler.reconcile(key)
            switch result {
            case .done:
                queue.forget(key)
            case .requeueAfter(let delay):
                queue.forget(key)
                queue.addAfter(key, delay: delay)
            }
            let elapsed = start.duration(to: clock.now)
            metrics.record(duration: elapsed, error: false, requeue: result != .done)
            exported.record(result: result == .done ? "success" : "requeue", duration: elapsed)
        } catch {
            let elapsed = start.duration(to: clock.now)
            metrics.record(duration: elapsed, error: true, requeue: true)
            exported.record(result: "error", duration: elapsed)
            if Task.isCancelled { return false }
            queue.addRateLimited(key)
            let level: Logger.Level = (error as? StatusError)?.reason == .conflict ? .info : .warning
            logger.log(
                level: level,
                "\(name): reconcile \(key) failed (attempt \(queue.failures(key))): \(error)")
        }
        return true
    }
}
