import Foundation
import KctlModel

/// Builds an HPA's next status from its last one, as Kubernetes does during one sync: conditions
/// are set as the sync learns things (keeping their transition times when they do not flip),
/// then the replica counts and current metrics are filled in. The result is compared with the
/// stored status so that a sync that learned nothing new writes nothing.
public struct HPAStatusBuilder: Sendable {
    public static let ableToScale = "AbleToScale"
    public static let scalingActive = "ScalingActive"
    public static let scalingLimited = "ScalingLimited"

    public private(set) var status: HorizontalPodAutoscalerStatus
    public let now: Date

    public init(from status: HorizontalPodAutoscalerStatus?, now: Date) {
        self.status = status ?? HorizontalPodAutoscalerStatus()
        self.now = now
    }

    public mutating func set(_ type: String, _ value: Bool, reason: String, message: String) {
        status.setCondition(type, status: value, reason: reason, message: message, now: now)
    }

    /// After a sync that could not compute a count: the current size and whatever metrics were
    /// read; the desired count and the last scale time stay as they were.
    public mutating func setCurrent(replicas: Int32, metrics: [MetricStatus]?, generation: Int64?) {
        status.currentReplicas = replicas
        if let metrics { status.currentMetrics = metrics.isEmpty ? nil : metrics }
        status.observedGeneration = generation
    }

    /// After a complete sync: sizes, metrics, and the scale time when it rescaled.
    public mutating func finish(
        currentReplicas: Int32, desiredReplicas: Int32, metrics: [MetricStatus], rescaled: Bool, generation: Int64?
    ) {
        status.currentReplicas = currentReplicas
        status.desiredReplicas = desiredReplicas
        status.currentMetrics = metrics.isEmpty ? nil : metrics
        status.observedGeneration = generation
        if rescaled { status.lastScaleTime = Timestamp.format(now) }
    }

    /// Whether the built status differs from `old` (the stored one).
    public func differs(from old: HorizontalPodAutoscalerStatus?) -> Bool {
        status != (old ?? HorizontalPodAutoscalerStatus())
    }
}
