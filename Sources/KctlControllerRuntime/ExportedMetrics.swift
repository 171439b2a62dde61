import KctlModel
import Metrics

/// What a controller reports through swift-metrics (served by kctld at `/metrics`): reconciles by
/// result and their duration, per controller. The handles are made once, not per reconcile.
struct ReconcileMetrics: Sendable {
    private let success: Counter
    private let requeue: Counter
    private let error: Counter
    private let duration: Metrics.Timer

    init(controller: String) {
        func counter(_ result: String) -> Counter {
            Counter(label: "kctl_controller_reconciles_total", dimensions: [("controller", controller), ("result", result)])
        }
        success = counter("success")
        requeue = counter("requeue")
        error = counter("error")
        duration = Metrics.Timer(label: "kctl_controller_reconcile_duration_seconds", dimensions: [("controller", controller)])
    }

    func record(result: String, duration elapsed: Duration) {
        switch result {
        case "success": success.increment()
        case "requeue": requeue.increment()
        default: error.increment()
        }
        duration.record(duration: elapsed)
    }
}

/// A work queue's depth and how long keys wait in it before a worker takes them.
struct QueueMetrics: Sendable {
    private let depth: Gauge
    private let wait: Metrics.Timer
    private let adds: Counter

    init(queue: String) {
        depth = Gauge(label: "kctl_workqueue_depth", dimensions: [("name", queue)])
        wait = Metrics.Timer(label: "kctl_workqueue_queue_duration_seconds", dimensions: [("name", queue)])
        adds = Counter(label: "kctl_workqueue_adds_total", dimensions: [("name", queue)])
    }

    func added(depth now: Int) {
        adds.increment()
        depth.record(now)
    }

    func taken(depth now: Int, waited: Duration) {
        depth.record(now)
        wait.record(duration: waited)
    }
}
