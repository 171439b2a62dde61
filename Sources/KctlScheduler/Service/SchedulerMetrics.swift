import Metrics

/// Scheduling attempts by result and their latency (decision and writes), through swift-metrics;
/// kctld serves them at `/metrics`.
enum SchedulerMetrics {
    static let scheduled = Counter(label: "kctl_scheduler_attempts_total", dimensions: [("result", "scheduled")])
    static let unschedulable = Counter(label: "kctl_scheduler_attempts_total", dimensions: [("result", "unschedulable")])
    static let latency = Metrics.Timer(label: "kctl_scheduler_attempt_duration_seconds")

    static func attempt(scheduled ok: Bool, duration: Duration) {
        (ok ? scheduled : unschedulable).increment()
        latency.record(duration: duration)
    }
}
