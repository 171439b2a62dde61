import Foundation
import KctlControllers
import KctlModel
import Testing

@Suite struct PodDeletionCostTests {
    static func candidate(
        _ name: String, cost: String? = nil, ready: Bool = true, readySince: String = "2024-01-01T00:00:00Z",
        restarts: Int64 = 0, created: String = "2024-01-01T00:00:00Z"
    ) -> KubeObject {
        var object = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": ["nodeName": "n1"]])
        object.name = name
        object.creationTimestamp = created
        if let cost { object.annotations = [PodDeletionOrder.deletionCostAnnotation: cost] }
        var status: [String: JSONValue] = ["phase": "Running"]
        status["conditions"] = [
            ["type": "Ready", "status": ready ? "True" : "False", "lastTransitionTime": .string(readySince)]
        ]
        status["containerStatuses"] = [["name": "app", "ready": .bool(ready), "restartCount": .int(restarts)]]
        object.status = .object(status)
        return object
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("7", 7), ("-5", -5), ("-007", -7), ("2147483647", Int32.max), ("-2147483648", Int32.min),
    ] as [(String, Int32)])
    func validCosts(text: String, cost: Int32) {
        #expect(PodDeletionOrder.parseDeletionCost(text) == cost)
        #expect(PodDeletionOrder.deletionCost(of: Self.candidate("p", cost: text)) == cost)
    }

    /// Kubernetes rejects these (plus sign, leading zeros, out of int32, not a number); an invalid
    /// annotation ranks as 0.
    @Test(arguments: ["", "+1", "007", "00", "2147483648", "-2147483649", "1.5", "abc", " 1", "1 ", "-", "1_000"])
    func invalidCostsCountAsZero(text: String) {
        #expect(PodDeletionOrder.parseDeletionCost(text) == nil)
        #expect(PodDeletionOrder.deletionCost(of: Self.candidate("p", cost: text)) == 0)
    }

    @Test func anAbsentAnnotationIsZero() {
        #expect(PodDeletionOrder.deletionCost(of: Self.candidate("p")) == 0)
    }

    @Test func lowerCostIsDeletedFirst() {
        let pods = [
            Self.candidate("high", cost: "100"), Self.candidate("none"), Self.candidate("negative", cost: "-3"),
            Self.candidate("invalid", cost: "+5"), Self.candidate("low", cost: "1"),
        ]
        // "invalid" and "none" both count as 0: the name breaks the tie.
        #expect(PodDeletionOrder.sorted(pods).map(\.name) == ["negative", "invalid", "none", "low", "high"])
    }

    /// Where the cost sits among Kubernetes' rules: after readiness, before ready time, restarts
    /// and age.
    @Test(arguments: [
        // An unready pod goes before a ready one, whatever the costs.
        (candidate("unready", cost: "1000", ready: false), candidate("ready", cost: "-1000"), true),
        // Cost beats a shorter time ready.
        (candidate("ready-long", cost: "1", readySince: "2024-01-01T00:00:00Z"),
         candidate("ready-recently", cost: "2", readySince: "2024-06-01T00:00:00Z"), true),
        // Cost beats restarts.
        (candidate("steady", cost: "1"), candidate("crashy", cost: "2", restarts: 9), true),
        // Cost beats age.
        (candidate("old", cost: "1", created: "2020-01-01T00:00:00Z"), candidate("new", cost: "2", created: "2024-01-01T00:00:00Z"), true),
        // Equal costs fall through to the next rule (more restarts first).
        (candidate("steady", cost: "5"), candidate("crashy", cost: "5", restarts: 9), false),
    ] as [(KubeObject, KubeObject, Bool)])
    func costIsRankedAfterReadiness(a: KubeObject, b: KubeObject, aFirst: Bool) {
        #expect(PodDeletionOrder.deleteFirst(a, b) == aFirst)
        #expect(PodDeletionOrder.deleteFirst(b, a) == !aFirst)
    }
}
