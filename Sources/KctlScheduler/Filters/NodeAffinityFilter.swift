/// `spec.nodeSelector` (every label equal) and required node affinity (one term matching).
public struct NodeAffinityFilter: Filter {
    public static let name = "NodeAffinity"
    public var name: String { Self.name }

    /// Labels live with the node's description, not in the compact state.
    let infos: [NodeInfo]

    public init(snapshot: ClusterSnapshot) {
        infos = snapshot.nodeInfos
    }

    /// Whether the filter has anything to check for this pod.
    public static func applies(to pod: PodInfo) -> Bool {
        !pod.nodeSelector.isEmpty || pod.requiredAffinity != nil
    }

    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        Self.matches(pod, infos[Int(node.slot)]) ? .pass : .fail(.nodeAffinityMismatch)
    }

    public static func matches(_ pod: PodInfo, _ node: NodeInfo) -> Bool {
        for (key, value) in pod.nodeSelector where node.labels[key] != value { return false }
        if let terms = pod.requiredAffinity {
            return terms.contains { $0.matches(labels: node.labels, nodeName: node.name) }
        }
        return true
    }
}
