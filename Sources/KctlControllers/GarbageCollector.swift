import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Deletes objects whose owners are all gone, and finishes deletions that wait on dependents,
/// across a list of kinds (one informer and one queue each):
///
/// - an object whose every owner reference points to an object that no longer exists (checked by
///   uid, confirmed against the store) is deleted; references to missing owners are dropped when
///   some owner remains (background cascade);
/// - an owner being deleted with the `foregroundDeletion` finalizer gets its dependents deleted
///   (in the foreground too when they have dependents of their own); once none is left, the
///   finalizer is removed and the store removes the owner;
/// - an owner being deleted with the `orphan` finalizer gets its references removed from its
///   dependents, then the finalizer removed.
public final class GarbageCollector: Sendable {
    public static let foregroundFinalizer = "foregroundDeletion"
    public static let orphanFinalizer = "orphan"

    let store: any Store
    let informers: [ResourceType: Informer]
    let queues: [ResourceType: WorkQueue]
    let logger: Logger

    /// - Parameter informers: one per kind to collect (shared with other controllers is fine);
    ///   each gets the owner indexes and handlers added, so build the collector before running them.
    public init(store: any Store, informers: [Informer], clock: any Clock<Duration>, backOff: WorkQueue.BackOff, logger: Logger) {
        self.store = store
        self.logger = logger
        var byType: [ResourceType: Informer] = [:]
        var queues: [ResourceType: WorkQueue] = [:]
        for informer in informers {
            byType[informer.resource] = informer
            queues[informer.resource] = WorkQueue(name: "garbage-collector-\(informer.resource.plural)", clock: clock, backOff: backOff)
        }
        self.informers = byType
        self.queues = queues
        for informer in informers { watch(informer) }
    }

    /// One controller per kind, named `garbage-collector-<plural>`.
    public func controllers(workers: Int, logger: Logger) -> [Controller] {
        informers.keys.sorted { $0.plural < $1.plural }.map { type in
            Controller(
                name: "garbage-collector-\(type.plural)", queue: queues[type]!, reconciler: KindReconciler(gc: self, type: type),
                workers: workers, logger: logger)
        }
    }

