import KctlModel

/// A feasibility check: can this pod run on this node? Filters are small values; those that need
/// per-pod preparation (counts for spreading) are built once per scheduling cycle and then asked
/// about every node.
public protocol Filter: Sendable {
    /// The plugin name shown in explanations, as Kubernetes names it (`NodeResourcesFit`).
    var name: String { get }
    func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult
}

public enum FilterResult: Sendable, Hashable {
    case pass
    case fail(FilterFailure)

    public var failure: FilterFailure? {
        if case .fail(let failure) = self { return failure }
        return nil
    }
}

/// Why a node was filtered out. `reasons(on:)` gives Kubernetes' strings, which the unschedulable
/// message counts per node. Payloads are plain values (a taint is named by its index in the node's
/// taints), so results cost nothing to pass around in the placement loop.
public enum FilterFailure: Sendable, Hashable {
    case notReady
    case unschedulable
    case insufficient(cpu: Bool, memory: Bool, pods: Bool)
    case nodeAffinityMismatch
    /// The first taint of `node.taints` the pod does not tolerate.
    case untoleratedTaint(index: Int)
    case topologySpreadSkew
    case topologySpreadMissingLabel

    /// Whether the reason can only be told with the node's description (it names a taint).
    var needsNodeInfo: Bool {
        if case .untoleratedTaint = self { return true }
        return false
    }

    /// The filter that failed.
    public var filter: String {
        switch self {
        case .notReady: return NodeReadyFilter.name
        case .unschedulable: return NodeUnschedulableFilter.name
        case .insufficient: return ResourceFitFilter.name
        case .nodeAffinityMismatch: return NodeAffinityFilter.name
        case .untoleratedTaint: return TaintTolerationFilter.name
        case .topologySpreadSkew, .topologySpreadMissingLabel: return TopologySpreadFilter.name
        }
    }

    /// One or more reasons (a node short of both cpu and memory has two).
    public func reasons(on node: NodeInfo) -> [String] {
        switch self {
        case .notReady: return [Self.notReadyReason]
        case .unschedulable: return [Self.unschedulableReason]
        case .insufficient(let cpu, let memory, let pods):
            var reasons: [String] = []
            if cpu { reasons.append(Self.insufficientCPU) }
            if memory { reasons.append(Self.insufficientMemory) }
            if pods { reasons.append(Self.tooManyPods) }
            return reasons
        case .nodeAffinityMismatch: return [Self.nodeAffinityReason]
        case .untoleratedTaint(let index):
            guard node.taints.indices.contains(index) else { return [Self.taintReason(key: "?", value: "")] }
            return [Self.taintReason(key: node.taints[index].key, value: node.taints[index].value ?? "")]
        case .topologySpreadSkew: return [Self.spreadReason]
        case .topologySpreadMissingLabel: return [Self.spreadMissingLabelReason]
        }
    }

    public static let notReadyReason = "node(s) were not ready"
    public static let unschedulableReason = "node(s) were unschedulable"
    public static let insufficientCPU = "Insufficient cpu"
    public static let insufficientMemory = "Insufficient memory"
    public static let tooManyPods = "Too many pods"
    public static let nodeAffinityReason = "node(s) didn't match Pod's node affinity/selector"
    public static let spreadReason = "node(s) didn't match pod topology spread constraints"
    public static let spreadMissingLabelReason =
        "node(s) didn't match pod topology spread constraints (missing required label)"

    public static func taintReason(key: String, value: String) -> String {
        "node(s) had untolerated taint {\(key): \(value)}"
    }
}
