import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

@Suite struct ReplicaSetControllerTests {
    @Test func adoptsMatchingOrphansAndReleasesPodsThatStopMatching() async throws {
        try await withControllers { store, _ in
            _ = try await store.create(try pod("orphan", labels: ["app": "x"]), as: .pod)
            _ = try await store.create(try pod("other", labels: ["app": "y"]), as: .pod)
            let rs = try await store.create(try replicaSet("x", replicas: 2, labels: ["app": "x"]), as: .replicaSet)
            try await eventually("the orphan adopted and one pod created") {
                let owned = try await store.pods(ownedBy: rs)
                return owned.count == 2 && owned.contains { $0.name == "orphan" }
            }
            #expect(try await store.get(.pod, namespace: "default", name: "other").controllerOwner == nil)

            // A pod relabelled out of the selector is released and replaced.
            _ = try await store.update(.pod, namespace: "default", name: "orphan", subresource: .main) {
                $0.labels = ["app": "gone"]
            }
            try await eventually("the pod released and replaced") {
                let released = try await store.get(.pod, namespace: "default", name: "orphan")
                let owned = try await store.pods(ownedBy: rs)
                return released.ownerReferences.isEmpty && owned.count == 2 && !owned.contains { $0.name == "orphan" }
            }
            try await eventually("status") {
                let current = try await store.get(.replicaSet, namespace: "default", name: "x")
                return current.status?["replicas"] == 2 && current.status?["fullyLabeledReplicas"] == 2
                    && current.status?["observedGeneration"] == 1
            }
        }
    }

    @Test func scaleDownDeletesUnscheduledAndNotReadyPodsFirst() async throws {
        try await withControllers { store, _ in
            let rs = try await store.create(try replicaSet("x", replicas: 3, labels: ["app": "x"]), as: .replicaSet)
            try await eventually("3 pods") { try await store.pods(ownedBy: rs).count == 3 }
            let pods = try await store.pods(ownedBy: rs).sorted { $0.name < $1.name }
            // Two pods scheduled and ready, one left unscheduled.
            for pod in pods.prefix(2) {
                _ = try await store.update(.pod, namespace: "default", name: pod.name, subresource: .main) {
                    $0.spec?["nodeName"] = "n1"
                }
                _ = try await store.update(.pod, namespace: "default", name: pod.name, subresource: .status) {
                    $0.status = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
                }
            }
            try await eventually("2 ready") {
                try await store.get(.replicaSet, namespace: "default", name: "x").status?["readyReplicas"] == 2
            }
            _ = try await store.update(.replicaSet, namespace: "default", name: "x", subresource: .main) {
                $0.spec?["replicas"] = 2
            }
            try await eventually("the unscheduled pod deleted") {
                let left = try await store.pods(ownedBy: rs).map(\.name).sorted()
                return left == pods.prefix(2).map(\.name)
            }
            try await eventually("the SuccessfulDelete event") {
                let deletes = try await store.events(reason: "SuccessfulDelete")
                return deletes.first?.json["message"]?.stringValue == "Deleted pod: \(pods[2].name)"
            }
        }
    }

    @Test func manyPodsAreCreatedInBatches() async throws {
        try await withControllers { store, _ in
            let rs = try await store.create(try replicaSet("big", replicas: 40, labels: ["app": "big"]), as: .replicaSet)
            try await eventually("40 pods") { try await store.pods(ownedBy: rs).count == 40 }
            // Never more: the controller waits for its own creates to reach its cache. Once its
            // status counts all 40, it has reconciled with every create in its cache.
            try await eventually("the status counts 40") {
                try await store.get(.replicaSet, namespace: "default", name: rs.name).status?["replicas"] == 40
            }
            #expect(try await store.pods(ownedBy: rs).count == 40)
            #expect(Set(try await store.pods(ownedBy: rs).map(\.name)).count == 40)
        }
    }

    @Test func anInvalidTemplateRecordsAWarning() async throws {
        try await withControllers { store, _ in
            var bad = try replicaSet("bad", replicas: 1, labels: ["app": "bad"])
            // Written behind admission's back: an invalid container name fails the pod's admission.
            bad.spec?["template"]?["spec"] = ["containers": [["name": "Bad_Name", "image": "x"]]]
            _ = try await store.create(bad, as: .replicaSet)
            try await eventually("a FailedCreate warning") {
                let events = try await store.events(reason: "FailedCreate")
                return events.first?.json["type"] == "Warning"
            }
            #expect(try await store.pods().isEmpty)
        }
    }
}

@Suite struct GarbageCollectorTests {
    @Test func deletingADeploymentDeletesEverythingItOwned() async throws {
        try await withControllers { store, _ in
            _ = try await store.create(try deployment("web", replicas: 3), as: .deployment)
            try await eventually("3 pods") { try await store.pods().count == 3 }
            _ = try await store.delete(.deployment, namespace: "default", name: "web")
            try await eventually("everything gone") {
                let sets = try await store.list(.replicaSet, namespace: "default").items
                let pods = try await store.list(.pod, namespace: "default").items
                return sets.isEmpty && pods.isEmpty
            }
        }
    }

