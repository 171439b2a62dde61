import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Rolls a Deployment's pod template out through ReplicaSets: one per distinct template, named
/// `<deployment>-<pod-template-hash>`, labelled and selected by that hash, annotated with its
/// revision; scales the new one up and the old ones down within `maxSurge`/`maxUnavailable`
/// (RollingUpdate) or old ones to zero first (Recreate), deletes old ReplicaSets beyond
/// `revisionHistoryLimit`, and keeps the Deployment's status and conditions true.
public struct DeploymentReconciler: Reconciler {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let desiredAnnotation = "deployment.kubernetes.io/desired-replicas"
    static let maxAnnotation = "deployment.kubernetes.io/max-replicas"

    let store: any Store
    let deployments: Informer
    let replicaSets: Informer
    let recorder: EventRecorder
    let now: @Sendable () -> Date
    let logger: Logger
    let expectations = WriteExpectations()

    public init(
        store: any Store, deployments: Informer, replicaSets: Informer, recorder: EventRecorder,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = store
        self.deployments = deployments
        self.replicaSets = replicaSets
        self.recorder = recorder
        self.now = now
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = deployments.get(key) else {
            expectations.forget(key)
            return .done
        }
        guard expectations.isSatisfied(key, by: replicaSets) else { return .requeueAfter(.seconds(1)) }
        let deployment: Deployment
        do {
            deployment = try Deployment(object)
        } catch {
            logger.warning("deployment \(key): cannot read: \(error)")
            return .done
        }
        guard let spec = deployment.spec, !spec.selector.isEmpty else { return .done }
        let template = object.spec?["template"] ?? [:]

        let claimed = try await Claiming(store: store, type: .replicaSet).claim(
            owner: object, selector: spec.selector,
            candidates: replicaSets.ownedOrOrphaned(by: object.uid ?? "", namespace: object.namespace))
        expectations.expect(key, revision: claimed.lastWrite)
        var all = claimed.owned.sorted(by: Self.olderFirst)
        let hash = PodTemplateHash.compute(template, collisionCount: deployment.status?.collisionCount)
        var newRS = Self.findNew(all, template: template, name: "\(object.name)-\(hash)", hash: hash)
        var olds = all.filter { $0.uid != newRS?.uid }

        if object.deletionTimestamp != nil || spec.paused == true {
            try await syncStatus(object, deployment: deployment, all: all, new: newRS, created: false)
            return .done
        }

        let desired = Int(spec.replicas ?? 1)
        let strategy = spec.strategy?.type ?? "RollingUpdate"
        let (surge, unavailable) = RolloutPlanner.resolve(
            maxSurge: Self.value(spec.strategy?.rollingUpdate?.maxSurge, default: .percent(25)),
            maxUnavailable: Self.value(spec.strategy?.rollingUpdate?.maxUnavailable, default: .percent(25)),
            desired: desired)
        let maxReplicas = strategy == "Recreate" ? desired : desired + surge
        let maxOldRevision = olds.map(Self.revision).max() ?? 0

        // The new ReplicaSet: found (its revision brought past the old ones when an old template
        // comes back) or created.
        var created = false
        if let existing = newRS {
            if Self.revision(existing) <= maxOldRevision || existing.spec?["minReadySeconds"] != Self.minReady(spec) {
                newRS = try await updateReplicaSet(existing, key: key) { rs in
                    var annotations = rs.annotations
                    if Self.revision(rs) <= maxOldRevision {
                        annotations[Self.revisionAnnotation] = String(maxOldRevision + 1)
                    }
                    rs.annotations = annotations
                    rs.spec?["minReadySeconds"] = Self.minReady(spec)
                }
            }
        } else if strategy != "Recreate" || olds.allSatisfy({ Self.replicas($0) == 0 && Self.statusReplicas($0) == 0 }) {
            let initial: Int
            if strategy == "Recreate" {
                initial = desired
            } else {
                initial = RolloutPlanner.newReplicaSetReplicas(
                    desired: desired, maxSurge: surge, new: .init(name: "", replicas: 0, available: 0),
                    all: olds.map(Self.counts))
            }
            newRS = try await createReplicaSet(
                for: object, key: key, template: template, hash: hash, revision: maxOldRevision + 1,
                replicas: initial, desired: desired, maxReplicas: maxReplicas, minReadySeconds: Self.minReady(spec),
                collisionCount: deployment.status?.collisionCount)
            created = newRS != nil
            if let newRS {
                await recorder.normal(
                    object, reason: "ScalingReplicaSet", message: "Scaled up replica set \(newRS.name) from 0 to \(initial)")
            }
        }
        if let revision = newRS.map(Self.revision), object.annotations[Self.revisionAnnotation] != String(revision) {
            _ = try await store.update(.deployment, namespace: object.namespace, name: object.name, subresource: .main) {
                $0.annotations[Self.revisionAnnotation] = String(revision)
            }
        }

        // Scale.
        if strategy == "Recreate" {
            for (index, old) in olds.enumerated() where Self.replicas(old) > 0 {
                olds[index] = try await scale(old, to: 0, deployment: object, key: key, desired: desired, max: maxReplicas)
            }
            if let rs = newRS, olds.allSatisfy({ Self.statusReplicas($0) == 0 }) {
                newRS = try await scale(rs, to: desired, deployment: object, key: key, desired: desired, max: maxReplicas)
            }
        } else {
            if let rs = newRS {
                let target = RolloutPlanner.newReplicaSetReplicas(
                    desired: desired, maxSurge: surge, new: Self.counts(rs), all: (olds + [rs]).map(Self.counts))
                newRS = try await scale(rs, to: target, deployment: object, key: key, desired: desired, max: maxReplicas)
            }
            let targets = RolloutPlanner.oldReplicaSetReplicas(
                desired: desired, maxUnavailable: unavailable, new: newRS.map(Self.counts), olds: olds.map(Self.counts))
            for (index, target) in targets.enumerated() where target.replicas != Self.replicas(olds[index]) {
                olds[index] = try await scale(
                    olds[index], to: target.replicas, deployment: object, key: key, desired: desired, max: maxReplicas)
            }
        }
        all = olds + (newRS.map { [$0] } ?? [])

        try await cleanUpHistory(olds, limit: Int(spec.revisionHistoryLimit ?? 10), key: key)
        try await syncStatus(object, deployment: deployment, all: all, new: newRS, created: created)
        return .done
    }

