/// A ranking of feasible nodes: a named score from 0 (worst) to 100 (best). The pipeline adds the
/// scores of all scorers that apply to a pod; the highest total wins.
public protocol Scorer: Sendable {
    /// The name shown in explanations (`LeastAllocated`).
    var name: String { get }
    func score(_ pod: PodInfo, _ node: NodeState) -> Int
}

/// One named score of one node.
public struct NodeScore: Sendable, Hashable {
    public var name: String
    public var value: Int

    public init(name: String, value: Int) {
        self.name = name
        self.value = value
    }
}

/// 100 for the emptiest, 0 for the fullest: `100 * (max - count) / max` (100 everywhere when max is 0).
@inline(__always)
func inverseShare(_ count: Int32, max: Int32) -> Int {
    max <= 0 ? 100 : Int(100 * Int64(max - min(count, max)) / Int64(max))
}
