import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

/// A metrics source the tests set by hand: a Pods metric is a total load shared evenly by the
/// Running pods (as real traffic behind a Service would be), External metrics are plain values,
/// CPU is a per-pod table.
private final class FakeMetrics: AutoscalingMetricsSource {
    private struct State {
        var podLoad: [String: Double] = [:]
        var external: [String: Double] = [:]
        var cpu: [String: Double] = [:]
        var pods: Informer?
    }

    private let state = Locked(State())
    private let clock: ManualClock

    init(clock: ManualClock) { self.clock = clock }

    func attach(_ pods: Informer) { state.withLock { $0.pods = pods } }
    func setLoad(_ metric: String, total: Double?) { state.withLock { $0.podLoad[metric] = total } }
    func setExternal(_ metric: String, _ value: Double?) { state.withLock { $0.external[metric] = value } }
    func setCPU(_ pod: String, cores: Double) { state.withLock { $0.cpu[pod] = cores } }

    func resourceMetric(_ resource: String, namespace: String) async throws -> [String: PodMetricValue] {
        let now = clock.date
        return state.withLock { s in
            s.cpu.reduce(into: [:]) { $0[$1.key] = PodMetricValue(pod: $1.key, value: $1.value, timestamp: now) }
        }
    }

    func podsMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [String: PodMetricValue] {
        let (total, informer) = state.withLock { ($0.podLoad[name], $0.pods) }
        guard let total, let informer else { return [:] }
        let running = informer.list(namespace: namespace).filter {
            $0.status?["phase"]?.stringValue == "Running" && $0.deletionTimestamp == nil
        }
        guard !running.isEmpty else { return [:] }
        let share = total / Double(running.count)
        let now = clock.date
        return running.reduce(into: [:]) { $0[$1.name] = PodMetricValue(pod: $1.name, value: share, timestamp: now) }
    }

    func externalMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [ExternalMetricValue] {
        guard let value = state.withLock({ $0.external[name] }) else { return [] }
        return [ExternalMetricValue(name: name, value: value, timestamp: clock.date)]
    }
}

