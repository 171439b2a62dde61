import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

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
