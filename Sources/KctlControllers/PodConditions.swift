import Foundation
import KctlModel

/// What the controllers read from a pod's status.
extension KubeObject {
    /// `status.phase` (`Pending` when unset).
    var podPhase: String { status?["phase"]?.stringValue ?? "Pending" }

    /// The pod's condition of this type, if any.
    func podCondition(_ type: String) -> JSONValue? {
        status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }

    /// Ready condition True.
    var isPodReady: Bool { podCondition("Ready")?["status"]?.stringValue == "True" }

    /// When the pod last became ready.
    var podReadySince: Date? {
        guard isPodReady, let text = podCondition("Ready")?["lastTransitionTime"]?.stringValue else { return nil }
        return Timestamp.parse(text)
    }

    /// Ready for at least `minReadySeconds` at `now` (ready is enough when it is 0 or the time unknown).
    func isPodAvailable(minReadySeconds: Int, now: Date) -> Bool {
        guard isPodReady else { return false }
        guard minReadySeconds > 0, let since = podReadySince else { return true }
        return since.addingTimeInterval(TimeInterval(minReadySeconds)) <= now
    }

    /// Not being deleted and not finished: counts toward a ReplicaSet's replicas.
    var isPodActive: Bool {
        deletionTimestamp == nil && podPhase != "Succeeded" && podPhase != "Failed"
    }

    var nodeName: String? {
        guard let name = spec?["nodeName"]?.stringValue, !name.isEmpty else { return nil }
        return name
    }

    /// The sum of the containers' restart counts.
    var podRestarts: Int {
        (status?["containerStatuses"]?.arrayValue ?? []).reduce(0) { $0 + Int($1["restartCount"]?.intValue ?? 0) }
    }

    /// The integer at a dotted path, or nil.
    func int(_ path: String) -> Int? {
        value.value(atPath: path)?.intValue.map { Int($0) }
    }
}
