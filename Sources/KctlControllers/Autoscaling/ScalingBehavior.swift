import Foundation
import KctlModel

/// One direction's scaling rules with every default filled in.
public struct HPADirectionRules: Sendable, Hashable {
    public enum SelectPolicy: String, Sendable, Hashable {
        /// The policy allowing the largest change.
        case max = "Max"
        /// The policy allowing the smallest change.
        case min = "Min"
        /// No scaling in this direction.
        case disabled = "Disabled"
    }

    public struct Policy: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            case pods = "Pods"
            case percent = "Percent"
        }

        public var kind: Kind
        public var value: Int32
        public var periodSeconds: Int32

        public init(_ kind: Kind, _ value: Int32, periodSeconds: Int32) {
            self.kind = kind
            self.value = value
            self.periodSeconds = periodSeconds
        }
    }

    public var stabilizationWindowSeconds: Int32
    public var selectPolicy: SelectPolicy
    public var policies: [Policy]
    /// This direction's tolerance, overriding the controller's.
    public var tolerance: Double?

    public init(
        stabilizationWindowSeconds: Int32, selectPolicy: SelectPolicy = .max, policies: [Policy], tolerance: Double? = nil
    ) {
        self.stabilizationWindowSeconds = stabilizationWindowSeconds
        self.selectPolicy = selectPolicy
        self.policies = policies
        self.tolerance = tolerance
    }

    /// The longest policy period: how long scale events must be remembered.
    var longestPeriodSeconds: Int32 { policies.map(\.periodSeconds).max() ?? 0 }
}

/// An HPA's `behavior` with Kubernetes' defaults: scale up at once (window 0) by at most 4 pods or
/// 100% per 15 s, whichever is more; scale down by up to 100% per 15 s after the controller's
/// downscale stabilization window (5 minutes unless kctld is told otherwise). An HPA without
/// `behavior` gets these defaults too.
public struct HPAResolvedBehavior: Sendable, Hashable {
    public var scaleUp: HPADirectionRules
    public var scaleDown: HPADirectionRules

    public static let defaultScaleUpPolicies: [HPADirectionRules.Policy] = [
        .init(.pods, 4, periodSeconds: 15), .init(.percent, 100, periodSeconds: 15),
    ]
    public static let defaultScaleDownPolicies: [HPADirectionRules.Policy] = [.init(.percent, 100, periodSeconds: 15)]

    public init(scaleUp: HPADirectionRules, scaleDown: HPADirectionRules) {
        self.scaleUp = scaleUp
        self.scaleDown = scaleDown
    }

    /// Fills in what `behavior` leaves unset; `downscaleStabilization` is the controller's setting.
    public init(_ behavior: HorizontalPodAutoscalerBehavior?, downscaleStabilization: Duration) {
        let window = Int32(clamping: downscaleStabilization.components.seconds)
        scaleUp = Self.rules(behavior?.scaleUp, window: 0, policies: Self.defaultScaleUpPolicies)
        scaleDown = Self.rules(behavior?.scaleDown, window: window, policies: Self.defaultScaleDownPolicies)
    }

    private static func rules(_ given: HPAScalingRules?, window: Int32, policies: [HPADirectionRules.Policy])
        -> HPADirectionRules
    {
        let parsed = (given?.policies ?? []).compactMap { policy -> HPADirectionRules.Policy? in
            guard let kind = HPADirectionRules.Policy.Kind(rawValue: policy.type), policy.periodSeconds > 0 else {
                return nil
            }
            return HPADirectionRules.Policy(kind, policy.value, periodSeconds: policy.periodSeconds)
        }
        return HPADirectionRules(
            stabilizationWindowSeconds: max(0, given?.stabilizationWindowSeconds ?? window),
            selectPolicy: given?.selectPolicy.flatMap(HPADirectionRules.SelectPolicy.init(rawValue:)) ?? .max,
            policies: parsed.isEmpty ? policies : parsed,
            tolerance: given?.tolerance.map(\.doubleValue))
    }

