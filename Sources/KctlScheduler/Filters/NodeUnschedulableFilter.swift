import KctlModel

/// A cordoned node (`spec.unschedulable`) takes only pods that tolerate
/// `node.kubernetes.io/unschedulable:NoSchedule`, as in Kubernetes.
public struct NodeUnschedulableFilter: Filter {
    public static let name = "NodeUnschedulable"
    public var name: String { Self.name }
    static let taint = Taint(key: "node.kubernetes.io/unschedulable", effect: "NoSchedule")

    public init() {}

    @inline(__always)
    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        guard node.unschedulable else { return .pass }
        return Self.toleratesCordon(pod) ? .pass : .fail(.unschedulable)
    }

    @inline(never)
    static func toleratesCordon(_ pod: PodInfo) -> Bool {
        pod.tolerations.contains { $0.tolerates(taint) }
    }
}
