import KctlModel
import Testing

@testable import KctlStore

/// Pods on a node are deleted in two steps, as in Kubernetes: marked, then removed by their agent.
@Suite struct GracefulPodDeletionTests {
    func pod(_ name: String, node: String?, grace: Int64? = nil, phase: String? = nil) -> KubeObject {
        var spec: [String: JSONValue] = ["containers": [["name": "c", "command": ["sleep", "1"]]]]
        if let node { spec["nodeName"] = .string(node) }
        if let grace { spec["terminationGracePeriodSeconds"] = .int(grace) }
        var object = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": .object(spec)])
        object.name = name
        object.namespace = "default"
        if let phase { object.status = ["phase": .string(phase)] }
        return object
    }

    func grace(_ object: KubeObject) -> Int64? { object.metadata["deletionGracePeriodSeconds"]?.intValue }

    @Test func aBoundPodIsMarkedWithItsGracePeriodThenRemovedWithZero() async throws {
        try await withStore { store, _ in
            _ = try await store.create(pod("web", node: "node-1", grace: 5), as: .pod)
            guard case .pending(let marked) = try await store.delete(.pod, namespace: "default", name: "web") else {
                Issue.record("a bound pod was removed at once")
                return
            }
            #expect(marked.deletionTimestamp != nil)
            #expect(grace(marked) == 5)
            // Its agent keeps writing status while it stops the processes: the pod stays.
            _ = try await store.update(.pod, namespace: "default", name: "web", subresource: .status) {
                $0.status = ["phase": "Running"]
            }
            // A second delete with a longer period changes nothing; a shorter one shortens it.
            guard case .pending(let again) = try await store.delete(
                .pod, namespace: "default", name: "web", preconditions: .init(), gracePeriodSeconds: 60)
            else { Issue.record("removed"); return }
            #expect(grace(again) == 5)
            guard case .deleted = try await store.delete(
                .pod, namespace: "default", name: "web", preconditions: .init(), gracePeriodSeconds: 0)
            else { Issue.record("grace 0 did not remove the pod"); return }
        }
    }

    @Test func unboundAndFinishedPodsAndOtherKindsGoAtOnce() async throws {
        try await withStore { store, _ in
            _ = try await store.create(pod("pending", node: nil), as: .pod)
            _ = try await store.create(pod("done", node: "node-1", phase: "Succeeded"), as: .pod)
            for name in ["pending", "done"] {
                guard case .deleted = try await store.delete(.pod, namespace: "default", name: name) else {
                    Issue.record("\(name) was not removed at once")
                    continue
                }
            }
            #expect(ObjectRules.podGracePeriod(pod("x", node: "n"), requested: nil) == 30)
            #expect(ObjectRules.podGracePeriod(pod("x", node: "n", grace: 3), requested: nil) == 3)
            #expect(ObjectRules.podGracePeriod(pod("x", node: "n", grace: 3), requested: 10) == 10)
            #expect(ObjectRules.podGracePeriod(pod("x", node: "n"), requested: -4) == 0)
        }
    }
}
