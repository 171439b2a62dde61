import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Keeps the number of active pods of each ReplicaSet at `spec.replicas`: creates pods from the
/// template (named `<rs>-<5 random>`, controller reference to the ReplicaSet, admitted like an
/// API create), deletes the pods Kubernetes would delete first, adopts matching orphans, releases
/// pods that stopped matching, and keeps `status` counts true.
///
/// Creates go in slow-start batches (1, 2, 4, ...), each one store batch (one commit), at most
/// `burst` per reconcile; a failed batch stops the rest and the key is retried with back-off.
public struct ReplicaSetReconciler: Reconciler {
    let store: any Store
    let replicaSets: Informer
    let pods: Informer
    let recorder: EventRecorder
    let names: NameGenerator
    let now: @Sendable () -> Date
    let burst: Int
    let logger: Logger
    let expectations = WriteExpectations()

    public init(
        store: any Store, replicaSets: Informer, pods: Informer, recorder: EventRecorder,
        names: NameGenerator = NameGenerator(), now: @escaping @Sendable () -> Date = { Date() }, burst: Int = 500,
        logger: Logger
    ) {
        self.store = store
        self.replicaSets = replicaSets
        self.pods = pods
        self.recorder = recorder
        self.names = names
        self.now = now
        self.burst = max(1, burst)
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = replicaSets.get(key) else {
            expectations.forget(key)
            return .done
        }
        // Our last creates or deletes are not in the pod cache yet: their events will wake us.
        guard expectations.isSatisfied(key, by: pods) else { return .requeueAfter(.seconds(1)) }
        guard let specJSON = object.spec, !specJSON.isNull else { return .done }
        let spec: SpecFields
        do {
            spec = try specJSON.decode(SpecFields.self)
        } catch {
            logger.warning("replicaset \(key): cannot read: \(error)")
            return .done
        }

        let claimed = try await Claiming(store: store, type: .pod).claim(
            owner: object, selector: spec.selector,
            candidates: pods.ownedOrOrphaned(by: object.uid ?? "", namespace: object.namespace))
        expectations.expect(key, revision: claimed.lastWrite)
        let active = claimed.owned.filter(\.isPodActive)

        var failure: (any Error)?
        if object.deletionTimestamp == nil {
            do {
                try await manage(object, key: key, template: object.spec?["template"] ?? [:],
                                 active: active, desired: Int(spec.replicas ?? 1))
            } catch {
                failure = error
            }
        }
        let result = try await updateStatus(object, spec: spec, active: active)
        if let failure { throw failure }
        return result
    }

    /// The parts of a ReplicaSet's spec a reconcile reads, decoded alone: decoding the whole
    /// ReplicaSet (its pod template above all) on every reconcile cost more than the rest of it.
    /// The stored object was admitted, so the parts left out are valid.
    struct SpecFields: Decodable {
        var replicas: Int32?
        var minReadySeconds: Int32?
        var selector: LabelSelector
        var template: Template

        struct Template: Decodable {
            var metadata: Metadata?
        }
        struct Metadata: Decodable {
            var labels: [String: String]?
        }
    }

    // MARK: Scaling

    private func manage(_ rs: KubeObject, key: ObjectKey, template: JSONValue, active: [KubeObject], desired: Int)
        async throws
    {
        let diff = active.count - desired
        if diff < 0 {
            try await createPods(for: rs, key: key, template: template, count: min(-diff, burst))
        } else if diff > 0 {
            let victims = Array(PodDeletionOrder.sorted(active).prefix(min(diff, burst)))
            try await deletePods(victims, of: rs, key: key)
        }
    }

    private func createPods(for rs: KubeObject, key: ObjectKey, template: JSONValue, count: Int) async throws {
        let pod: KubeObject
        do {
            pod = try podTemplate(for: rs, template: template)
        } catch {
            await recorder.warning(rs, reason: "FailedCreate", message: "Error creating: \(error)")
            throw error
        }
        var remaining = count
        var batch = 1
        while remaining > 0 {
            let size = min(batch, remaining)
            // One slow-start step is one store batch: one commit for all its pods.
            let results = await create(pod, count: size)
            var firstError: (any Error)?
            for result in results {
                switch result {
                case .success(let created):
                    expectations.expect(key, revision: created.resourceVersion)
                    recorder.post(rs, type: .normal, reason: "SuccessfulCreate", message: "Created pod: \(created.name)")
                case .failure(let error):
                    if firstError == nil { firstError = error }
                }
            }
            if let firstError {
                await recorder.warning(rs, reason: "FailedCreate", message: "Error creating: \(firstError)")
                throw firstError
            }
            remaining -= size
            batch *= 2
        }
    }

