/// The replica arithmetic of a Deployment rollout, as Kubernetes does it, on plain numbers:
/// how far the new ReplicaSet may grow (`maxSurge`) and how far old ones may shrink
/// (`maxUnavailable`), so that a rollout never drops below what Recreate would keep... and never
/// surges above what the user allowed. Tested without a store.
public enum RolloutPlanner {
    /// One ReplicaSet as the planner sees it.
    public struct ReplicaSetCounts: Sendable, Hashable {
        public var name: String
        /// `spec.replicas`.
        public var replicas: Int
        /// `status.availableReplicas`.
        public var available: Int

        public init(name: String, replicas: Int, available: Int) {
            self.name = name
            self.replicas = replicas
            self.available = available
        }
    }

    /// `maxSurge` (rounded up) and `maxUnavailable` (rounded down) resolved against `desired`;
    /// both zero is not allowed, so `maxUnavailable` becomes 1 then (as Kubernetes).
    public static func resolve(maxSurge: IntOrStringValue, maxUnavailable: IntOrStringValue, desired: Int)
        -> (surge: Int, unavailable: Int)
    {
        let surge = max(0, maxSurge.resolve(total: desired, roundUp: true))
        var unavailable = max(0, maxUnavailable.resolve(total: desired, roundUp: false))
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        return (surge, min(unavailable, desired))
    }

    /// The replicas the new ReplicaSet should have now.
    public static func newReplicaSetReplicas(
        desired: Int, maxSurge: Int, new: ReplicaSetCounts, all: [ReplicaSetCounts]
    ) -> Int {
        if new.replicas >= desired { return desired }
        let current = all.reduce(0) { $0 + $1.replicas }
        let maxTotal = desired + maxSurge
        if current >= maxTotal { return new.replicas }
        return new.replicas + min(maxTotal - current, desired - new.replicas)
    }

    /// The replicas each old ReplicaSet (oldest first) should have now, given the new one.
    public static func oldReplicaSetReplicas(
        desired: Int, maxUnavailable: Int, new: ReplicaSetCounts?, olds: [ReplicaSetCounts]
    ) -> [ReplicaSetCounts] {
        var olds = olds
        let oldTotal = olds.reduce(0) { $0 + $1.replicas }
        guard oldTotal > 0 else { return olds }
        let all = olds + (new.map { [$0] } ?? [])
        let allReplicas = all.reduce(0) { $0 + $1.replicas }
        let minAvailable = desired - maxUnavailable
        let newUnavailable = new.map { max(0, $0.replicas - $0.available) } ?? 0
        let maxScaledDown = allReplicas - minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return olds }

        // First the old pods that are not available anyway.
        var cleaned = 0
        for index in olds.indices where cleaned < maxScaledDown {
            let unhealthy = olds[index].replicas - olds[index].available
            guard olds[index].replicas > 0, unhealthy > 0 else { continue }
            let down = min(maxScaledDown - cleaned, unhealthy)
            olds[index].replicas -= down
            cleaned += down
        }
        // Then available ones, as long as enough stay available.
        let available = (olds + (new.map { [$0] } ?? [])).reduce(0) { $0 + min($1.available, $1.replicas) }
        var toScaleDown = min(available - minAvailable, maxScaledDown - cleaned)
        for index in olds.indices where toScaleDown > 0 {
            guard olds[index].replicas > 0 else { continue }
            let down = min(olds[index].replicas, toScaleDown)
            olds[index].replicas -= down
            toScaleDown -= down
        }
        return olds
    }
}

/// `maxSurge`/`maxUnavailable` as given: a count or a percentage.
public enum IntOrStringValue: Sendable, Hashable {
    case count(Int)
    case percent(Int)

    func resolve(total: Int, roundUp: Bool) -> Int {
        switch self {
        case .count(let n): return n
        case .percent(let p): return roundUp ? (p * total + 99) / 100 : (p * total) / 100
        }
    }
}