    /// The reconciler for objects of one kind.
    public struct KindReconciler: Reconciler {
        let gc: GarbageCollector
        let type: ResourceType
        public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
            try await gc.reconcile(type, key)
        }
    }

    private func watch(_ informer: Informer) {
        Indexes.addIfMissing(to: informer)
        let type = informer.resource
        informer.addHandler { [weak self] event in
            guard let self else { return }
            let object = event.object
            switch event {
            case .added:
                // Its owners may be gone already, or it is being deleted with a policy.
                if !object.ownerReferences.isEmpty || object.deletionTimestamp != nil {
                    self.queues[type]?.add(event.key)
                }
            case .updated(let old, _):
                // Only a change to what the collector decides on: a pod's status updates, most
                // of its changes, tell it nothing new (an owner's deletion enqueues its
                // dependents by itself).
                if Self.ownershipChanged(from: old, to: object) { self.queues[type]?.add(event.key) }
            case .deleted:
                // Its dependents may be orphans now.
                if let uid = object.uid { self.enqueueDependents(of: uid) }
            }
            // Owners waiting (foreground) on this dependent look again.
            if event.isDeletedOrDeleting { self.enqueueOwners(of: object) }
        }
    }

    /// Whether an update changed what a collection decision reads: the owner references, the
    /// deletion mark or, while deleting, the finalizers (the deletion policies).
    static func ownershipChanged(from old: KubeObject, to new: KubeObject) -> Bool {
        if old.deletionTimestamp != new.deletionTimestamp { return true }
        if new.deletionTimestamp != nil, old.finalizers != new.finalizers { return true }
        return old.ownerReferences != new.ownerReferences
    }

    private func enqueueDependents(of uid: String) {
        for (type, informer) in informers {
            for dependent in informer.dependents(of: uid) { queues[type]?.add(ObjectKey(dependent)) }
        }
    }

    private func enqueueOwners(of object: KubeObject) {
        for owner in object.owners {
            guard let type = ResourceType.forObject(apiVersion: owner.apiVersion, kind: owner.kind) else { continue }
            queues[type]?.add(ObjectKey(namespace: type.namespaced ? object.namespace : nil, name: owner.name))
        }
    }

    // MARK: Reconcile

    func reconcile(_ type: ResourceType, _ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = informers[type]?.get(key) else { return .done }
        if object.deletionTimestamp != nil {
            if object.finalizers.contains(Self.orphanFinalizer) {
                try await orphanDependents(of: object, type: type)
            } else if object.finalizers.contains(Self.foregroundFinalizer) {
                try await deleteDependentsInForeground(of: object, type: type)
            }
            return .done
        }
        try await collectIfOrphaned(object, type: type)
        return .done
    }

    /// Deletes `object` when all its owners are gone; drops references to the missing ones otherwise.
    private func collectIfOrphaned(_ object: KubeObject, type: ResourceType) async throws {
        let owners = object.owners
        guard !owners.isEmpty else { return }
        var missing: [OwnerRef] = []
        for owner in owners where try await !ownerExists(owner, namespace: object.namespace) {
            missing.append(owner)
        }
        guard !missing.isEmpty else { return }
        if missing.count == owners.count {
            logger.info(
                "garbage collector: deleting \(type.kind) \(object.key): owner \(missing.map { "\($0.kind) \($0.name)" }.joined(separator: ", ")) is gone")
            do {
                _ = try await store.delete(
                    type, namespace: object.namespace, name: object.name, preconditions: Preconditions(uid: object.uid))
            } catch let error as StatusError where error.reason == .notFound {
            }
            return
        }
        let gone = Set(missing.map(\.uid))
        try await editIfSame(object, type: type) { current in
            current.ownerReferences = current.ownerReferences.filter { !gone.contains($0["uid"]?.stringValue ?? "") }
        }
    }

    /// Whether the owner exists with the same uid: the cache first, the store to confirm absence.
    private func ownerExists(_ owner: OwnerRef, namespace: String?) async throws -> Bool {
        let type = ResourceType.forObject(apiVersion: owner.apiVersion, kind: owner.kind)
        guard let type else {
            // A kind kctl does not serve cannot be checked: never collect on its account.
            return true
        }
        let ownerNamespace = type.namespaced ? namespace : nil
        if let cached = informers[type]?.get(namespace: ownerNamespace, name: owner.name), cached.uid == owner.uid {
            return true
        }
        do {
            let live = try await store.get(type, namespace: ownerNamespace, name: owner.name)
            return live.uid == owner.uid
        } catch let error as StatusError where error.reason == .notFound {
            return false
        }
    }

    private func dependents(of object: KubeObject) -> [(ResourceType, KubeObject)] {
        guard let uid = object.uid else { return [] }
        return informers.flatMap { type, informer in
            informer.dependents(of: uid).filter { $0.namespace == object.namespace || object.namespace == nil }
                .map { (type, $0) }
        }
    }

    private func orphanDependents(of object: KubeObject, type: ResourceType) async throws {
        let uid = object.uid ?? ""
        for (dependentType, dependent) in dependents(of: object) {
            try await editIfSame(dependent, type: dependentType) { current in
                current.ownerReferences = current.ownerReferences.filter { $0["uid"]?.stringValue != uid }
            }
        }
        try await removeFinalizer(Self.orphanFinalizer, from: object, type: type)
    }

    private func deleteDependentsInForeground(of object: KubeObject, type: ResourceType) async throws {
        let dependents = dependents(of: object)
        if dependents.isEmpty {
            try await removeFinalizer(Self.foregroundFinalizer, from: object, type: type)
            return
        }
        for (dependentType, dependent) in dependents where dependent.deletionTimestamp == nil {
            let hasOwnDependents = !self.dependents(of: dependent).isEmpty
            if hasOwnDependents {
                try await editIfSame(dependent, type: dependentType) { current in
                    if !current.finalizers.contains(Self.foregroundFinalizer) {
                        current.finalizers.append(Self.foregroundFinalizer)
                    }
                }
            }
            do {
                _ = try await store.delete(
                    dependentType, namespace: dependent.namespace, name: dependent.name,
                    preconditions: Preconditions(uid: dependent.uid))
            } catch let error as StatusError where error.reason == .notFound {
            }
        }
        // The dependents' deletions wake this owner again.
    }

    private func removeFinalizer(_ finalizer: String, from object: KubeObject, type: ResourceType) async throws {
        try await editIfSame(object, type: type) { current in
            current.finalizers = current.finalizers.filter { $0 != finalizer }
        }
    }

    /// Edits the stored object when it is still the one we read (same uid); gone is fine.
    private func editIfSame(
        _ object: KubeObject, type: ResourceType, _ change: @escaping @Sendable (inout KubeObject) -> Void
    ) async throws {
        let uid = object.uid
        do {
            _ = try await store.update(type, namespace: object.namespace, name: object.name, subresource: .main) {
                current in
                guard current.uid == uid else { throw StatusError.notFound(type, object.name) }
                change(&current)
            }
        } catch let error as StatusError where error.reason == .notFound {
        }
    }
}

extension InformerEvent {
    var isDeletedOrDeleting: Bool {
        switch self {
        case .deleted: return true
        case .added(let o), .updated(_, let o): return o.deletionTimestamp != nil
        }
    }
}