    /// The pod every create of this ReplicaSet starts from, admitted as the API would.
    private func podTemplate(for rs: KubeObject, template: JSONValue) throws -> KubeObject {
        var pod = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": template["spec"] ?? [:]])
        var metadata: [String: JSONValue] = [
            "namespace": .string(rs.namespace ?? "default"),
            "generateName": .string("\(rs.name)-"),
            "ownerReferences": [OwnerRef.controller(of: rs).json],
        ]
        for field in ["labels", "annotations"] {
            if let value = template["metadata"]?[field], value.objectValue?.isEmpty == false { metadata[field] = value }
        }
        pod.metadata = metadata
        pod.name = names.name(base: "\(rs.name)-")
        return try Admission.admit(pod, as: .pod)
    }

    /// Creates `count` pods from `template` in one store batch, each under a fresh generated
    /// name; a name already taken is tried again with another (at most 8 names per pod).
    private func create(_ template: KubeObject, count: Int) async -> [Result<KubeObject, any Error>] {
        let base = template.generateName ?? ""
        var results = [Result<KubeObject, any Error>?](repeating: nil, count: count)
        var open = Array(0..<count)
        for attempt in 1...8 where !open.isEmpty {
            let writes = open.map { _ -> StoreWrite in
                var pod = template
                pod.name = names.name(base: base)
                return .create(pod, as: .pod)
            }
            let written = await store.write(writes)
            var retry: [Int] = []
            for (index, result) in zip(open, written) {
                switch result {
                case .failed(let error as StatusError) where error.reason == .alreadyExists && attempt < 8:
                    retry.append(index)
                case .failed(let error):
                    results[index] = .failure(error)
                default:
                    results[index] = .success(result.object!)
                }
            }
            open = retry
        }
        return results.map { $0! }
    }

    private func deletePods(_ victims: [KubeObject], of rs: KubeObject, key: ObjectKey) async throws {
        let results = await withTaskGroup(of: (KubeObject, Result<DeleteResult?, any Error>).self) { group in
            for pod in victims {
                group.addTask {
                    do {
                        let result = try await store.delete(
                            .pod, namespace: pod.namespace, name: pod.name, preconditions: Preconditions(uid: pod.uid))
                        return (pod, .success(result))
                    } catch let error as StatusError where error.reason == .notFound {
                        return (pod, .success(nil))
                    } catch {
                        return (pod, .failure(error))
                    }
                }
            }
            var results: [(KubeObject, Result<DeleteResult?, any Error>)] = []
            for await result in group { results.append(result) }
            return results
        }
        var firstError: (any Error)?
        for (pod, result) in results.sorted(by: { $0.0.name < $1.0.name }) {
            switch result {
            case .success(let deleted):
                if let deleted { expectations.expect(key, revision: deleted.object.resourceVersion) }
                await recorder.normal(rs, reason: "SuccessfulDelete", message: "Deleted pod: \(pod.name)")
            case .failure(let error):
                await recorder.warning(rs, reason: "FailedDelete", message: "Error deleting: \(error)")
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    // MARK: Status

    private func updateStatus(_ rs: KubeObject, spec: SpecFields, active: [KubeObject]) async throws
        -> ReconcileResult
    {
        let minReady = Int(spec.minReadySeconds ?? 0)
        let now = self.now()
        let templateLabels = spec.template.metadata?.labels ?? [:]
        let ready = active.filter(\.isPodReady)
        let available = ready.filter { $0.isPodAvailable(minReadySeconds: minReady, now: now) }
        let fullyLabeled = active.filter { pod in templateLabels.allSatisfy { pod.labels[$0.key] == $0.value } }
        var status = rs.status?.objectValue ?? [:]
        status["replicas"] = .int(Int64(active.count))
        status["fullyLabeledReplicas"] = .int(Int64(fullyLabeled.count))
        status["readyReplicas"] = .int(Int64(ready.count))
        status["availableReplicas"] = .int(Int64(available.count))
        status["observedGeneration"] = .int(rs.generation ?? 1)
        if JSONValue.object(status) != rs.status {
            let newStatus = JSONValue.object(status)
            do {
                _ = try await store.update(.replicaSet, namespace: rs.namespace, name: rs.name, subresource: .status) {
                    $0.status = newStatus
                }
            } catch let error as StatusError where error.reason == .notFound {
                return .done
            }
        }
        // Ready pods that are not yet available become available with time alone: look again then.
        let waiting = ready.compactMap { pod -> TimeInterval? in
            guard !pod.isPodAvailable(minReadySeconds: minReady, now: now), let since = pod.podReadySince else {
                return nil
            }
            return since.addingTimeInterval(TimeInterval(minReady)).timeIntervalSince(now)
        }
        if let soonest = waiting.min() {
            return .requeueAfter(.milliseconds(Int64(max(soonest, 0) * 1000) + 100))
        }
        return .done
    }
}
