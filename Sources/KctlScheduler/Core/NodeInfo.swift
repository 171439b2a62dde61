import KctlModel

/// A node as described by its object: name, labels, taints, readiness and what it offers. This is
/// what enters the snapshot (`ClusterSnapshot.upsertNode`) and what filters that look at labels or
/// taints read; the placement loop itself runs over the compact `NodeState`.
public struct NodeInfo: Sendable, Hashable {
    public var name: String
    public var labels: [String: String]
    /// Only the `NoSchedule` and `NoExecute` taints; `PreferNoSchedule` does not filter.
    public var taints: [Taint]
    /// The `Ready` condition is `True`.
    public var ready: Bool
    /// `spec.unschedulable` (cordoned).
    public var unschedulable: Bool
    public var allocatable: Resources

    public init(
        name: String, labels: [String: String] = [:], taints: [Taint] = [], ready: Bool = true,
        unschedulable: Bool = false, allocatable: Resources
    ) {
        self.name = name
        self.labels = labels
        self.taints = taints.filter { $0.effect == "NoSchedule" || $0.effect == "NoExecute" }
        self.ready = ready
        self.unschedulable = unschedulable
        self.allocatable = allocatable
    }

    /// Reads a typed node. Allocatable falls back to capacity; a node that states no pod limit
    /// gets the kubelet's default of 110.
    public init(_ node: Node) {
        var list = node.status?.allocatable ?? node.status?.capacity ?? [:]
        if list["pods"] == nil { list["pods"] = Quantity(value: 110) }
        self.init(
            name: node.name, labels: node.metadata.labels ?? [:], taints: node.spec?.taints ?? [],
            ready: node.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } ?? false,
            unschedulable: node.spec?.unschedulable ?? false, allocatable: Resources(list))
    }

    /// Reads a node from the store's JSON.
    public init(_ object: KubeObject) throws {
        self.init(try Node(object))
    }
}
