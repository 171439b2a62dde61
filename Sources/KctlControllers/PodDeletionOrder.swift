import Foundation
import KctlModel

/// Which pods a ReplicaSet removes first when it has too many, as Kubernetes ranks them:
/// unscheduled before scheduled, Pending before Unknown before Running, not ready before ready,
/// lower `controller.kubernetes.io/pod-deletion-cost` before higher, ready for less time before
/// ready for longer, more restarts before fewer, newer before older.
/// A pure function of the pods, tested without a store.
public enum PodDeletionOrder {
    /// The annotation by which users (and the HPA's scale-in ordering) say how costly a pod is to
    /// lose: an int32, lower deleted first, 0 when absent.
    public static let deletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost"

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
        // Lower deletion cost < higher (placed, as in Kubernetes, after readiness: an unready
        // pod goes first whatever its cost).
        let aCost = deletionCost(of: a)
        let bCost = deletionCost(of: b)
        if aCost != bCost { return aCost < bCost }
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

    /// A pod's deletion cost; an absent or invalid annotation counts as 0, as in Kubernetes.
    public static func deletionCost(of pod: KubeObject) -> Int32 {
        pod.annotations[deletionCostAnnotation].flatMap(parseDeletionCost) ?? 0
    }

    /// The annotation's value as Kubernetes validates it: a decimal int32 with an optional minus
    /// sign, no plus sign, no leading zeros ("0" itself excepted), no spaces.
    public static func parseDeletionCost(_ text: String) -> Int32? {
        guard let first = text.first else { return nil }
        let validStart = first == "-" || text == "0" || ("1"..."9").contains(first)
        guard validStart else { return nil }
        return Int32(text)
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
