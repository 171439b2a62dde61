import Foundation
import KctlControllers
import KctlModel
import Testing

@Suite struct PureLogicTests {
    func pod(
        _ name: String, node: String? = nil, phase: String = "Pending", ready: Bool = false, readySince: String? = nil,
        restarts: Int64 = 0, created: String = "2024-01-01T00:00:00Z"
    ) -> KubeObject {
        var object = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": [:]])
        object.name = name
        object.creationTimestamp = created
        if let node { object.spec?["nodeName"] = .string(node) }
        var status: [String: JSONValue] = ["phase": .string(phase)]
        if ready {
            status["conditions"] = [
                ["type": "Ready", "status": "True", "lastTransitionTime": .string(readySince ?? created)]
            ]
        }
        status["containerStatuses"] = [["name": "app", "ready": .bool(ready), "restartCount": .int(restarts)]]
        object.status = .object(status)
        return object
    }

    @Test func deletionPreferenceOrder() {
        let pods = [
            pod("old-ready", node: "n1", phase: "Running", ready: true, readySince: "2024-01-01T00:00:00Z"),
            pod("new-ready", node: "n1", phase: "Running", ready: true, readySince: "2024-01-02T00:00:00Z"),
            pod("running-not-ready", node: "n1", phase: "Running"),
            pod("unknown", node: "n1", phase: "Unknown"),
            pod("scheduled-pending", node: "n1"),
            pod("unscheduled", phase: "Pending"),
            pod("restarts", node: "n1", phase: "Running", restarts: 5),
            pod("newer-unscheduled", created: "2024-02-01T00:00:00Z"),
        ]
        #expect(
            PodDeletionOrder.sorted(pods).map(\.name) == [
                "newer-unscheduled", "unscheduled", "scheduled-pending", "unknown", "restarts",
                "running-not-ready", "new-ready", "old-ready",
            ])
    }

    @Test func templateHashIsStableSafeAndIgnoresItsOwnLabel() {
        let template: JSONValue = [
            "metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "a", "image": "v1"]]],
        ]
        let hash = PodTemplateHash.compute(template)
        #expect(hash == PodTemplateHash.compute(template))
        #expect(!hash.isEmpty && hash.count <= 10)
        #expect(hash.allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        var labelled = template
        labelled["metadata"] = ["labels": ["app": "web", "pod-template-hash": .string(hash)]]
        #expect(PodTemplateHash.compute(labelled) == hash)
        var changed = template
        changed["spec"] = ["containers": [["name": "a", "image": "v2"]]]
        #expect(PodTemplateHash.compute(changed) != hash)
        #expect(PodTemplateHash.compute(template, collisionCount: 1) != hash)
    }

    @Test func generatedNames() {
        let names = NameGenerator(random: { 12345 })
        let name = names.name(base: "web-abc-")
        #expect(name.hasPrefix("web-abc-"))
        #expect(name.count == "web-abc-".count + 5)
        let long = names.name(base: String(repeating: "a", count: 70) + "-")
        #expect(long.count == 63)
    }
}
