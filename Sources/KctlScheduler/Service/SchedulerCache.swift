import Foundation
import KctlControllerRuntime
import KctlModel

/// The scheduler's state between informer events and scheduling cycles: the cluster snapshot, the
/// pods it has placed but not yet seen bound (assume-then-confirm), and the pods waiting for the
/// cluster to change. Informer handlers and workers reach it from any thread; the lock is never
/// held across an `await`.
final class SchedulerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot = ClusterSnapshot()
    /// Placed by us; the informer has not shown the binding yet. Stale unbound versions of these
    /// pods are ignored, so the assumption (and the room it takes) stays until confirmed or undone.
    private var assumed: Set<String> = []
    /// Found unschedulable; retried when a node appears or changes, or a pod frees room.
    private var unschedulable: Set<ObjectKey> = []
    let schedulerName: String

    init(schedulerName: String) {
        self.schedulerName = schedulerName
    }

    private func withLock<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Informer events

    /// Applies a node change; returns the pending pods worth retrying.
    func nodeChanged(_ event: InformerEvent) -> [ObjectKey] {
        switch event {
        case .deleted(let object):
            withLock { snapshot.removeNode(named: object.name) }
            return []
        case .added(let object), .updated(_, let object):
            guard let info = try? NodeInfo(object) else { return [] }
            return withLock {
                if snapshot.node(named: info.name) == info { return [] }
                snapshot.upsertNode(info)
                return Array(unschedulable)
            }
        }
    }

    /// What a pod change means for the scheduler.
    struct PodChange {
        /// The pod needs a node (queue it).
        var schedule: ObjectKey?
        /// Room was freed: pending pods worth retrying.
        var retry: [ObjectKey] = []
    }

    func podChanged(_ event: InformerEvent) -> PodChange {
        let object = event.object
        let key = ObjectKey(object)
        let snapshotKey = key.description
        if case .deleted = event {
            return withLock {
                assumed.remove(snapshotKey)
                unschedulable.remove(key)
                guard snapshot.pod(snapshotKey) != nil else { return PodChange() }
                snapshot.removePod(snapshotKey)
                return PodChange(retry: Array(unschedulable))
            }
        }
        let nodeName = object.spec?["nodeName"]?.stringValue ?? ""
        let phase = object.status?["phase"]?.stringValue
        let finished = phase == "Succeeded" || phase == "Failed"
        if !nodeName.isEmpty {
            // A bound pod whose scheduling fields did not change (its status did: the node
            // agent's report) is in the snapshot as it was: no need to read it again.
            if !finished, case .updated(let old, _) = event, Self.sameSchedulingFields(old, object) {
                let unchanged = withLock { () -> Bool in
                    guard !assumed.contains(snapshotKey), snapshot.pod(snapshotKey) != nil else { return false }
                    unschedulable.remove(key)
                    return true
                }
                if unchanged { return PodChange() }
            }
            let info = try? PodInfo(object)
            return withLock {
                assumed.remove(snapshotKey)
                unschedulable.remove(key)
                if finished || info == nil {
                    guard snapshot.pod(snapshotKey) != nil else { return PodChange() }
                    snapshot.removePod(snapshotKey)
                    return PodChange(retry: Array(unschedulable))
                }
                snapshot.upsertPod(info!)
                return PodChange()
            }
        }
        guard Self.wantsNode(object, schedulerName: schedulerName) else { return PodChange() }
        // Our own writes to a pending pod (the decision annotation, the PodScheduled condition)
        // change neither its spec nor its labels: they are no reason to try again at once.
        if case .updated(let old, let new) = event, old.specPart == new.specPart, old.labels == new.labels {
            return PodChange()
        }
        return withLock { assumed.contains(snapshotKey) ? PodChange() : PodChange(schedule: key) }
    }

    /// Whether `PodInfo` of both is the same: it reads only the spec and these metadata fields.
    static func sameSchedulingFields(_ old: KubeObject, _ new: KubeObject) -> Bool {
        guard old.json["spec"] == new.json["spec"] else { return false }
        let before = old.metadata
        let after = new.metadata
        for field in ["name", "namespace", "uid", "labels", "ownerReferences", "deletionTimestamp"]
        where before[field] != after[field] {
            return false
        }
        return true
    }

    /// Unbound, not finished, not being deleted, and for this scheduler.
    static func wantsNode(_ object: KubeObject, schedulerName: String) -> Bool {
        guard (object.spec?["nodeName"]?.stringValue ?? "").isEmpty, object.deletionTimestamp == nil else {
            return false
        }
        let phase = object.status?["phase"]?.stringValue
        if phase == "Succeeded" || phase == "Failed" { return false }
        let requested = object.spec?["schedulerName"]?.stringValue ?? ""
        return requested.isEmpty || requested == schedulerName
    }

    // MARK: Scheduling cycles

    /// Decides for one pod and, when a node fits, assumes the placement at once, so the next
    /// decision (on any worker) sees its requests.
    func schedule(_ pod: PodInfo) -> Decision {
        withLock {
            let decision = SchedulingPipeline.schedule(pod, in: snapshot)
            if let node = decision.node {
                snapshot.assume(pod, on: node)
                assumed.insert(pod.key)
            }
            return decision
        }
    }

    /// The snapshot's view of a pod (`namespace/name`).
    func pod(_ key: String) -> PodInfo? {
        withLock { snapshot.pod(key) }
    }

    /// Placed by a scheduling cycle and not yet seen bound (nor undone).
    func isAssumed(_ key: ObjectKey) -> Bool {
        withLock { assumed.contains(key.description) }
    }

    /// Undoes an assumption after the binding failed.
    func forget(_ pod: PodInfo) {
        withLock {
            guard assumed.remove(pod.key) != nil else { return }
            snapshot.removePod(pod.key)
        }
    }

    func markUnschedulable(_ key: ObjectKey) {
        _ = withLock { unschedulable.insert(key) }
    }

    func clearUnschedulable(_ key: ObjectKey) {
        _ = withLock { unschedulable.remove(key) }
    }

    /// A copy of the snapshot (for tests and diagnostics).
    var currentSnapshot: ClusterSnapshot { withLock { snapshot } }
}
