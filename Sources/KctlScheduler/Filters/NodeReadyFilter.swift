/// The node's `Ready` condition is `True`. (Kubernetes expresses this as a `not-ready` taint; kctl
/// checks the condition directly.)
public struct NodeReadyFilter: Filter {
    public static let name = "NodeReady"
    public var name: String { Self.name }

    public init() {}

    @inline(__always)
    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        node.ready ? .pass : .fail(.notReady)
    }
}
