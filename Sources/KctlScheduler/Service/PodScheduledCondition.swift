import KctlModel

/// Writes the `PodScheduled` condition into a pod's JSON, keeping every other condition and field.
/// `lastTransitionTime` changes only when the status does, so repeating the same verdict changes
/// nothing (and the store then writes nothing).
enum PodScheduledCondition {
    static let type = "PodScheduled"

    static func set(_ pod: inout KubeObject, scheduled: Bool, reason: String?, message: String?, now: String) {
        var status = pod.status?.objectValue ?? [:]
        var conditions = status["conditions"]?.arrayValue ?? []
        let value = scheduled ? "True" : "False"
        let index = conditions.firstIndex { $0["type"]?.stringValue == type }
        let previous = index.map { conditions[$0] }
        var condition: [String: JSONValue] = ["type": .string(type), "status": .string(value)]
        if let reason { condition["reason"] = .string(reason) }
        if let message { condition["message"] = .string(message) }
        condition["lastProbeTime"] = .null
        if let previous, previous["status"]?.stringValue == value, let time = previous["lastTransitionTime"] {
            condition["lastTransitionTime"] = time
        } else {
            condition["lastTransitionTime"] = .string(now)
        }
        if let index { conditions[index] = .object(condition) } else { conditions.append(.object(condition)) }
        status["conditions"] = .array(conditions)
        if status["phase"] == nil { status["phase"] = "Pending" }
        pod.status = .object(status)
    }

    /// The current `PodScheduled` condition of a pod, if any.
    static func current(_ pod: KubeObject) -> JSONValue? {
        pod.status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == type }
    }
}
