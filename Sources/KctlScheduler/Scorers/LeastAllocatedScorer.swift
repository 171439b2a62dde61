/// Prefers nodes with the most cpu and memory left after placing the pod (the average of both
/// free fractions), which spreads load; Kubernetes' default `LeastAllocated` strategy.
public struct LeastAllocatedScorer: Scorer {
    public static let name = "LeastAllocated"
    public var name: String { Self.name }

    public init() {}

    @inline(__always)
    public func score(_ pod: PodInfo, _ node: NodeState) -> Int {
        let used = node.usedShares(adding: pod)
        return Int((2 - min(used.cpu, 1) - min(used.memory, 1)) * 50)
    }
}
