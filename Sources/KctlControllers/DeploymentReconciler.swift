import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Rolls a Deployment's pod template out through ReplicaSets: one per distinct template, named
/// `<deployment>-<pod-template-hash>`, labelled and selected by that hash, annotated with its
/// revision. Each reconcile takes one step of `RolloutStep` (RollingUpdate within
/// `maxSurge`/`maxUnavailable`, or Recreate), or spreads a change of `replicas` proportionally
/// while a rollout is under way or paused; deletes old ReplicaSets beyond `revisionHistoryLimit`;
/// and keeps the Deployment's status and its `Available` and `Progressing` conditions true
/// (`RolloutProgress`, against `progressDeadlineSeconds` on the injected clock).
public struct DeploymentReconciler: Reconciler {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let desiredAnnotation = "deployment.kubernetes.io/desired-replicas"
    static let maxAnnotation = "deployment.kubernetes.io/max-replicas"
    static let changeCauseAnnotation = "kubernetes.io/change-cause"

    let store: any Store
    let deployments: Informer
    let replicaSets: Informer
    let pods: Informer?
    let configMaps: Informer?
    let secrets: Informer?
    let recorder: EventRecorder
    let now: @Sendable () -> Date
    let logger: Logger
    let expectations = WriteExpectations()

    /// - Parameters:
    ///   - pods: lets Recreate wait until old pods are gone (terminating ones included); without it,
    ///     until the old ReplicaSets report none.
    ///   - configMaps, secrets: for `kctl.dev/follow-config` Deployments (see `RolloutConfigHash`).
    public init(
        store: any Store, deployments: Informer, replicaSets: Informer, pods: Informer? = nil,
        configMaps: Informer? = nil, secrets: Informer? = nil, recorder: EventRecorder,
        now: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.store = store
        self.deployments = deployments
        self.replicaSets = replicaSets
        self.pods = pods
        self.configMaps = configMaps
        self.secrets = secrets
        self.recorder = recorder
        self.now = now
        self.logger = logger
    }

    /// What one reconcile did that the status needs to know.
    struct Outcome {
        var created = false
        var scaledNew = false
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = deployments.get(key) else {
            expectations.forget(key)
            return .done
        }
        guard expectations.isSatisfied(key, by: replicaSets) else { return .requeueAfter(.seconds(1)) }
        let deployment: Deployment
        do {
            deployment = try Deployment(Self.withoutTemplate(object))
        } catch {
            logger.warning("deployment \(key): cannot read: \(error)")
            return .done
        }
        guard let spec = deployment.spec, !spec.selector.isEmpty else { return .done }
        let template = effectiveTemplate(object)

        let claimed = try await Claiming(store: store, type: .replicaSet).claim(
            owner: object, selector: spec.selector,
            candidates: replicaSets.ownedOrOrphaned(by: object.uid ?? "", namespace: object.namespace))
        expectations.expect(key, revision: claimed.lastWrite)
        let all = claimed.owned.sorted(by: Self.olderFirst)
        let hash = PodTemplateHash.compute(template, collisionCount: deployment.status?.collisionCount)
        var newRS = Self.findNew(all, template: template, name: "\(object.name)-\(hash)", hash: hash)
        var olds = all.filter { $0.uid != newRS?.uid }

        if object.deletionTimestamp != nil {
            return try await syncStatus(object, deployment: deployment, all: all, new: newRS, outcome: Outcome())
        }

        let limits = RolloutLimits(spec)
        let recreate = spec.strategy?.type == "Recreate"
        let maxOldRevision = olds.map(Self.revision).max() ?? 0
        let paused = spec.paused == true
        let scalingEvent = RolloutStep.isScalingEvent(desired: limits.desired, all: all.map(Self.state))
        var outcome = Outcome()

