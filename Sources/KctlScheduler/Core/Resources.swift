import KctlModel

/// Amounts of the three resources the scheduler fits, in integers: CPU in millicores, memory in
/// bytes, and a pod count. Quantities are converted once, when a pod or node enters the snapshot,
/// so the placement loop only adds and compares integers.
public struct Resources: Sendable, Hashable {
    public var milliCPU: Int64
    public var memory: Int64
    public var pods: Int64

    public init(milliCPU: Int64 = 0, memory: Int64 = 0, pods: Int64 = 0) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.pods = pods
    }

    public static let zero = Resources()

    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(milliCPU: lhs.milliCPU + rhs.milliCPU, memory: lhs.memory + rhs.memory, pods: lhs.pods + rhs.pods)
    }

    public static func - (lhs: Resources, rhs: Resources) -> Resources {
        Resources(milliCPU: lhs.milliCPU - rhs.milliCPU, memory: lhs.memory - rhs.memory, pods: lhs.pods - rhs.pods)
    }

    public static func += (lhs: inout Resources, rhs: Resources) { lhs = lhs + rhs }
    public static func -= (lhs: inout Resources, rhs: Resources) { lhs = lhs - rhs }

    /// Reads `cpu`, `memory` and `pods` from a resource list (`status.allocatable`, `requests`).
    public init(_ list: [String: Quantity]?) {
        self.init(
            milliCPU: list?["cpu"]?.milliValue ?? 0, memory: list?["memory"]?.value ?? 0,
            pods: list?["pods"]?.value ?? 0)
    }

    /// Component-wise maximum.
    func max(_ other: Resources) -> Resources {
        Resources(
            milliCPU: Swift.max(milliCPU, other.milliCPU), memory: Swift.max(memory, other.memory),
            pods: Swift.max(pods, other.pods))
    }
}