    /// The tolerance band: each direction's own, else the controller's.
    public func tolerances(default tolerance: Double) -> HPATolerances {
        HPATolerances(scaleDown: scaleDown.tolerance ?? tolerance, scaleUp: scaleUp.tolerance ?? tolerance)
    }
}

/// What the stabilization windows and rate policies remember of one HPA: its recent unstabilized
/// recommendations and its recent scale events. Kept by the controller between syncs and passed
/// in and out explicitly, so the rules are pure functions of it and of `now`.
public struct HPAScalingHistory: Sendable, Hashable {
    public struct Recommendation: Sendable, Hashable {
        public var replicas: Int32
        public var timestamp: Date

        public init(replicas: Int32, timestamp: Date) {
            self.replicas = replicas
            self.timestamp = timestamp
        }
    }

    public struct ScaleEvent: Sendable, Hashable {
        /// How many replicas were added (scale-up events) or removed (scale-down events).
        public var replicaChange: Int32
        public var timestamp: Date
        /// Older than every policy period: its slot can be reused.
        public var outdated: Bool

        public init(replicaChange: Int32, timestamp: Date, outdated: Bool = false) {
            self.replicaChange = replicaChange
            self.timestamp = timestamp
            self.outdated = outdated
        }
    }

    public var recommendations: [Recommendation]
    public var scaleUpEvents: [ScaleEvent]
    public var scaleDownEvents: [ScaleEvent]

    public init(
        recommendations: [Recommendation] = [], scaleUpEvents: [ScaleEvent] = [], scaleDownEvents: [ScaleEvent] = []
    ) {
        self.recommendations = recommendations
        self.scaleUpEvents = scaleUpEvents
        self.scaleDownEvents = scaleDownEvents
    }

    /// Records the current size as the first recommendation, so that a controller (re)started
    /// mid-life does not scale down before a full window has passed.
    public mutating func recordInitialRecommendation(_ replicas: Int32, now: Date) {
        if recommendations.isEmpty { recommendations = [Recommendation(replicas: replicas, timestamp: now)] }
    }

    /// Records a scaling from `old` to `new` replicas, reusing the slot of an event older than
    /// the direction's longest policy period.
    public mutating func recordScale(from old: Int32, to new: Int32, behavior: HPAResolvedBehavior, now: Date) {
        guard new != old else { return }
        if new > old {
            Self.store(new - old, in: &scaleUpEvents, period: behavior.scaleUp.longestPeriodSeconds, now: now)
        } else {
            Self.store(old - new, in: &scaleDownEvents, period: behavior.scaleDown.longestPeriodSeconds, now: now)
        }
    }

    private static func store(_ change: Int32, in events: inout [ScaleEvent], period: Int32, now: Date) {
        let cutoff = now.addingTimeInterval(-TimeInterval(period))
        for index in events.indices where events[index].timestamp < cutoff { events[index].outdated = true }
        let event = ScaleEvent(replicaChange: change, timestamp: now)
        if let slot = events.lastIndex(where: \.outdated) {
            events[slot] = event
        } else {
            events.append(event)
        }
    }
}

/// The outcome of applying stabilization and rate limits to a recommendation.
public struct HPANormalization: Sendable, Hashable {
    public var desiredReplicas: Int32
    /// The stabilized recommendation (before rates and bounds).
    public var stabilizedReplicas: Int32
    /// AbleToScale's reason: `ScaleUpStabilized`, `ScaleDownStabilized` or `ReadyForNewScale`.
    public var ableToScaleReason: String
    public var ableToScaleMessage: String
    /// ScalingLimited's status: true when bounds or rates changed the stabilized recommendation.
    public var limited: Bool
    /// `DesiredWithinRange`, `TooManyReplicas`, `TooFewReplicas`, `ScaleUpLimit` or `ScaleDownLimit`.
    public var limitReason: String
    public var limitMessage: String
}

