import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

/// The deployment controller against a real store: pause, progress deadline, history, follow-config.
@Suite struct RolloutControllerTests {
    private func progressing(_ store: SQLiteStore, _ name: String = "web") async throws -> JSONValue? {
        let d = try await store.get(.deployment, namespace: "default", name: name)
        return d.status?["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }
    }

    private func change(_ store: SQLiteStore, image: String, _ edit: @escaping @Sendable (inout KubeObject) -> Void = { _ in })
        async throws
    {
        _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
            $0.spec?["template"]?["spec"] = ["containers": [["name": "app", "image": .string(image)]]]
            edit(&$0)
            $0 = try Admission.admit($0, as: .deployment)
        }
    }

    @Test func aStalledRolloutExceedsItsDeadlineAndRecovers() async throws {
        let clock = ManualClock()
        try await withControllers(configure: { $0.now = { clock.date } }) { store, _ in
            var d = try deployment("web", replicas: 2)
            d.spec?["progressDeadlineSeconds"] = 30
            d.annotations["kubernetes.io/change-cause"] = "v1"
            let web = try await store.create(d, as: .deployment)
            try await eventually("2 ready pods") {
                try await store.markAllPodsReady()
                return try await progressing(store)?["reason"] == "NewReplicaSetAvailable"
            }
            try await change(store, image: "app:v2") { $0.annotations["kubernetes.io/change-cause"] = "v2" }
            try await eventually("the surge pod") { try await store.pods().count == 3 }
            try await eventually("progressing") {
                let d = try await store.get(.deployment, namespace: "default", name: "web")
                return d.status?["updatedReplicas"] == 1 && d.status?["replicas"] == 3
                    && d.status?["conditions"]?.arrayValue?.first { $0["type"] == "Progressing" }?["reason"]
                        == "ReplicaSetUpdated"
            }
            // No new pod gets ready; past the deadline any wake-up (here a label) finds it passed.
            var poke = 0
            try await eventually("ProgressDeadlineExceeded") {
                poke += 1
                let label = String(poke)
                clock.advance(by: .seconds(31))
                _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                    $0.labels["poke"] = label
                }
                let condition = try await progressing(store)
                return condition?["status"] == "False" && condition?["reason"] == "ProgressDeadlineExceeded"
            }
            try await eventually("a warning event") {
                try await store.events(reason: "ProgressDeadlineExceeded").count == 1
            }
            let sets = try await store.replicaSets(ownedBy: web)
            let new = try #require(sets.first { $0.annotations["deployment.kubernetes.io/revision"] == "2" })
            #expect(new.annotations["kubernetes.io/change-cause"] == "v2")
            // It keeps trying: the new pod getting ready completes the rollout.
            try await eventually("complete") {
                try await store.markAllPodsReady()
                let reason = try await progressing(store)?["reason"]
                let pods = try await store.pods(ownedBy: new).count
                return reason == "NewReplicaSetAvailable" && pods == 2
            }
        }
    }

    @Test func aPausedDeploymentScalesButDoesNotRollOut() async throws {
        try await withControllers { store, _ in
            let web = try await store.create(try deployment("web", replicas: 2), as: .deployment)
            try await eventually("2 ready pods") {
                try await store.markAllPodsReady()
                return try await progressing(store)?["reason"] == "NewReplicaSetAvailable"
            }
            try await change(store, image: "app:v2") {
                $0.spec?["paused"] = true
                $0.spec?["replicas"] = 3
            }
            try await eventually("paused, scaled") {
                let condition = try await progressing(store)
                let sets = try await store.replicaSets(ownedBy: web)
                return condition?["status"] == "Unknown" && condition?["reason"] == "DeploymentPaused"
                    && sets.count == 1 && sets[0].spec?["replicas"] == 3
                    && sets[0].annotations["deployment.kubernetes.io/desired-replicas"] == "3"
            }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["paused"] = false
            }
            try await eventually("the rollout after resuming") {
                try await store.markAllPodsReady()
                let sets = try await store.replicaSets(ownedBy: web)
                let new = sets.first { $0.annotations["deployment.kubernetes.io/revision"] == "2" }
                let reason = try await progressing(store)?["reason"]
                return sets.count == 2 && new?.spec?["replicas"] == 3 && reason == "NewReplicaSetAvailable"
            }
        }
    }

    @Test func scalingMidRolloutSpreadsOverReplicaSets() async throws {
        try await withControllers { store, _ in
            var d = try deployment("web", replicas: 10)
            d.spec?["strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 3, "maxUnavailable": 2]]
            let web = try await store.create(d, as: .deployment)
            try await eventually("10 ready pods") {
                try await store.markAllPodsReady()
                return try await progressing(store)?["reason"] == "NewReplicaSetAvailable"
            }
            // New pods never get ready: the rollout stops at old 8, new 5 (13 = 10 + 3).
            try await change(store, image: "app:v2")
            try await eventually("the stalled rollout") {
                let sizes = try await store.replicaSets(ownedBy: web).compactMap { $0.spec?["replicas"]?.intValue }
                return sizes.sorted() == [5, 8]
            }
            _ = try await store.update(.deployment, namespace: "default", name: "web", subresource: .main) {
                $0.spec?["replicas"] = 20
                $0.spec?["strategy"]?["rollingUpdate"]?["maxSurge"] = 6
            }
            // 26 allowed, 13 more: old 8 * 26 / 13 = 16, new 5 * 26 / 13 = 10.
            try await eventually("proportional scaling") {
                let sets = try await store.replicaSets(ownedBy: web)
                let sizes = sets.compactMap { $0.spec?["replicas"]?.intValue }
                return sizes.sorted() == [10, 16]
                    && sets.allSatisfy { $0.annotations["deployment.kubernetes.io/max-replicas"] == "26" }
            }
        }
    }

    @Test func oldReplicaSetsBeyondTheHistoryLimitAreDeleted() async throws {
        try await withControllers { store, _ in
            var d = try deployment("web", replicas: 1)
            d.spec?["revisionHistoryLimit"] = 1
            let web = try await store.create(d, as: .deployment)
            for version in 2...4 {
                try await eventually("revision \(version - 1) rolled out") {
                    try await store.markAllPodsReady()
                    let d = try await store.get(.deployment, namespace: "default", name: "web")
                    let reason = try await progressing(store)?["reason"]
                    return d.annotations["deployment.kubernetes.io/revision"] == String(version - 1)
                        && d.status?["observedGeneration"]?.intValue == d.generation
                        && d.status?["updatedReplicas"] == 1 && d.status?["replicas"] == 1
                        && reason == "NewReplicaSetAvailable"
                }
                try await change(store, image: "app:v\(version)")
            }
            try await eventually("two ReplicaSets: revisions 3 and 4") {
                try await store.markAllPodsReady()
                let revisions = try await store.replicaSets(ownedBy: web)
                    .compactMap { $0.annotations["deployment.kubernetes.io/revision"] }
                return revisions.sorted() == ["3", "4"]
            }
        }
    }

    @Test func followConfigRollsOutWhenReferencedDataChanges() async throws {
        try await withControllers { store, _ in
            let config = try KubeObject(json: [
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings", "namespace": "default"],
                "data": ["GREETING": "hello"],
            ])
            _ = try await store.create(try Admission.admit(config, as: .configMap), as: .configMap)
            var d = try deployment("web", replicas: 1)
            d.annotations[RolloutConfigHash.followAnnotation] = "true"
            d.spec?["template"]?["spec"]?["containers"] = [
                ["name": "app", "image": "app:v1", "envFrom": [["configMapRef": ["name": "settings"]]]]
            ]
            let web = try await store.create(try Admission.admit(d, as: .deployment), as: .deployment)
            try await eventually("a ReplicaSet with the config hash") {
                let sets = try await store.replicaSets(ownedBy: web)
                return sets.count == 1
                    && sets[0].spec?["template"]?["metadata"]?["annotations"]?["kctl.dev/config-hash"] != nil
            }
            let first = try await store.replicaSets(ownedBy: web)[0]
            let stored = try await store.get(.deployment, namespace: "default", name: "web")
            #expect(stored.spec?["template"]?["metadata"]?["annotations"]?["kctl.dev/config-hash"] == nil)

            _ = try await store.update(.configMap, namespace: "default", name: "settings", subresource: .main) {
                $0.json["data"] = ["GREETING": "bonjour"]
            }
            try await eventually("a rollout to a new ReplicaSet") {
                try await store.markAllPodsReady()
                let sets = try await store.replicaSets(ownedBy: web)
                let new = sets.first { $0.uid != first.uid }
                return sets.count == 2 && new?.spec?["replicas"] == 1
                    && new?.annotations["deployment.kubernetes.io/revision"] == "2"
            }
        }
    }

    @Test func validationRejectsBothLimitsZeroAndNegativeMinReadySeconds() throws {
        var both = try deployment("web", replicas: 2)
        both.spec?["strategy"] = ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 0, "maxUnavailable": "0%"]]
        #expect(throws: StatusError.self) { try Admission.admit(both, as: .deployment) }
        do {
            _ = try Admission.admit(both, as: .deployment)
        } catch let error as StatusError {
            #expect("\(error)".contains("spec.strategy.rollingUpdate.maxUnavailable"))
        }
        var negative = try deployment("web", replicas: 2)
        negative.spec?["minReadySeconds"] = -1
        do {
            _ = try Admission.admit(negative, as: .deployment)
            Issue.record("a negative minReadySeconds was admitted")
        } catch let error as StatusError {
            #expect("\(error)".contains("spec.minReadySeconds"))
        }
    }
}
