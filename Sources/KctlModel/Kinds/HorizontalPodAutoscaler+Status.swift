import Foundation

extension HorizontalPodAutoscalerStatus {
    /// The condition of this type (`AbleToScale`, `ScalingActive`, `ScalingLimited`), if set.
    public func condition(_ type: String) -> HorizontalPodAutoscalerCondition? {
        conditions?.first { $0.type == type }
    }

    /// Sets a condition as Kubernetes does: added at the end when new, `lastTransitionTime` moved
    /// only when the status flips, reason and message always replaced.
    public mutating func setCondition(_ type: String, status: Bool, reason: String, message: String, now: Date) {
        let value = status ? "True" : "False"
        var list = conditions ?? []
        if let index = list.firstIndex(where: { $0.type == type }) {
            if list[index].status != value { list[index].lastTransitionTime = Timestamp.format(now) }
            list[index].status = value
            list[index].reason = reason
            list[index].message = message
        } else {
            list.append(
                HorizontalPodAutoscalerCondition(
                    type: type, status: value, lastTransitionTime: Timestamp.format(now), reason: reason, message: message))
        }
        conditions = list
    }
}