/// Kubernetes' scaling behavior as pure functions of the HPA's rules, its history and `now`:
///
/// 1. stabilization: the recommendation is held between the lowest recommendation of the
///    scale-up window and the highest of the scale-down window (so a dip must last a whole
///    scale-down window before it shrinks the target);
/// 2. rate: within each policy's period the change since the period's start is limited (Pods:
///    by a number, Percent: by a share of the size at the period's start), the policies combined
///    by `selectPolicy`;
/// 3. bounds: `minReplicas` and `maxReplicas`.
public enum ScalingBehavior {
    /// Stabilizes `recommendation` and limits it, recording it in `history`.
    public static func normalize(
        currentReplicas: Int32, recommendation: Int32, minReplicas: Int32, maxReplicas: Int32,
        behavior: HPAResolvedBehavior, history: inout HPAScalingHistory, now: Date
    ) -> HPANormalization {
        let stabilized = stabilize(
            currentReplicas: currentReplicas, recommendation: recommendation, behavior: behavior, history: &history,
            now: now)
        let (desired, reason, message) = limit(
            currentReplicas: currentReplicas, desired: stabilized.replicas, minReplicas: minReplicas,
            maxReplicas: maxReplicas, behavior: behavior, history: history, now: now)
        return HPANormalization(
            desiredReplicas: desired, stabilizedReplicas: stabilized.replicas,
            ableToScaleReason: stabilized.replicas != recommendation ? stabilized.reason : "ReadyForNewScale",
            ableToScaleMessage: stabilized.replicas != recommendation
                ? stabilized.message : "recommended size matches current size",
            limited: desired != stabilized.replicas, limitReason: reason, limitMessage: message)
    }

    /// The recommendation held within the windows' bounds, and the reason to show when it moved.
    /// Appends `recommendation` to the history, reusing the slot of one older than both windows.
    /// A recommendation of zero for a Deployment the ingress woke from zero (`wokenAt`) within the
    /// last scale-down window is raised to one: the request that woke it is still being served,
    /// and stabilization then keeps that one replica for a window after the last wake.
    public static func holdingWokenReplica(_ recommendation: Int32, wokenAt: Date?, window: Int32, now: Date) -> Int32 {
        guard recommendation == 0, let wokenAt, now.timeIntervalSince(wokenAt) < TimeInterval(window) else {
            return recommendation
        }
        return 1
    }

    public static func stabilize(
        currentReplicas: Int32, recommendation: Int32, behavior: HPAResolvedBehavior,
        history: inout HPAScalingHistory, now: Date
    ) -> (replicas: Int32, reason: String, message: String) {
        let upCutoff = now.addingTimeInterval(-TimeInterval(behavior.scaleUp.stabilizationWindowSeconds))
        let downCutoff = now.addingTimeInterval(-TimeInterval(behavior.scaleDown.stabilizationWindowSeconds))
        var upBound = recommendation
        var downBound = recommendation
        var obsolete: Int?
        for (index, past) in history.recommendations.enumerated() {
            if past.timestamp > upCutoff { upBound = min(upBound, past.replicas) }
            if past.timestamp > downCutoff { downBound = max(downBound, past.replicas) }
            if past.timestamp < upCutoff && past.timestamp < downCutoff { obsolete = index }
        }
        let stabilized = min(max(currentReplicas, upBound), downBound)
        let record = HPAScalingHistory.Recommendation(replicas: recommendation, timestamp: now)
        if let obsolete {
            history.recommendations[obsolete] = record
        } else {
            history.recommendations.append(record)
        }
        if recommendation >= currentReplicas {
            return (
                stabilized, "ScaleUpStabilized",
                "recent recommendations were lower than current one, applying the lowest recent recommendation"
            )
        }
        return (
            stabilized, "ScaleDownStabilized",
            "recent recommendations were higher than current one, applying the highest recent recommendation"
        )
    }

