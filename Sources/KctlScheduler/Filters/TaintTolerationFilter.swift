import KctlModel

/// Every `NoSchedule` and `NoExecute` taint of the node is tolerated by the pod.
public struct TaintTolerationFilter: Filter {
    public static let name = "TaintToleration"
    public var name: String { Self.name }

    /// Taints live with the node's description, not in the compact state.
    let infos: [NodeInfo]

    public init(snapshot: ClusterSnapshot) {
        infos = snapshot.nodeInfos
    }

    @inline(__always)
    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        if !node.hasTaints { return .pass }
        return Self.check(pod, infos[Int(node.slot)])
    }

    @inline(never)
    public static func check(_ pod: PodInfo, _ node: NodeInfo) -> FilterResult {
        for (index, taint) in node.taints.enumerated() where !pod.tolerations.contains(where: { $0.tolerates(taint) }) {
            return .fail(.untoleratedTaint(index: index))
        }
        return .pass
    }
}

extension Toleration {
    /// Kubernetes' matching: an empty effect matches every effect, an empty key with `Exists`
    /// matches every taint, `Equal` (the default) compares values.
    public func tolerates(_ taint: Taint) -> Bool {
        if let effect, !effect.isEmpty, effect != taint.effect { return false }
        if let key, !key.isEmpty, key != taint.key { return false }
        if (key ?? "").isEmpty && `operator` != "Exists" { return false }
        switch `operator` ?? "Equal" {
        case "Exists": return true
        case "Equal", "": return (value ?? "") == (taint.value ?? "")
        default: return false
        }
    }
}
