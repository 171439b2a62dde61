import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

@Suite struct DeploymentControllerTests {
    @Test func deploymentYieldsOneReplicaSetWithItsPods() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 3), as: .deployment)
            try await eventually("3 pods") { try await store.pods().count == 3 }
            let sets = try await store.replicaSets(ownedBy: web)
            try #require(sets.count == 1)
            let rs = sets[0]
            let hash = try #require(rs.labels["pod-template-hash"])
            #expect(rs.name == "web-\(hash)")
            #expect(rs.annotations["deployment.kubernetes.io/revision"] == "1")
            #expect(rs.annotations["deployment.kubernetes.io/desired-replicas"] == "3")
            #expect(rs.annotations["deployment.kubernetes.io/max-replicas"] == "4")
            #expect(rs.spec?["selector"]?["matchLabels"]?["pod-template-hash"] == .string(hash))
            #expect(rs.spec?["template"]?["metadata"]?["labels"]?["pod-template-hash"] == .string(hash))
            let owner = try #require(rs.controllerOwner)
            #expect(owner.uid == web.uid && owner.blockOwnerDeletion && owner.kind == "Deployment")

            for pod in try await store.pods() {
                #expect(pod.controllerOwner?.uid == rs.uid)
                #expect(pod.name.hasPrefix("\(rs.name)-") && pod.name.count == rs.name.count + 6)
                #expect(pod.labels == ["app": "web", "pod-template-hash": hash])
                #expect(pod.status?["phase"] == "Pending")
                #expect(pod.spec?["restartPolicy"] == "Always")  // admitted with defaults
            }
            try await eventually("replicaset status") {
                let rs = try await store.get(.replicaSet, namespace: "default", name: rs.name)
                return rs.status?["replicas"] == 3 && rs.status?["readyReplicas"] == 0
            }
            try await eventually("events") {
                let creates = try await store.events(reason: "SuccessfulCreate").count
                let scaling = try await store.events(reason: "ScalingReplicaSet").first?.json["message"]?.stringValue
                return creates == 3 && scaling == "Scaled up replica set \(rs.name) to 3 from 0"
            }

            // Ready pods make the Deployment available and complete.
            try await eventually("a complete deployment") {
                try await store.markAllPodsReady()
                let d = try await store.get(.deployment, namespace: "default", name: "web")
                let conditions = d.status?["conditions"]?.arrayValue ?? []
                let available = conditions.first { $0["type"] == "Available" }
                let progressing = conditions.first { $0["type"] == "Progressing" }
                return d.status?["availableReplicas"] == 3 && d.status?["updatedReplicas"] == 3
                    && d.status?["readyReplicas"] == 3 && d.status?["replicas"] == 3
                    && d.status?["unavailableReplicas"] == 0 && d.status?["observedGeneration"] == 1
                    && available?["status"] == "True" && available?["reason"] == "MinimumReplicasAvailable"
                    && progressing?["reason"] == "NewReplicaSetAvailable"
            }
        }
    }

    @Test func scalingUpAndDownConverges() async throws {
        try await withControllers { store, _ in
            _ = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 pods") { try await store.pods().count == 2 }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["replicas"] = 5
            }
            try await eventually("5 pods") { try await store.pods().count == 5 }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["replicas"] = 1
            }
            try await eventually("1 pod") { try await store.pods().count == 1 }
            try await eventually("scale-down event") {
                try await store.events(reason: "ScalingReplicaSet").contains {
                    $0.json["message"]?.stringValue?.hasPrefix("Scaled down replica set web-") == true
                }
            }
            try await eventually("deployment status") {
                let d = try await store.get(.deployment, namespace: "default", name: "web")
                return d.status?["replicas"] == 1 && d.status?["observedGeneration"] == 3
            }
        }
    }

    @Test func aDeletedPodIsReplaced() async throws {
        try await withControllers { store, _ in
            _ = try await store.create(try deployment("web", replicas: 3), as: .deployment)
            try await eventually("3 pods") { try await store.pods().count == 3 }
            let victim = try await store.pods()[0]
            _ = try await store.delete(.pod, namespace: "default", name: victim.name)
            try await eventually("a replacement") {
                let pods = try await store.pods()
                return pods.count == 3 && !pods.contains { $0.name == victim.name }
            }
        }
    }

    @Test func aDeletedReplicaSetIsRecreated() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 pods") { try await store.pods().count == 2 }
            let rs = try await store.replicaSets(ownedBy: web)[0]
            _ = try await store.delete(.replicaSet, namespace: "default", name: rs.name)
            try await eventually("a new replica set with 2 new pods") {
                guard let fresh = try await store.replicaSets(ownedBy: web).first, fresh.uid != rs.uid else { return false }
                let pods = try await store.pods()
                return pods.count == 2 && pods.allSatisfy { $0.controllerOwner?.uid == fresh.uid }
                    && fresh.name == rs.name
            }
        }
    }

    @Test func aTemplateChangeRollsOutANewReplicaSet() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 3), as: .deployment)
            try await eventually("3 ready pods") {
                try await store.markAllPodsReady()
                let d = try await store.get(.deployment, namespace: "default", name: "web")
                return d.status?["availableReplicas"] == 3
            }
            let first = try await store.replicaSets(ownedBy: web)[0]
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["template"]?["spec"] = ["containers": [["name": "app", "image": "app:v2"]]]
            }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0 = try Admission.admit($0, as: .deployment)
            }
            try await eventually("the rollout to finish") {
                try await store.markAllPodsReady()
                let sets = try await store.replicaSets(ownedBy: web)
                guard sets.count == 2, let new = sets.first(where: { $0.uid != first.uid }),
                    let old = sets.first(where: { $0.uid == first.uid })
                else { return false }
                let pods = try await store.pods()
                return new.annotations["deployment.kubernetes.io/revision"] == "2"
                    && new.spec?["replicas"] == 3 && old.spec?["replicas"] == 0
                    && pods.count == 3 && pods.allSatisfy { $0.controllerOwner?.uid == new.uid }
            }
            try await eventually("status of the rollout") {
                let d = try await store.get(.deployment, namespace: "default", name: "web")
                return d.status?["updatedReplicas"] == 3 && d.status?["availableReplicas"] == 3
                    && d.annotations["deployment.kubernetes.io/revision"] == "2"
            }
            // The old template comes back: its ReplicaSet is reused with the next revision.
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["template"]?["spec"] = ["containers": [["name": "app", "image": "app:v1"]]]
                $0 = try Admission.admit($0, as: .deployment)
            }
            try await eventually("the old replica set back at revision 3") {
                try await store.markAllPodsReady()
                let old = try await store.get(.replicaSet, namespace: "default", name: first.name)
                let pods = try await store.pods()
                return old.annotations["deployment.kubernetes.io/revision"] == "3" && old.spec?["replicas"] == 3
                    && pods.count == 3 && pods.allSatisfy { $0.controllerOwner?.uid == first.uid }
            }
        }
    }

    @Test func rollingUpdateKeepsEveryOldPodUntilNewOnesAreReady() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 ready pods") {
                try await store.markAllPodsReady()
                return try await store.get(.deployment, namespace: "default", name: "web").status?["availableReplicas"] == 2
            }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["template"]?["spec"] = ["containers": [["name": "app", "image": "app:v2"]]]
                $0 = try Admission.admit($0, as: .deployment)
            }
            // No new pod becomes ready: the old ReplicaSet must keep both pods (maxUnavailable rounds to 0).
            try await eventually("the surge pod") {
                let sets = try await store.replicaSets(ownedBy: web).count
                let pods = try await store.pods().count
                return sets == 2 && pods == 3
            }
            // The controller has seen the surge pod (its status counts 3) and still keeps the old pods.
            try await eventually("the status counts the surge pod") {
                try await store.get(.deployment, namespace: "default", name: "web").status?["replicas"] == 3
            }
            let sets = try await store.replicaSets(ownedBy: web)
            let old = try #require(sets.first { $0.annotations["deployment.kubernetes.io/revision"] == "1" })
            #expect(old.spec?["replicas"] == 2)
        }
    }

    @Test func recreateScalesOldToZeroFirst() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2, strategy: "Recreate"), as: .deployment)
            try await eventually("2 pods") { try await store.pods().count == 2 }
            let first = try await store.replicaSets(ownedBy: web)[0]
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["template"]?["spec"] = ["containers": [["name": "app", "image": "app:v2"]]]
                $0 = try Admission.admit($0, as: .deployment)
            }
            try await eventually("the new replica set with all pods") {
                let sets = try await store.replicaSets(ownedBy: web)
                guard let new = sets.first(where: { $0.uid != first.uid }) else { return false }
                let pods = try await store.pods()
                return new.spec?["replicas"] == 2 && pods.count == 2 && pods.allSatisfy { $0.controllerOwner?.uid == new.uid }
            }
            // Every old pod was deleted before the first new one was created: read the change log.
            // A marker pod ends the read: the log has every pod change before it.
            _ = try await store.create(try pod("marker", labels: ["marker": "yes"]), as: .pod)
            var lastOldDelete: Int64 = 0
            var firstNewCreate = Int64.max
            for try await event in try await store.watch(.pod, namespace: "default", from: 0) {
                let owner = event.object.controllerOwner?.uid
                if event.type == .deleted, owner == first.uid { lastOldDelete = max(lastOldDelete, event.revision) }
                if event.type == .added, let owner, owner != first.uid {
                    firstNewCreate = min(firstNewCreate, event.revision)
                }
                if event.object.name == "marker" { break }
            }
            #expect(lastOldDelete > 0 && lastOldDelete < firstNewCreate)
        }
    }
}
