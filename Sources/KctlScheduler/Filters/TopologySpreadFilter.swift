/// `topologySpreadConstraints` with `whenUnsatisfiable: DoNotSchedule`: placing the pod must not
/// make its domain hold more than `maxSkew` matching pods above the emptiest eligible domain. A node
/// without the topology label fails.
public struct TopologySpreadFilter: Filter {
    public static let name = "PodTopologySpread"
    public var name: String { Self.name }

    let constraints: [SpreadCounts]

    /// Counts the matching pods per domain for the pod's hard constraints.
    public init(pod: PodInfo, snapshot: ClusterSnapshot) {
        constraints = pod.spreadConstraints.filter(\.hard).map { SpreadCounts($0, pod: pod, snapshot: snapshot) }
    }

    /// Whether the pod has any hard constraint.
    public var isActive: Bool { !constraints.isEmpty }

    @inline(__always)
    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        for constraint in constraints {
            guard let count = constraint.count(onNode: node.slot) else { return .fail(.topologySpreadMissingLabel) }
            if count + constraint.selfMatch - constraint.minCount > constraint.maxSkew {
                return .fail(.topologySpreadSkew)
            }
        }
        return .pass
    }
}
