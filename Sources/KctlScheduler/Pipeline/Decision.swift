/// The outcome of one scheduling cycle for one pod: the chosen node (or none), and, node by node,
/// which filter failed and why, or the scores. The scheduler returns it; writing it anywhere is
/// the service's job.
public struct Decision: Sendable, Hashable {
    /// `namespace/name` of the pod.
    public var pod: String
    /// The chosen node, nil when no node passed every filter.
    public var node: String?
    /// Nodes considered.
    public var nodeCount: Int
    /// Nodes that passed every filter.
    public var feasibleCount: Int
    /// Kubernetes reason (`Insufficient cpu`) -> number of nodes it applied to.
    public var reasonCounts: [String: Int]
    /// One entry per node, in snapshot order; empty when the caller asked for counts only.
    public var nodes: [NodeOutcome]

    public init(
        pod: String, node: String?, nodeCount: Int, feasibleCount: Int, reasonCounts: [String: Int],
        nodes: [NodeOutcome]
    ) {
        self.pod = pod
        self.node = node
        self.nodeCount = nodeCount
        self.feasibleCount = feasibleCount
        self.reasonCounts = reasonCounts
        self.nodes = nodes
    }

    /// Kubernetes' FailedScheduling message: `0/3 nodes are available: 1 node(s) had untolerated taint
    /// {dedicated: db}, 2 Insufficient cpu.` Each entry is "count reason"; entries are sorted as
    /// strings, exactly as kube-scheduler sorts them. For a scheduled pod: "Successfully assigned
    /// ns/name to node".
    public var message: String {
        if let node { return "Successfully assigned \(pod) to \(node)" }
        return Self.unschedulableMessage(nodeCount: nodeCount, reasonCounts: reasonCounts)
    }

    public static func unschedulableMessage(nodeCount: Int, reasonCounts: [String: Int]) -> String {
        if nodeCount == 0 { return "no nodes available to schedule pods" }
        let entries = reasonCounts.map { "\($0.value) \($0.key)" }.sorted()
        if entries.isEmpty { return "0/\(nodeCount) nodes are available." }
        return "0/\(nodeCount) nodes are available: " + entries.joined(separator: ", ") + "."
    }

    /// The outcome for one node, by name.
    public func outcome(for node: String) -> NodeOutcome? {
        nodes.first { $0.node == node }
    }
}

/// What happened to one node in one scheduling cycle.
public struct NodeOutcome: Sendable, Hashable {
    public var node: String
    /// The filter that rejected the node; nil when the node was feasible.
    public var filter: String?
    /// Kubernetes reasons of the failure (empty when feasible).
    public var reasons: [String]
    /// Named scores of a feasible node, in pipeline order.
    public var scores: [NodeScore]
    /// Sum of `scores`.
    public var total: Int

    public init(node: String, filter: String? = nil, reasons: [String] = [], scores: [NodeScore] = [], total: Int = 0) {
        self.node = node
        self.filter = filter
        self.reasons = reasons
        self.scores = scores
        self.total = total
    }

    public var isFeasible: Bool { filter == nil }
}