        // The new ReplicaSet: found (its revision brought past the old ones when an old template
        // comes back) or, unless paused or only scaling, created.
        if let existing = newRS {
            newRS = try await syncNewReplicaSet(existing, object: object, spec: spec, maxOldRevision: maxOldRevision, key: key)
        } else if !paused && !scalingEvent
            && (!recreate || olds.allSatisfy({ Self.replicas($0) == 0 }) && oldPodsRunning(olds) == 0)
        {
            var initial = limits.desired
            if !recreate {
                initial = RolloutStep.newReplicas(
                    limits, new: RolloutReplicaSet(name: "", replicas: 0), olds: olds.map(Self.state))
            }
            newRS = try await createReplicaSet(
                for: object, key: key, template: template, hash: hash, revision: maxOldRevision + 1,
                replicas: initial, limits: limits, minReadySeconds: Self.minReady(spec),
                collisionCount: deployment.status?.collisionCount)
            if let newRS {
                outcome.created = true
                await recorder.normal(
                    object, reason: "ScalingReplicaSet", message: "Scaled up replica set \(newRS.name) to \(initial) from 0")
            }
        }
        if let revision = newRS.map(Self.revision), object.annotations[Self.revisionAnnotation] != String(revision) {
            _ = try await store.update(.deployment, namespace: object.namespace, name: object.name, subresource: .main) {
                $0.annotations[Self.revisionAnnotation] = String(revision)
            }
        }

        // One step.
        let newState = newRS.map(Self.state)
        let oldStates = olds.map(Self.state)
        let targets: [String: Int]
        if paused || scalingEvent {
            targets = RolloutStep.proportional(
                limits, rolling: !recreate, new: newState, olds: oldStates,
                currentTotal: Int(deployment.status?.replicas ?? 0))
        } else if recreate {
            targets = RolloutStep.recreate(
                desired: limits.desired, new: newState, olds: oldStates, oldPodsRunning: oldPodsRunning(olds))
        } else {
            targets = RolloutStep.rolling(limits, new: newState, olds: oldStates)
        }
        // A scaling event rewrites every active ReplicaSet's annotations, so it is seen only once.
        let touchAll = paused || scalingEvent
        for index in olds.indices {
            let target = targets[olds[index].name] ?? Self.replicas(olds[index])
            guard target != Self.replicas(olds[index]) || (touchAll && target > 0) else { continue }
            olds[index] = try await scale(olds[index], to: target, deployment: object, key: key, limits: limits)
        }
        if let rs = newRS {
            let target = targets[rs.name] ?? Self.replicas(rs)
            outcome.scaledNew = target != Self.replicas(rs)
            newRS = try await scale(rs, to: target, deployment: object, key: key, limits: limits)
        }

        try await cleanUpHistory(olds, limit: Int(spec.revisionHistoryLimit ?? 10), key: key)
        let result = try await syncStatus(
            object, deployment: deployment, all: olds + (newRS.map { [$0] } ?? []), new: newRS, outcome: outcome)
        if recreate, newRS == nil || Self.replicas(newRS!) < limits.desired, oldPodsRunning(olds) > 0 {
            // Pods going away do not change a ReplicaSet's status: look again for them.
            return .requeueAfter(.milliseconds(500))
        }
        return result
    }

    /// The pod template the ReplicaSet gets: the Deployment's, plus the hash of the configuration
    /// it follows.
    func effectiveTemplate(_ object: KubeObject) -> JSONValue {
        let template = object.spec?["template"] ?? [:]
        guard RolloutConfigHash.follows(object) else { return template }
        let namespace = object.namespace ?? "default"
        let hash = RolloutConfigHash.hash(
            RolloutConfigHash.references(in: template),
            configMap: { configMaps?.get(ObjectKey(namespace: namespace, name: $0)) },
            secret: { secrets?.get(ObjectKey(namespace: namespace, name: $0)) })
        return RolloutConfigHash.annotate(template, hash: hash)
    }

    /// Pods of the old ReplicaSets that still exist and have not finished.
    private func oldPodsRunning(_ olds: [KubeObject]) -> Int {
        guard let pods else { return olds.reduce(0) { $0 + Self.statusReplicas($1) } }
        return olds.reduce(0) { count, old in
            count + pods.list(index: Indexes.controller, value: old.uid ?? "").filter {
                $0.podPhase != "Succeeded" && $0.podPhase != "Failed"
            }.count
        }
    }

    // MARK: ReplicaSets