    @Test func objectsWhoseOwnersAreGoneAreCollected() async throws {
        try await withControllers { store, _ in
            var ghost = KubeObject(["apiVersion": "apps/v1", "kind": "ReplicaSet"])
            ghost.name = "ghost"
            ghost.uid = "0000-gone"
            _ = try await store.create(try pod("left-behind", labels: ["a": "b"], owner: ghost), as: .pod)
            // One owner gone, one alive: only the dangling reference goes.
            let alive = try await store.create(try replicaSet("alive", replicas: 0, labels: ["app": "alive"]), as: .replicaSet)
            var shared = try pod("shared", labels: ["a": "b"])
            shared.ownerReferences = [OwnerRef.controller(of: ghost).json, OwnerRef(
                apiVersion: "apps/v1", kind: "ReplicaSet", name: "alive", uid: alive.uid ?? "").json]
            _ = try await store.create(shared, as: .pod)
            try await eventually("the orphan deleted and the dangling reference dropped") {
                let pods = try await store.list(.pod, namespace: "default").items
                return pods.map(\.name) == ["shared"] && pods[0].owners.map(\.name) == ["alive"]
            }
        }
    }

    /// The collector looks again at an updated object only when its owners or deletion changed:
    /// a status update is ignored, a reference added to a gone owner is acted on.
    @Test func anOwnerReferenceAddedByAnUpdateIsChecked() async throws {
        try await withControllers { store, _ in
            _ = try await store.create(try pod("plain", labels: ["a": "b"]), as: .pod)
            _ = try await store.update(.pod, namespace: "default", name: "plain", subresource: .status) {
                $0.status = ["phase": "Pending"]
            }
            var ghost = KubeObject(["apiVersion": "apps/v1", "kind": "ReplicaSet"])
            ghost.name = "ghost"
            ghost.uid = "0000-gone"
            let reference = OwnerRef.controller(of: ghost).json
            _ = try await store.update(.pod, namespace: "default", name: "plain", subresource: .main) {
                $0.ownerReferences = [reference]
            }
            try await eventually("the pod whose only owner is gone deleted") {
                try await store.list(.pod, namespace: "default").items.isEmpty
            }
        }
    }

    @Test func orphanPolicyKeepsDependents() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 pods") { try await store.pods().count == 2 }
            let rs = try await store.replicaSets(ownedBy: web)[0]
            // What the API server does for propagationPolicy=Orphan.
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.finalizers.append("orphan")
            }
            _ = try await store.delete(.deployment, namespace: "default", name: "web")
            try await eventually("the deployment gone, its replica set orphaned") {
                let deployments = try await store.list(.deployment, namespace: "default").items
                let kept = try await store.get(.replicaSet, namespace: "default", name: rs.name)
                return deployments.isEmpty && kept.ownerReferences.isEmpty
            }
            // The Deployment goes only after its dependents were orphaned: nothing is left to delete them.
            #expect(try await store.pods(ownedBy: rs).count == 2)
            #expect(try await store.get(.replicaSet, namespace: "default", name: rs.name).uid == rs.uid)
        }
    }

    @Test func foregroundPolicyDeletesDependentsFirst() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 pods") { try await store.pods().count == 2 }
            // Pods that hold a finalizer keep the whole chain waiting, in the foreground.
            for pod in try await store.pods() {
                _ = try await store.update(.pod, namespace: "default", name: pod.name, subresource: .main) {
                    $0.finalizers = ["test/hold"]
                }
            }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.finalizers.append("foregroundDeletion")
            }
            _ = try await store.delete(.deployment, namespace: "default", name: "web")
            try await eventually("pods marked for deletion") {
                let pods = try await store.list(.pod, namespace: "default").items
                return pods.count == 2 && pods.allSatisfy { $0.deletionTimestamp != nil }
            }
            // The owner waits while dependents exist.
            let waiting = try await store.get(.deployment, namespace: "default", name: "web")
            #expect(waiting.deletionTimestamp != nil && waiting.uid == web.uid)
            let rs = try await store.list(.replicaSet, namespace: "default").items
            #expect(rs.count == 1 && rs[0].finalizers.contains("foregroundDeletion"))
            for pod in try await store.list(.pod, namespace: "default").items {
                _ = try await store.update(.pod, namespace: "default", name: pod.name, subresource: .main) {
                    $0.finalizers = []
                }
            }
            try await eventually("everything gone") {
                let d = try await store.list(.deployment, namespace: "default").items
                let r = try await store.list(.replicaSet, namespace: "default").items
                let p = try await store.list(.pod, namespace: "default").items
                return d.isEmpty && r.isEmpty && p.isEmpty
            }
        }
    }
}

@Suite struct NamespaceControllerTests {
    @Test func deletingANamespaceEmptiesIt() async throws {
        try await withControllers { store, _ in
            let namespace = try KubeObject(json: [
                "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team", "finalizers": ["kubernetes"]],
                "spec": ["finalizers": ["kubernetes"]],
            ])
            _ = try await store.create(namespace, as: .namespace)
            _ = try await store.create(try deployment("web", replicas: 2, namespace: "team"), as: .deployment)
            var config = KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "data": ["a": "b"]])
            config.name = "settings"
            config.namespace = "team"
            _ = try await store.create(config, as: .configMap)
            try await eventually("2 pods") { try await store.list(.pod, namespace: "team").items.count == 2 }
            _ = try await store.delete(.namespace, namespace: nil, name: "team")
            try await eventually("the namespace emptied and gone") {
                for kind in ResourceType.all where kind.namespaced {
                    if !(try await store.list(kind, namespace: "team").items.isEmpty) { return false }
                }
                return (try await store.list(.namespace, namespace: nil).items).allSatisfy { $0.name != "team" }
            }
        }
    }
}