    // MARK: ReplicaSets

    private func createReplicaSet(
        for deployment: KubeObject, key: ObjectKey, template: JSONValue, hash: String, revision: Int, replicas: Int,
        desired: Int, maxReplicas: Int, minReadySeconds: JSONValue?, collisionCount: Int32?
    ) async throws -> KubeObject? {
        var podTemplate = template
        var templateMeta = podTemplate["metadata"]?.objectValue ?? [:]
        var labels = templateMeta["labels"]?.objectValue ?? [:]
        labels[PodTemplateHash.label] = .string(hash)
        templateMeta["labels"] = .object(labels)
        podTemplate["metadata"] = .object(templateMeta)
        var selector = deployment.spec?["selector"] ?? [:]
        var matchLabels = selector["matchLabels"]?.objectValue ?? [:]
        matchLabels[PodTemplateHash.label] = .string(hash)
        selector["matchLabels"] = .object(matchLabels)

        var rs = KubeObject([
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "spec": [
                "replicas": .int(Int64(replicas)), "selector": selector, "template": podTemplate,
            ],
        ])
        if let minReadySeconds { rs.spec?["minReadySeconds"] = minReadySeconds }
        rs.metadata = [
            "name": .string("\(deployment.name)-\(hash)"), "namespace": .string(deployment.namespace ?? "default"),
            "labels": .object(labels),
            "annotations": [
                Self.revisionAnnotation: .string(String(revision)),
                Self.desiredAnnotation: .string(String(desired)),
                Self.maxAnnotation: .string(String(maxReplicas)),
            ],
            "ownerReferences": [OwnerRef.controller(of: deployment).json],
        ]
        do {
            let created = try await store.create(try Admission.admit(rs, as: .replicaSet), as: .replicaSet)
            expectations.expect(key, revision: created.resourceVersion)
            return created
        } catch let error as StatusError where error.reason == .alreadyExists {
            // Ours, not yet in the cache? Then it is the new one. Anything else is a hash collision:
            // count it, which changes the hash, and try again.
            let existing = try await store.get(.replicaSet, namespace: deployment.namespace, name: rs.name)
            if existing.controllerOwner?.uid == deployment.uid,
                PodTemplateHash.withoutHashLabel(existing.spec?["template"] ?? [:])
                    == PodTemplateHash.withoutHashLabel(template)
            {
                expectations.expect(key, revision: existing.resourceVersion)
                return existing
            }
            let count = Int64(collisionCount ?? 0) + 1
            _ = try await store.update(.deployment, namespace: deployment.namespace, name: deployment.name, subresource: .status) {
                $0.status?["collisionCount"] = .int(count)
            }
            throw error
        }
    }