    /// `desired` limited by the rate policies and the bounds, with ScalingLimited's reason.
    public static func limit(
        currentReplicas: Int32, desired: Int32, minReplicas: Int32, maxReplicas: Int32, behavior: HPAResolvedBehavior,
        history: HPAScalingHistory, now: Date
    ) -> (replicas: Int32, reason: String, message: String) {
        if desired > currentReplicas {
            let rate = max(currentReplicas, scaleUpLimit(currentReplicas: currentReplicas, history: history, rules: behavior.scaleUp, now: now))
            if maxReplicas > rate {
                if desired > rate {
                    return (rate, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
                }
            } else if desired > maxReplicas {
                return (maxReplicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            }
        } else if desired < currentReplicas {
            let rate = min(currentReplicas, scaleDownLimit(currentReplicas: currentReplicas, history: history, rules: behavior.scaleDown, now: now))
            if minReplicas < rate {
                if desired < rate {
                    return (rate, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
                }
            } else if desired < minReplicas {
                return (minReplicas, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            }
        }
        return (desired, "DesiredWithinRange", "the desired count is within the acceptable range")
    }

    /// The most replicas the scale-up policies allow now.
    public static func scaleUpLimit(
        currentReplicas: Int32, history: HPAScalingHistory, rules: HPADirectionRules, now: Date
    ) -> Int32 {
        guard rules.selectPolicy != .disabled, !rules.policies.isEmpty else { return currentReplicas }
        var proposals: [Int32] = []
        for policy in rules.policies {
            let start = periodStart(currentReplicas, policy: policy, history: history, now: now)
            switch policy.kind {
            case .pods:
                proposals.append(start.addingSaturated(policy.value))
            case .percent:
                proposals.append(ReplicaCalculator.ceilReplicas(Double(start) * (1 + Double(policy.value) / 100)))
            }
        }
        return rules.selectPolicy == .min ? proposals.min()! : proposals.max()!
    }

    /// The fewest replicas the scale-down policies allow now.
    public static func scaleDownLimit(
        currentReplicas: Int32, history: HPAScalingHistory, rules: HPADirectionRules, now: Date
    ) -> Int32 {
        guard rules.selectPolicy != .disabled, !rules.policies.isEmpty else { return currentReplicas }
        var proposals: [Int32] = []
        for policy in rules.policies {
            let start = periodStart(currentReplicas, policy: policy, history: history, now: now)
            switch policy.kind {
            case .pods:
                proposals.append(start.addingSaturated(-policy.value))
            case .percent:
                // Rounded down: a percentage of a small size may remove nothing, never too much.
                let kept = (Double(start) * (1 - Double(policy.value) / 100)).rounded(.towardZero)
                proposals.append(Int32(clamping: Int64(max(kept, Double(Int32.min)))))
            }
        }
        // For scaling down the largest change is the lowest count.
        return rules.selectPolicy == .min ? proposals.max()! : proposals.min()!
    }

    /// The size at the start of the policy's period: now's, minus what was added and plus what
    /// was removed within it.
    static func periodStart(
        _ currentReplicas: Int32, policy: HPADirectionRules.Policy, history: HPAScalingHistory, now: Date
    ) -> Int32 {
        let cutoff = now.addingTimeInterval(-TimeInterval(policy.periodSeconds))
        let added = history.scaleUpEvents.filter { $0.timestamp > cutoff }.reduce(Int32(0)) { $0.addingSaturated($1.replicaChange) }
        let removed = history.scaleDownEvents.filter { $0.timestamp > cutoff }.reduce(Int32(0)) { $0.addingSaturated($1.replicaChange) }
        return currentReplicas.addingSaturated(-added).addingSaturated(removed)
    }
}

extension Int32 {
    /// `self + other`, stopping at the bounds instead of trapping.
    func addingSaturated(_ other: Int32) -> Int32 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