/// The HPA controller with every other controller, a fast sync period on the real clock and
/// the stabilization windows on a manual wall clock, so that "later" is one `advance` away.
private func withHPA(
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

private func autoscaler(
    _ name: String, target: String, min: Int32? = 1, max: Int32 = 8, metrics: [MetricSpec],
    behavior: HorizontalPodAutoscalerBehavior? = nil, kind: String = "Deployment"
) throws -> KubeObject {
    let hpa = HorizontalPodAutoscaler(
        metadata: ObjectMeta(name: name, namespace: "default"),
        spec: HorizontalPodAutoscalerSpec(
            scaleTargetRef: CrossVersionObjectReference(kind: kind, name: target, apiVersion: "apps/v1"),
            minReplicas: min, maxReplicas: max, metrics: metrics, behavior: behavior))
    return try Admission.admit(try hpa.encodedObject(), as: .horizontalPodAutoscaler)
}

private let messagesPerSecond = MetricSpec(
    type: "Pods",
    pods: PodsMetricSource(
        metric: MetricIdentifier(name: "messages_per_second"),
        target: MetricTarget(type: "AverageValue", averageValue: Quantity(value: 20))))

private let queueDepth = MetricSpec(
    type: "External",
    external: ExternalMetricSource(
        metric: MetricIdentifier(name: "queue_depth"), target: MetricTarget(type: "Value", value: Quantity(value: 10))))

extension SQLiteStore {
    fileprivate func hpaStatus(_ name: String) async throws -> HorizontalPodAutoscalerStatus? {
        try HorizontalPodAutoscaler(try await get(.horizontalPodAutoscaler, namespace: "default", name: name)).status
    }

    fileprivate func replicas(_ deployment: String) async throws -> Int64? {
        try await get(.deployment, namespace: "default", name: deployment).spec?["replicas"]?.intValue
    }

    fileprivate func eventMessages(reason: String) async throws -> [String] {
        try await events(reason: reason).compactMap { $0.json["message"]?.stringValue }
    }
}

@Suite struct HPAControllerTests {
    @Test func scalesUpOnAPodsMetricAndDownAfterTheStabilizationWindow() async throws {
        try await withHPA { store, controllers, metrics, clock in
            _ = try await store.create(try deployment("messages", replicas: 2), as: .deployment)
            try await eventually("2 ready pods") {
                try await store.markAllPodsReady()
                return try await store.pods().filter { $0.status?["phase"] == "Running" }.count == 2
            }
            // 80 messages/s over 2 pods is 40 each against 20: twice the pods.
            metrics.setLoad("messages_per_second", total: 80)
            _ = try await store.create(
                try autoscaler("messages", target: "messages", metrics: [messagesPerSecond]), as: .horizontalPodAutoscaler)
            try await eventually("scaled up to 4") { try await store.replicas("messages") == 4 }
            let scaleUpTime = Timestamp.format(clock.date)
            try await eventually("4 ready pods at the target") {
                try await store.markAllPodsReady()
                let status = try await store.hpaStatus("messages")
                return status?.currentReplicas == 4 && status?.desiredReplicas == 4
                    && status?.currentMetrics?.first?.pods?.current.averageValue == Quantity(value: 20)
            }
            let up = try #require(try await store.hpaStatus("messages"))
            #expect(up.lastScaleTime == scaleUpTime)
            #expect(up.observedGeneration == 1)
            #expect(up.condition("AbleToScale")?.status == "True")
            #expect(up.condition("ScalingActive")?.reason == "ValidMetricFound")
            #expect(up.condition("ScalingLimited")?.status == "False")
            #expect(up.condition("ScalingLimited")?.reason == "DesiredWithinRange")
            #expect(up.currentMetrics?.first?.pods?.metric.name == "messages_per_second")
            try await eventually("the scale-up event") {
                try await store.eventMessages(reason: "SuccessfulRescale")
                    == ["New size: 4; reason: pods metric messages_per_second above target"]
            }

            // The load drops to a quarter: the recommendation is 1, held at 4 by the 60 s window.
            metrics.setLoad("messages_per_second", total: 20)
            try await eventually("a stabilized scale-down") {
                try await store.hpaStatus("messages")?.condition("AbleToScale")?.reason == "ScaleDownStabilized"
            }
            #expect(try await store.replicas("messages") == 4)
            #expect(try await store.hpaStatus("messages")?.desiredReplicas == 4)
            // After the window, down to 1 (100% per 15 s allows it; minReplicas is 1).
            clock.advance(by: .seconds(61))
            try await eventually("scaled down to 1") { try await store.replicas("messages") == 1 }
            try await eventually("the scale-down event") {
                try await store.eventMessages(reason: "SuccessfulRescale").contains("New size: 1; reason: All metrics below target")
            }
            try await eventually("1 pod left, status caught up") {
                try await store.markAllPodsReady()
                let status = try await store.hpaStatus("messages")
                return try await store.pods().count == 1 && status?.currentReplicas == 1 && status?.desiredReplicas == 1
            }
            // Level-triggered on a period: each sync asks to be looked at again after it.
            let reconciler = try #require(controllers.hpaReconciler)
            let key = ObjectKey(namespace: "default", name: "messages")
            #expect(try await reconciler.reconcile(key) == .requeueAfter(.milliseconds(20)))
            #expect(reconciler.history(for: key) != nil)
            // Deleting the HPA drops its history.
            _ = try await store.delete(.horizontalPodAutoscaler, namespace: "default", name: "messages")
            try await eventually("history dropped") { reconciler.history(for: key) == nil }
        }
    }

    @Test func anExternalMetricScalesFromZeroAndBackToZero() async throws {
        try await withHPA { store, _, metrics, clock in
            _ = try await store.create(try deployment("notifier", replicas: 0), as: .deployment)
            metrics.setExternal("queue_depth", 0)
            _ = try await store.create(
                try autoscaler("notifier", target: "notifier", min: 0, max: 5, metrics: [queueDepth]),
                as: .horizontalPodAutoscaler)
            try await eventually("an idle status") {
                let status = try await store.hpaStatus("notifier")
                return status?.condition("ScalingActive")?.reason == "ValidMetricFound" && status?.desiredReplicas == 0
                    && status?.currentMetrics?.first?.external?.current.value == Quantity(value: 0)
            }
            #expect(try await store.replicas("notifier") == 0)

            // 25 messages queued against 10: ceil(2.5) = 3 replicas, from zero.
            metrics.setExternal("queue_depth", 25)
            try await eventually("woken to 3") { try await store.replicas("notifier") == 3 }
            try await eventually("the scale-up event") {
                try await store.eventMessages(reason: "SuccessfulRescale")
                    == ["New size: 3; reason: external metric queue_depth above target"]
            }
            try await eventually("3 ready pods") {
                try await store.markAllPodsReady()
                return try await store.pods().filter { $0.status?["phase"] == "Running" }.count == 3
            }

            // Drained: held for the window, then back to zero.
            metrics.setExternal("queue_depth", 0)
            try await eventually("a stabilized scale-down") {
                try await store.hpaStatus("notifier")?.condition("AbleToScale")?.reason == "ScaleDownStabilized"
            }
            #expect(try await store.replicas("notifier") == 3)
            clock.advance(by: .seconds(61))
            try await eventually("back to zero") { try await store.replicas("notifier") == 0 }
            try await eventually("no pods, status at zero") {
                let status = try await store.hpaStatus("notifier")
                return try await store.pods().isEmpty && status?.currentReplicas == 0 && status?.desiredReplicas == 0
                    && status?.condition("ScalingActive")?.status == "True"
            }
            try await eventually("both events") {
                try await store.eventMessages(reason: "SuccessfulRescale").sorted()
                    == ["New size: 0; reason: All metrics below target", "New size: 3; reason: external metric queue_depth above target"]
            }
        }
    }

    @Test func aMissingTargetMakesScalingInactive() async throws {
        try await withHPA { store, _, metrics, _ in
            metrics.setLoad("messages_per_second", total: 80)
            _ = try await store.create(
                try autoscaler("ghost", target: "nothing", metrics: [messagesPerSecond]), as: .horizontalPodAutoscaler)
            try await eventually("ScalingActive=False") {
                let status = try await store.hpaStatus("ghost")
                return status?.condition("ScalingActive")?.status == "False"
                    && status?.condition("AbleToScale")?.status == "False"
            }
            let status = try #require(try await store.hpaStatus("ghost"))
            #expect(status.condition("ScalingActive")?.reason == "FailedGetScale")
            #expect(status.condition("AbleToScale")?.reason == "FailedGetScale")
            #expect(status.condition("AbleToScale")?.message?.contains("not found") == true)
            try await eventually("a FailedGetScale warning") {
                try await store.events(reason: "FailedGetScale").first?.json["type"] == "Warning"
            }
            // The target appears: the next sync finds it.
            _ = try await store.create(try deployment("nothing", replicas: 2), as: .deployment)
            try await eventually("scaling active") {
                try await store.markAllPodsReady()
                return try await store.hpaStatus("ghost")?.condition("AbleToScale")?.status == "True"
            }
        }
    }

    @Test func badInputNeverScales() async throws {
        try await withHPA { store, _, metrics, _ in
            // A metric no pod reports.
            _ = try await store.create(try deployment("quiet", replicas: 2), as: .deployment)
            _ = try await store.create(
                try autoscaler("quiet", target: "quiet", metrics: [messagesPerSecond]), as: .horizontalPodAutoscaler)
            try await eventually("FailedGetPodsMetric") {
                try await store.markAllPodsReady()
                let active = try await store.hpaStatus("quiet")?.condition("ScalingActive")
                return active?.status == "False" && active?.reason == "FailedGetPodsMetric"
            }
            try await eventually("warnings") {
                let computed = try await store.events(reason: "FailedComputeMetricsReplicas")
                let metric = try await store.events(reason: "FailedGetPodsMetric")
                return computed.first?.json["type"] == "Warning" && metric.first?.json["type"] == "Warning"
            }
            #expect(try await store.replicas("quiet") == 2)

            // Utilization of pods without requests.
            _ = try await store.create(try deployment("greedy", replicas: 2), as: .deployment)
            let cpu = MetricSpec(
                type: "Resource",
                resource: ResourceMetricSource(name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 50)))
            try await eventually("greedy pods") {
                try await store.markAllPodsReady()
                let pods = try await store.pods().filter { $0.labels["app"] == "greedy" }
                for pod in pods { metrics.setCPU(pod.name, cores: 2) }
                return pods.count == 2
            }
            _ = try await store.create(try autoscaler("greedy", target: "greedy", metrics: [cpu]), as: .horizontalPodAutoscaler)
            try await eventually("FailedGetResourceMetric") {
                let active = try await store.hpaStatus("greedy")?.condition("ScalingActive")
                return active?.status == "False" && active?.reason == "FailedGetResourceMetric"
                    && active?.message?.contains("missing request for cpu") == true
            }
            #expect(try await store.replicas("greedy") == 2)

            // A target scaled to zero by hand with minReplicas 1: autoscaling is off.
            _ = try await store.create(try deployment("paused", replicas: 0), as: .deployment)
            _ = try await store.create(
                try autoscaler("paused", target: "paused", metrics: [messagesPerSecond]), as: .horizontalPodAutoscaler)
            try await eventually("ScalingDisabled") {
                try await store.hpaStatus("paused")?.condition("ScalingActive")?.reason == "ScalingDisabled"
            }
            #expect(try await store.replicas("paused") == 0)

            // A kind without a scale subresource here.
            _ = try await store.create(
                try autoscaler("odd", target: "quiet", metrics: [messagesPerSecond], kind: "StatefulSet"),
                as: .horizontalPodAutoscaler)
            try await eventually("FailedGetScale for the kind") {
                try await store.hpaStatus("odd")?.condition("AbleToScale")?.reason == "FailedGetScale"
            }
            #expect(try await store.replicas("quiet") == 2)
        }
    }
}
