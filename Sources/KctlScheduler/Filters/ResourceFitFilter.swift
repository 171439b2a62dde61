/// The pod's cpu, memory and pod-count requests fit what the node has left after the pods already
/// bound to it.
public struct ResourceFitFilter: Filter {
    public static let name = "NodeResourcesFit"
    public var name: String { Self.name }

    public init() {}

    @inline(__always)
    public func check(_ pod: PodInfo, _ node: NodeState) -> FilterResult {
        let cpu = pod.requests.milliCPU > 0 && node.requested.milliCPU + pod.requests.milliCPU > node.allocatable.milliCPU
        let memory = pod.requests.memory > 0 && node.requested.memory + pod.requests.memory > node.allocatable.memory
        let pods = node.requested.pods + 1 > node.allocatable.pods
        if cpu || memory || pods { return .fail(.insufficient(cpu: cpu, memory: memory, pods: pods)) }
        return .pass
    }
}
