import KctlModel

/// One entry of `spec.topologySpreadConstraints`: at most `maxSkew` more matching pods in one
/// topology domain (zone, host, ...) than in the emptiest eligible one.
///
/// `minDomains` and the node inclusion policies are not implemented: domains are those of every
/// node matching the pod's node selector and required affinity (Kubernetes' defaults), taints ignored.
public struct SpreadConstraint: Sendable, Hashable {
    public var maxSkew: Int
    public var topologyKey: String
    /// `DoNotSchedule` makes it a filter; `ScheduleAnyway` only a score.
    public var hard: Bool
    /// nil matches no pod (as a missing `labelSelector` does in Kubernetes).
    public var selector: LabelSelector?

    public init(maxSkew: Int, topologyKey: String, hard: Bool, selector: LabelSelector?) {
        self.maxSkew = maxSkew
        self.topologyKey = topologyKey
        self.hard = hard
        self.selector = selector
    }

    /// Reads the constraints of a pod (free-form JSON in the typed `PodSpec`). `matchLabelKeys` adds
    /// the pod's own values for those keys to the selector.
    public static func parse(_ value: JSONValue?, podLabels: [String: String]) -> [SpreadConstraint] {
        (value?.arrayValue ?? []).compactMap { item in
            guard let key = item["topologyKey"]?.stringValue, !key.isEmpty else { return nil }
            var selector = item["labelSelector"].flatMap(LabelSelector.init(json:))
            for labelKey in (item["matchLabelKeys"]?.arrayValue ?? []).compactMap(\.stringValue) {
                guard var current = selector, let value = podLabels[labelKey] else { continue }
                var labels = current.matchLabels ?? [:]
                labels[labelKey] = value
                current.matchLabels = labels
                selector = current
            }
            return SpreadConstraint(
                maxSkew: Int(item["maxSkew"]?.intValue ?? 1), topologyKey: key,
                hard: (item["whenUnsatisfiable"]?.stringValue ?? "DoNotSchedule") != "ScheduleAnyway",
                selector: selector)
        }
    }
}