    private func scale(
        _ rs: KubeObject, to replicas: Int, deployment: KubeObject, key: ObjectKey, desired: Int, max: Int
    ) async throws -> KubeObject {
        let from = Self.replicas(rs)
        let annotationsRight = rs.annotations[Self.desiredAnnotation] == String(desired)
            && rs.annotations[Self.maxAnnotation] == String(max)
        if from == replicas && annotationsRight { return rs }
        let updated = try await updateReplicaSet(rs, key: key) { object in
            object.spec?["replicas"] = .int(Int64(replicas))
            object.annotations[Self.desiredAnnotation] = String(desired)
            object.annotations[Self.maxAnnotation] = String(max)
        }
        if from != replicas {
            let direction = replicas > from ? "up" : "down"
            await recorder.normal(
                deployment, reason: "ScalingReplicaSet",
                message: "Scaled \(direction) replica set \(rs.name) from \(from) to \(replicas)")
        }
        return updated
    }

    private func updateReplicaSet(
        _ rs: KubeObject, key: ObjectKey, _ change: @escaping @Sendable (inout KubeObject) -> Void
    ) async throws -> KubeObject {
        let uid = rs.uid
        let updated = try await store.update(.replicaSet, namespace: rs.namespace, name: rs.name, subresource: .main) {
            object in
            guard object.uid == uid else {
                throw StatusError.conflict(.replicaSet, object.name, "the ReplicaSet was replaced")
            }
            change(&object)
        }
        expectations.expect(key, revision: updated.resourceVersion)
        return updated
    }

    /// Deletes the oldest fully scaled-down old ReplicaSets beyond the history limit.
    private func cleanUpHistory(_ olds: [KubeObject], limit: Int, key: ObjectKey) async throws {
        let idle = olds.filter {
            Self.replicas($0) == 0 && Self.statusReplicas($0) == 0 && $0.deletionTimestamp == nil
        }.sorted { Self.revision($0) < Self.revision($1) }
        guard idle.count > limit else { return }
        for rs in idle.prefix(idle.count - max(0, limit)) {
            do {
                let result = try await store.delete(
                    .replicaSet, namespace: rs.namespace, name: rs.name, preconditions: Preconditions(uid: rs.uid))
                expectations.expect(key, revision: result.object.resourceVersion)
            } catch let error as StatusError where error.reason == .notFound {
            }
        }
    }

    // MARK: Status

