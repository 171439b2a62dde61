/// The part of a node the placement loop reads for every pod: plain integers and flags, no strings,
/// so scanning thousands of them copies nothing and touches little memory. Its name, labels and
/// taints are in `ClusterSnapshot.nodeInfos` at the same slot.
public struct NodeState: Sendable, Hashable {
    /// The node's index in `ClusterSnapshot.nodes` and `nodeInfos`.
    public internal(set) var slot: Int32
    /// False for an empty slot left by a removed node.
    public internal(set) var isLive: Bool
    public internal(set) var ready: Bool
    public internal(set) var unschedulable: Bool
    /// The node has `NoSchedule` or `NoExecute` taints.
    public internal(set) var hasTaints: Bool
    public internal(set) var allocatable: Resources
    /// Sum of the requests of the pods bound (or assumed) to this node.
    public internal(set) var requested: Resources
    /// Index into `ClusterSnapshot.zoneNames`, or -1 when the node has no zone label.
    public internal(set) var zone: Int32
    /// 1 / allocatable cpu and memory (0 when there is none), so scorers multiply instead of divide.
    private(set) var cpuInverse: Double
    private(set) var memoryInverse: Double

    init(_ info: NodeInfo, slot: Int32, zone: Int32) {
        self.slot = slot
        isLive = true
        ready = info.ready
        unschedulable = info.unschedulable
        hasTaints = !info.taints.isEmpty
        allocatable = info.allocatable
        requested = .zero
        self.zone = zone
        cpuInverse = info.allocatable.milliCPU > 0 ? 1 / Double(info.allocatable.milliCPU) : 0
        memoryInverse = info.allocatable.memory > 0 ? 1 / Double(info.allocatable.memory) : 0
    }

    /// What is left for new pods.
    public var free: Resources { allocatable - requested }

    /// The fractions of cpu and memory in use once `pod` is added (above 1 when over-committed;
    /// 1 for a resource the node does not offer).
    @inline(__always)
    func usedShares(adding pod: PodInfo) -> (cpu: Double, memory: Double) {
        let cpu = allocatable.milliCPU > 0 ? Double(requested.milliCPU &+ pod.requests.milliCPU) * cpuInverse : 1
        let memory = allocatable.memory > 0 ? Double(requested.memory &+ pod.requests.memory) * memoryInverse : 1
        return (cpu, memory)
    }
}