    private func createReplicaSet(
        for deployment: KubeObject, key: ObjectKey, template: JSONValue, hash: String, revision: Int, replicas: Int,
        limits: RolloutLimits, minReadySeconds: JSONValue?, collisionCount: Int32?
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
        var annotations: JSONValue = [
            Self.revisionAnnotation: .string(String(revision)),
            Self.desiredAnnotation: .string(String(limits.desired)),
            Self.maxAnnotation: .string(String(limits.maxTotal)),
        ]
        if let cause = deployment.annotations[Self.changeCauseAnnotation] {
            annotations[Self.changeCauseAnnotation] = .string(cause)
        }
        rs.metadata = [
            "name": .string("\(deployment.name)-\(hash)"), "namespace": .string(deployment.namespace ?? "default"),
            "labels": .object(labels),
            "annotations": annotations,
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

    /// Brings a found new ReplicaSet's revision past the old ones, its change cause and
    /// `minReadySeconds` up to date with the Deployment.
    private func syncNewReplicaSet(
        _ rs: KubeObject, object: KubeObject, spec: DeploymentSpec, maxOldRevision: Int, key: ObjectKey
    ) async throws -> KubeObject {
        let cause = object.annotations[Self.changeCauseAnnotation]
        let bumpRevision = Self.revision(rs) <= maxOldRevision
        let causeChanged = cause != nil && rs.annotations[Self.changeCauseAnnotation] != cause
        guard bumpRevision || causeChanged || rs.spec?["minReadySeconds"] != Self.minReady(spec) else { return rs }
        let minReady = Self.minReady(spec)
        return try await updateReplicaSet(rs, key: key) { rs in
            if bumpRevision { rs.annotations[Self.revisionAnnotation] = String(maxOldRevision + 1) }
            if let cause { rs.annotations[Self.changeCauseAnnotation] = cause }
            rs.spec?["minReadySeconds"] = minReady
        }
    }

    private func scale(
        _ rs: KubeObject, to replicas: Int, deployment: KubeObject, key: ObjectKey, limits: RolloutLimits
    ) async throws -> KubeObject {
        let desired = limits.desired
        let max = limits.maxTotal
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
                message: "Scaled \(direction) replica set \(rs.name) to \(replicas) from \(from)")
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
        let live = olds.filter { $0.deletionTimestamp == nil }
        let names = Set(RolloutStep.historyToDelete(olds: live.map(Self.state), limit: limit))
        for rs in live where names.contains(rs.name) {
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
        _ object: KubeObject, deployment: Deployment, all: [KubeObject], new: KubeObject?, outcome: Outcome
    ) async throws -> ReconcileResult {
        let spec = deployment.spec
        let limits = RolloutLimits(spec)
        let desired = limits.desired
        let specReplicas = all.reduce(0) { $0 + Self.replicas($1) }
        let current = RolloutProgress.Counts(
            replicas: all.reduce(0) { $0 + Self.statusReplicas($1) },
            updated: new.map(Self.statusReplicas) ?? 0,
            ready: all.reduce(0) { $0 + ($1.int("status.readyReplicas") ?? 0) },
            available: all.reduce(0) { $0 + ($1.int("status.availableReplicas") ?? 0) })

        let old = object.status?.objectValue ?? [:]
        let previous = RolloutProgress.Counts(
            replicas: Int(old["replicas"]?.intValue ?? 0), updated: Int(old["updatedReplicas"]?.intValue ?? 0),
            ready: Int(old["readyReplicas"]?.intValue ?? 0), available: Int(old["availableReplicas"]?.intValue ?? 0))
        var status = old
        status["observedGeneration"] = .int(object.generation ?? 1)
        status["replicas"] = .int(Int64(current.replicas))
        status["updatedReplicas"] = .int(Int64(current.updated))
        status["readyReplicas"] = .int(Int64(current.ready))
        status["availableReplicas"] = .int(Int64(current.available))
        status["unavailableReplicas"] = .int(Int64(max(0, specReplicas - current.available)))

        let now = self.now()
        let timestamp = Timestamp.format(now)
        var conditions = old["conditions"]?.arrayValue ?? []
        if current.available >= limits.minAvailable {
            Self.setCondition(
                &conditions, type: "Available", status: "True", reason: "MinimumReplicasAvailable",
                message: "Deployment has minimum availability.", now: timestamp)
        } else {
            Self.setCondition(
                &conditions, type: "Available", status: "False", reason: "MinimumReplicasUnavailable",
                message: "Deployment does not have minimum availability.", now: timestamp)
        }

        let deadline = Int(spec?.progressDeadlineSeconds ?? 600)
        func progressing() -> RolloutProgress.Condition? {
            guard let condition = conditions.first(where: { $0["type"]?.stringValue == "Progressing" }) else {
                return nil
            }
            return RolloutProgress.Condition(
                status: condition["status"]?.stringValue ?? "", reason: condition["reason"]?.stringValue ?? "",
                lastUpdate: condition["lastUpdateTime"]?.stringValue.flatMap(Timestamp.parse))
        }
        var timedOutNow = false
        let reason = progressing()?.reason
        if spec?.paused == true {
            // A reported lack of progress is not hidden by pausing.
            if reason != RolloutProgress.deadlineExceeded && reason != RolloutProgress.paused {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "Unknown", reason: RolloutProgress.paused,
                    message: "Deployment is paused", now: timestamp)
            }
        } else if object.deletionTimestamp == nil {
            if reason == RolloutProgress.paused {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "Unknown", reason: RolloutProgress.resumed,
                    message: "Deployment is resumed", now: timestamp)
            }
            if let new, outcome.created {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "NewReplicaSetCreated",
                    message: "Created new replica set \"\(new.name)\"", now: timestamp)
            } else if let new, progressing() == nil {
                Self.setCondition(
                    &conditions, type: "Progressing", status: "True", reason: "FoundNewReplicaSet",
                    message: "Found new replica set \"\(new.name)\"", now: timestamp)
            }
            if let update = RolloutProgress.evaluate(
                name: object.name, newReplicaSet: new?.name, desired: desired, previous: previous, current: current,
                condition: progressing(), scaledNew: outcome.scaledNew, deadline: deadline, now: now)
            {
                timedOutNow = update.reason == RolloutProgress.deadlineExceeded && reason != update.reason
                Self.setCondition(
                    &conditions, type: "Progressing", status: update.status, reason: update.reason,
                    message: update.message, now: timestamp, touch: update.touch)
            }
        }
        status["conditions"] = .array(conditions)
        if timedOutNow {
            await recorder.warning(
                object, reason: RolloutProgress.deadlineExceeded,
                message: "Deployment \"\(object.name)\" has timed out progressing (no progress in \(deadline)s).")
        }
        if JSONValue.object(status) != object.status {
            let newStatus = JSONValue.object(status)
            do {
                _ = try await store.update(.deployment, namespace: object.namespace, name: object.name, subresource: .status) {
                    $0.status = newStatus
                }
            } catch let error as StatusError where error.reason == .notFound {
                return .done
            }
        }
        if spec?.paused != true, let after = RolloutProgress.recheckAfter(progressing(), deadline: deadline, now: now) {
            return .requeueAfter(.milliseconds(Int64(after * 1000)))
        }
        return .done
    }

    /// Sets a condition, moving `lastTransitionTime` only when its status changes and
    /// `lastUpdateTime` only when anything about it changes.
    static func setCondition(
        _ conditions: inout [JSONValue], type: String, status: String, reason: String, message: String, now: String,
        touch: Bool = false
    ) {
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        let existing = index.map { conditions[$0] }
        if let existing, existing["status"]?.stringValue == status, existing["reason"]?.stringValue == reason,
            existing["message"]?.stringValue == message, !touch || existing["lastUpdateTime"]?.stringValue == now
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

    /// `object` with an empty pod template, for decoding: the typed Deployment is read for its
    /// rollout settings and status only (the template is read as JSON, by `effectiveTemplate`),
    /// and decoding the template was most of what a reconcile decoded. The stored Deployment was
    /// admitted, so its template is valid.
    static func withoutTemplate(_ object: KubeObject) -> KubeObject {
        guard var spec = object.json["spec"]?.objectValue, spec["template"] != nil else { return object }
        spec["template"] = ["spec": ["containers": []]]
        var stripped = object
        stripped.json["spec"] = .object(spec)
        return stripped
    }

    static func revision(_ rs: KubeObject) -> Int { Int(rs.annotations[revisionAnnotation] ?? "") ?? 0 }
    static func replicas(_ rs: KubeObject) -> Int { rs.int("spec.replicas") ?? 1 }
    static func statusReplicas(_ rs: KubeObject) -> Int { rs.int("status.replicas") ?? 0 }
    static func state(_ rs: KubeObject) -> RolloutReplicaSet {
        RolloutReplicaSet(
            name: rs.name, replicas: replicas(rs), available: rs.int("status.availableReplicas") ?? 0,
            statusReplicas: statusReplicas(rs), revision: revision(rs),
            desiredAnnotation: rs.annotations[desiredAnnotation].flatMap { Int($0) },
            maxAnnotation: rs.annotations[maxAnnotation].flatMap { Int($0) })
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
}
