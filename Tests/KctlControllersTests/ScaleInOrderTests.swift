import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

@Suite struct ScaleInOrderTests {
    // MARK: The decisions

    @Test func theHPANamesTheMetric() throws {
        func hpa(_ annotations: [String: String]) throws -> KubeObject {
            try autoscaler("web", target: "web", metrics: [messagesPerSecond], annotations: annotations)
        }
        #expect(ScaleInOrder.metric(of: try hpa([ScaleInOrder.annotation: "http_requests_in_flight"])) == "http_requests_in_flight")
        #expect(ScaleInOrder.metric(of: try hpa([ScaleInOrder.annotation: " cpu "])) == "cpu")
        #expect(ScaleInOrder.metric(of: try hpa([ScaleInOrder.annotation: ""])) == nil)
        #expect(ScaleInOrder.metric(of: try hpa([:])) == nil)
    }

    @Test(arguments: [
        (3.0, "http_requests_in_flight", 3), (2.5, "http_requests_in_flight", 3), (2.4, "messages_per_second", 2),
        (-1.6, "x", -2), (0.25, "cpu", 250), (1.5, "cpu", 1500), (268_435_456, "memory", 256),
        (1e12, "x", Int32.max), (-1e12, "x", Int32.min), (.infinity, "x", Int32.max), (.nan, "x", 0),
    ] as [(Double, String, Int32)])
    func aValueBecomesACost(value: Double, metric: String, cost: Int32) {
        #expect(ScaleInOrder.cost(value, metric: metric) == cost)
    }

    @Test func onlyChangedCostsAreWritten() {
        func pod(_ name: String, cost: String?) -> KubeObject {
            var object = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": [:]])
            object.name = name
            if let cost { object.annotations = [PodDeletionOrder.deletionCostAnnotation: cost] }
            return object
        }
        let pods = [pod("same", cost: "4"), pod("stale", cost: "9"), pod("fresh", cost: nil), pod("unsampled", cost: "1")]
        let values = ["same": 4.2, "stale": 2, "fresh": 0, "elsewhere": 5]
        #expect(
            ScaleInOrder.changedCosts(pods: pods, values: values, metric: "http_requests_in_flight")
                == ["stale": 2, "fresh": 0])
    }

    // MARK: Against the store

    /// Four ready pods whose in-flight values make the default victims the busiest ones, then an
    /// HPA that scales 4 -> 2 at once. Returns the pods in the default order, the pods left, and
    /// the SuccessfulRescale messages.
    private func scaleFourToTwo(
        annotations: [String: String]
    ) async throws -> (defaultOrder: [String], left: [KubeObject], events: [String]) {
        var outcome: (defaultOrder: [String], left: [KubeObject], events: [String]) = ([], [], [])
        try await withHPA { store, _, metrics, _ in
            _ = try await store.create(try deployment("messages", replicas: 4), as: .deployment)
            try await eventually("4 ready pods") {
                try await store.markAllPodsReady()
                return try await store.pods().filter { $0.status?["phase"] == "Running" }.count == 4
            }
            let defaultOrder = PodDeletionOrder.sorted(try await store.pods()).map(\.name)
            metrics.setPodValues(
                "http_requests_in_flight",
                [defaultOrder[0]: 12, defaultOrder[1]: 7, defaultOrder[2]: 3, defaultOrder[3]: 0])
            // 40 messages/s over 4 pods is 10 each against 20: half the pods, with no window.
            metrics.setLoad("messages_per_second", total: 40)
            let immediate = HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(stabilizationWindowSeconds: 0))
            _ = try await store.create(
                try autoscaler(
                    "messages", target: "messages", metrics: [messagesPerSecond], behavior: immediate,
                    annotations: annotations),
                as: .horizontalPodAutoscaler)
            try await eventually("scaled down to 2") { try await store.replicas("messages") == 2 }
            try await eventually("2 pods left") { try await store.pods().count == 2 }
            try await eventually("the scale-down event") {
                try await !store.eventMessages(reason: "SuccessfulRescale").isEmpty
            }
            outcome = (defaultOrder, try await store.pods(), try await store.eventMessages(reason: "SuccessfulRescale"))
        }
        return outcome
    }

    @Test func theLeastBusyPodsAreRemovedFirst() async throws {
        let (order, left, events) = try await scaleFourToTwo(
            annotations: [ScaleInOrder.annotation: "http_requests_in_flight"])
        // The two least busy (in flight 3 and 0) are gone; the two busiest, which the default
        // order would have removed, are kept, each with its cost.
        let costs = Dictionary(uniqueKeysWithValues: left.map { ($0.name, PodDeletionOrder.deletionCost(of: $0)) })
        #expect(costs == [order[0]: 12, order[1]: 7])
        #expect(
            events == ["New size: 2; reason: All metrics below target; least busy first by http_requests_in_flight"])
    }

    @Test func withoutTheAnnotationTheDefaultOrderApplies() async throws {
        let (order, left, events) = try await scaleFourToTwo(annotations: [:])
        #expect(Set(left.map(\.name)) == [order[2], order[3]])
        #expect(left.allSatisfy { $0.annotations[PodDeletionOrder.deletionCostAnnotation] == nil })
        #expect(events == ["New size: 2; reason: All metrics below target"])
    }
}