    private func syncStatus(
        _ object: KubeObject, deployment: Deployment, all: [KubeObject], new: KubeObject?, created: Bool
    ) async throws {
        let desired = Int(deployment.spec?.replicas ?? 1)
        let specReplicas = all.reduce(0) { $0 + Self.replicas($1) }
        let replicas = all.reduce(0) { $0 + Self.statusReplicas($1) }
        let ready = all.reduce(0) { $0 + ($1.int("status.readyReplicas") ?? 0) }
        let available = all.reduce(0) { $0 + ($1.int("status.availableReplicas") ?? 0) }
        let updated = new.map(Self.statusReplicas) ?? 0
        let (_, maxUnavailable) = RolloutPlanner.resolve(
            maxSurge: Self.value(deployment.spec?.strategy?.rollingUpdate?.maxSurge, default: .percent(25)),
            maxUnavailable: Self.value(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, default: .percent(25)),
            desired: desired)
        let minAvailable = deployment.spec?.strategy?.type == "Recreate" ? desired : desired - maxUnavailable

        let old = object.status?.objectValue ?? [:]
        var status = old
        status["observedGeneration"] = .int(object.generation ?? 1)
        status["replicas"] = .int(Int64(replicas))
        status["updatedReplicas"] = .int(Int64(updated))
        status["readyReplicas"] = .int(Int64(ready))
        status["availableReplicas"] = .int(Int64(available))
        status["unavailableReplicas"] = .int(Int64(max(0, specReplicas - available)))

        let timestamp = Timestamp.format(now())
        var conditions = old["conditions"]?.arrayValue ?? []
        if available >= minAvailable {
            Self.setCondition(
                &conditions, type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                message: "Deployment has minimum availability.", now: timestamp)
        } else {
            Self.setCondition(
                &conditions, type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                message: "Deployment does not have minimum availability.", now: timestamp)
        }
        if let new {
            let complete = updated == desired && replicas == desired && available == desired
                && Self.replicas(new) == desired
            let progressed = updated > (old["updatedReplicas"]?.intValue ?? 0)
                || available > (old["availableReplicas"]?.intValue ?? 0)
                || ready > (old["readyReplicas"]?.intValue ?? 0)
                || replicas != (old["replicas"]?.intValue ?? 0)
            let hasProgressing = conditions.contains { $0["type"]?.stringValue == "Progressing" }
            if created {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "NewReplicaSetCreated",
                    message: "Created new replica set \"\(new.name)\"", now: timestamp)
            } else if complete {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "NewReplicaSetAvailable",
                    message: "ReplicaSet \"\(new.name)\" has successfully progressed.", now: timestamp)
            } else if progressed && hasProgressing {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "ReplicaSetUpdated",
                    message: "ReplicaSet \"\(new.name)\" is progressing.", now: timestamp)
            } else if !hasProgressing
                || conditions.first(where: { $0["type"]?.stringValue == "Progressing" })?["message"]?.stringValue?
                    .contains("\"\(new.name)\"") != true
            {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "FoundNewReplicaSet",
                    message: "Found new replica set \"\(new.name)\"", now: timestamp)
            }
        }
        status["conditions"] = .array(conditions)
        guard JSONValue.object(status) != object.status else { return }
        let newStatus = JSONValue.object(status)
        do {
            _ = try await store.update(.deployment, namespace: object.namespace, name: object.name, subresource: .status) {
                $0.status = newStatus
            }
        } catch let error as StatusError where error.reason == .notFound {
        }
    }

    /// Sets a condition, moving `lastTransitionTime` only when its status changes and
    /// `lastUpdateTime` only when anything about it changes.
    static func setCondition(
        _ conditions: inout [JSONValue], type: String, status: String, reason: String, message: String, now: String
    ) {
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        let existing = index.map { conditions[$0] }
        if let existing, existing["status"]?.stringValue == status, existing["reason"]?.stringValue == reason,
            existing["message"]?.stringValue == message
        {
            return
        }
        let transition =
            existing?["status"]?.stringValue == status ? existing?["lastTransitionTime"] ?? .string(now) : .string(now)
        let condition: JSONValue = [
            "type": .string(type), "status": .string(status), "reason": .string(reason), "message": .string(message),
            "lastUpdateTime": .string(now), "lastTransitionTime": transition,
        ]
        if let index { conditions[index] = condition } else { conditions.append(condition) }
    }

    // MARK: Reading ReplicaSets

    /// The ReplicaSet whose template is the Deployment's (ignoring the hash label), or the one named for the hash.
    static func findNew(_ all: [KubeObject], template: JSONValue, name: String, hash: String) -> KubeObject? {
        let wanted = PodTemplateHash.withoutHashLabel(template)
        let live = all.filter { $0.deletionTimestamp == nil }
        return live.first { PodTemplateHash.withoutHashLabel($0.spec?["template"] ?? [:]) == wanted }
            ?? live.first { $0.name == name && $0.labels[PodTemplateHash.label] == hash }
    }

    static func revision(_ rs: KubeObject) -> Int { Int(rs.annotations[revisionAnnotation] ?? "") ?? 0 }
    static func replicas(_ rs: KubeObject) -> Int { rs.int("spec.replicas") ?? 1 }
    static func statusReplicas(_ rs: KubeObject) -> Int { rs.int("status.replicas") ?? 0 }
    static func counts(_ rs: KubeObject) -> RolloutPlanner.ReplicaSetCounts {
        .init(name: rs.name, replicas: replicas(rs), available: rs.int("status.availableReplicas") ?? 0)
    }
    static func minReady(_ spec: DeploymentSpec) -> JSONValue? {
        spec.minReadySeconds.map { .int(Int64($0)) }
    }

    static func olderFirst(_ a: KubeObject, _ b: KubeObject) -> Bool {
        let ta = a.creationTimestamp ?? ""
        let tb = b.creationTimestamp ?? ""
        if ta != tb { return ta < tb }
        return a.name < b.name
    }

    static func value(_ given: IntOrString?, default fallback: IntOrStringValue) -> IntOrStringValue {
        guard let given else { return fallback }
        if let n = given.intValue { return .count(Int(n)) }
        if let p = given.percent { return .percent(p) }
        return fallback
    }
}
