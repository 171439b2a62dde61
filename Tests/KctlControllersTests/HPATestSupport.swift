import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore

/// A metrics source the tests set by hand: a Pods metric is a total load shared evenly by the
/// Running pods (as real traffic behind a Service would be) or a per-pod table, External metrics
/// are plain values, CPU is a per-pod table.
final class FakeMetrics: AutoscalingMetricsSource {
    private struct State {
        var podLoad: [String: Double] = [:]
        var podValues: [String: [String: Double]] = [:]
        var external: [String: Double] = [:]
        var cpu: [String: Double] = [:]
        var pods: Informer?
    }

    private let state = Locked(State())
    private let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    func attach(_ pods: Informer) { state.withLock { $0.pods = pods } }
    func setLoad(_ metric: String, total: Double?) { state.withLock { $0.podLoad[metric] = total } }
    /// Gives a Pods metric one value per pod (instead of a shared load).
    func setPodValues(_ metric: String, _ values: [String: Double]) { state.withLock { $0.podValues[metric] = values } }
    func setExternal(_ metric: String, _ value: Double?) { state.withLock { $0.external[metric] = value } }
    func setCPU(_ pod: String, cores: Double) { state.withLock { $0.cpu[pod] = cores } }

    func resourceMetric(_ resource: String, namespace: String) async throws -> [String: PodMetricValue] {
        let now = clock.date
        return state.withLock { s in
            s.cpu.reduce(into: [:]) { $0[$1.key] = PodMetricValue(pod: $1.key, value: $1.value, timestamp: now) }
        }
    }

    func podsMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [String: PodMetricValue] {
        let now = clock.date
        if let values = state.withLock({ $0.podValues[name] }) {
            return values.reduce(into: [:]) { $0[$1.key] = PodMetricValue(pod: $1.key, value: $1.value, timestamp: now) }
        }
        let (total, informer) = state.withLock { ($0.podLoad[name], $0.pods) }
        guard let total, let informer else { return [:] }
        let running = informer.list(namespace: namespace).filter {
            $0.status?["phase"]?.stringValue == "Running" && $0.deletionTimestamp == nil
        }
        guard !running.isEmpty else { return [:] }
        // Rounded down to thousandths: 80 over 3 pods is 26.666 each, never 26.667, whose sum
        // would overstate the load (ceil(1.33335 x 3) is 5 where the load asks for 4).
        let share = (total * 1000 / Double(running.count)).rounded(.down) / 1000
        return running.reduce(into: [:]) { $0[$1.name] = PodMetricValue(pod: $1.name, value: share, timestamp: now) }
    }

    func externalMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [ExternalMetricValue] {
        guard let value = state.withLock({ $0.external[name] }) else { return [] }
        return [ExternalMetricValue(name: name, value: value, timestamp: clock.date)]
    }
}

/// The HPA controller with every other controller, a fast sync period on the real clock and
/// the stabilization windows on a manual wall clock, so that "later" is one `advance` away.
func withHPA(
    _ body: (SQLiteStore, ControllerSet, FakeMetrics, ManualClock) async throws -> Void
) async throws {
    let clock = ManualClock()
    let metrics = FakeMetrics(clock: clock)
    try await withControllers(configure: { options in
        options.now = { clock.date }
        options.autoscalingMetrics = metrics
        options.hpaSyncPeriod = .milliseconds(20)
        options.hpaDownscaleStabilization = .seconds(60)
    }) { store, controllers in
        metrics.attach(controllers.pods)
        try await body(store, controllers, metrics, clock)
    }
}

func autoscaler(
    _ name: String, target: String, min: Int32? = 1, max: Int32 = 8, metrics: [MetricSpec],
    behavior: HorizontalPodAutoscalerBehavior? = nil, kind: String = "Deployment", annotations: [String: String] = [:]
) throws -> KubeObject {
    var metadata = ObjectMeta(name: name, namespace: "default")
    if !annotations.isEmpty { metadata.annotations = annotations }
    let hpa = HorizontalPodAutoscaler(
        metadata: metadata,
        spec: HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(kind: kind, name: target, apiVersion: "apps/v1"),
            minReplicas: min, maxReplicas: max, metrics: metrics, behavior: behavior))
    return try Admission.admit(try hpa.encodedObject(), as: .horizontalPodAutoscaler)
}

let messagesPerSecond = MetricSpec(
    type: "Pods",
    pods: PodsMetricSource(
        metric: MetricIdentifier(name: "messages_per_second"),
        target: MetricTarget(type: "AverageValue", averageValue: Quantity(value: 20))))

let queueDepth = MetricSpec(
    type: "External",
    external: ExternalMetricSource(
        metric: MetricIdentifier(name: "queue_depth"), target: MetricTarget(type: "Value", value: Quantity(value: 10))))

extension SQLiteStore {
    func hpaStatus(_ name: String) async throws -> HorizontalPodAutoscalerStatus? {
        try HorizontalPodAutoscaler(try await get(.horizontalPodAutoscaler, namespace: "default", name: name)).status
    }

    func replicas(_ deployment: String) async throws -> Int64? {
        try await get(.deployment, namespace: "default", name: deployment).spec?["replicas"]?.intValue
    }

    func eventMessages(reason: String) async throws -> [String] {
        try await events(reason: reason).compactMap { $0.json["message"]?.stringValue }
    }
}

