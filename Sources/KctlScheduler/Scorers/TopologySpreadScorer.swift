/// `topologySpreadConstraints` with `whenUnsatisfiable: ScheduleAnyway`: prefers nodes whose domains
/// hold fewer matching pods (summed over the soft constraints). A node lacking a topology label
/// scores 0.
public struct TopologySpreadScorer: Scorer {
    public static let name = "PodTopologySpread"
    public var name: String { Self.name }

    let constraints: [SpreadCounts]
    let maxTotal: Int32

    public init(pod: PodInfo, snapshot: ClusterSnapshot) {
        constraints = pod.spreadConstraints.filter { !$0.hard }.map { SpreadCounts($0, pod: pod, snapshot: snapshot) }
        maxTotal = constraints.reduce(0) { $0 + $1.maxCount }
    }

    /// Whether the pod has any soft constraint.
    public var isActive: Bool { !constraints.isEmpty }

    public func score(_ pod: PodInfo, _ node: NodeState) -> Int {
        var total: Int32 = 0
        for constraint in constraints {
            guard let count = constraint.count(onNode: node.slot) else { return 0 }
            total += count
        }
        return inverseShare(total, max: maxTotal)
    }
}
