import Foundation
import KctlModel

/// Which pods a ReplicaSet removes first when it has too many, as Kubernetes ranks them:
/// unscheduled before scheduled, Pending before Unknown before Running, not ready before ready,
/// ready for less time before ready for longer, more restarts before fewer, newer before older.
/// A pure function of the pods, tested without a store.
public enum PodDeletionOrder {
    /// `pods` sorted so that the first ones are the best to delete.
    public static func sorted(_ pods: [KubeObject]) -> [KubeObject] {
        pods.sorted(by: deleteFirst)
    }

    /// Whether `a` should be deleted before `b`.
    public static func deleteFirst(_ a: KubeObject, _ b: KubeObject) -> Bool {
        // Unscheduled < scheduled.
        let aScheduled = a.nodeName != nil
        let bScheduled = b.nodeName != nil
        if aScheduled != bScheduled { return !aScheduled }
        // Pending < Unknown < Running.
        let aPhase = phaseRank(a.podPhase)
        let bPhase = phaseRank(b.podPhase)
        if aPhase != bPhase { return aPhase < bPhase }
        // Not ready < ready.
        if a.isPodReady != b.isPodReady { return !a.isPodReady }
        // Ready for less time < ready for longer.
        if a.isPodReady, let aSince = a.podReadySince, let bSince = b.podReadySince, aSince != bSince {
            return aSince > bSince
        }
        // More restarts first.
        if a.podRestarts != b.podRestarts { return a.podRestarts > b.podRestarts }
        // Newer first.
        let aCreated = a.creationTimestamp.flatMap(Timestamp.parse) ?? .distantPast
        let bCreated = b.creationTimestamp.flatMap(Timestamp.parse) ?? .distantPast
        if aCreated != bCreated { return aCreated > bCreated }
        return a.name < b.name
    }

    static func phaseRank(_ phase: String) -> Int {
        switch phase {
        case "Pending": return 0
        case "Unknown": return 1
        case "Running": return 2
        default: return 0
        }
    }
}
