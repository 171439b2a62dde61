/// Prefers nodes whose cpu and memory would be used in equal proportion after placing the pod, so
/// neither runs out while the other sits idle: `100 * (1 - |cpu share - memory share| / 2)`.
public struct BalancedAllocationScorer: Scorer {
    public static let name = "BalancedAllocation"
    public var name: String { Self.name }

    public init() {}

    @inline(__always)
    public func score(_ pod: PodInfo, _ node: NodeState) -> Int {
        let used = node.usedShares(adding: pod)
        return Int((1 - abs(min(1, used.cpu) - min(1, used.memory)) / 2) * 100)
    }
}
