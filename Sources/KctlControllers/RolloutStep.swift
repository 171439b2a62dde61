import KctlModel

/// One ReplicaSet of a Deployment as the rollout arithmetic sees it: numbers only, so every
/// decision of a rollout can be tested case by case without a store.
public struct RolloutReplicaSet: Sendable, Hashable {
    public var name: String
    /// `spec.replicas`.
    public var replicas: Int
    /// `status.availableReplicas`.
    public var available: Int
    /// `status.replicas`: pods that exist and are not terminating.
    public var statusReplicas: Int
    /// `deployment.kubernetes.io/revision`.
    public var revision: Int
    /// `deployment.kubernetes.io/desired-replicas`, when set.
    public var desiredAnnotation: Int?
    /// `deployment.kubernetes.io/max-replicas`, when set.
    public var maxAnnotation: Int?

    public init(
        name: String, replicas: Int, available: Int = 0, statusReplicas: Int? = nil, revision: Int = 0,
        desiredAnnotation: Int? = nil, maxAnnotation: Int? = nil
    ) {
        self.name = name
        self.replicas = replicas
        self.available = available
        self.statusReplicas = statusReplicas ?? replicas
        self.revision = revision
        self.desiredAnnotation = desiredAnnotation
        self.maxAnnotation = maxAnnotation
    }

    /// Available pods that will still be there: a ReplicaSet being scaled down may still report
    /// pods it is about to delete, and those must not be counted on.
    var keptAvailable: Int { min(available, replicas) }
}

/// A Deployment's replica count with `maxSurge` and `maxUnavailable` resolved to numbers.
public struct RolloutLimits: Sendable, Hashable {
    public var desired: Int
    public var maxSurge: Int
    public var maxUnavailable: Int

    public init(desired: Int, maxSurge: Int, maxUnavailable: Int) {
        self.desired = desired
        self.maxSurge = maxSurge
        self.maxUnavailable = maxUnavailable
    }

    /// As Kubernetes resolves them: percentages of `replicas`, surge rounded up and unavailable
    /// down; both zero makes unavailable 1 (so a rollout can move at all); unavailable never above
    /// `replicas`. Recreate has neither (nothing may surge, and availability is not kept).
    public init(_ spec: DeploymentSpec?) {
        let desired = Int(spec?.replicas ?? 1)
        self.desired = desired
        guard spec?.strategy?.type != "Recreate" else {
            maxSurge = 0
            maxUnavailable = 0
            return
        }
        let rolling = spec?.strategy?.rollingUpdate
        var surge = max(0, (rolling?.maxSurge ?? "25%").scaledValue(total: desired, roundUp: true) ?? 0)
        var unavailable = max(0, (rolling?.maxUnavailable ?? "25%").scaledValue(total: desired, roundUp: false) ?? 0)
        if surge == 0 && unavailable == 0 { unavailable = 1 }
        if desired == 0 { unavailable = 0 }
        surge = max(0, surge)
        maxSurge = surge
        maxUnavailable = min(unavailable, desired)
    }

    /// The most pods a rollout may have at once (the `max-replicas` annotation).
    public var maxTotal: Int { desired + maxSurge }
    /// The fewest available pods a rolling update keeps.
    public var minAvailable: Int { desired - maxUnavailable }
}

/// The steps of a Deployment rollout as pure functions of the Deployment's limits and its
/// ReplicaSets, following Kubernetes' deployment controller (`rolling.go`, `recreate.go`,
/// `sync.go`). Each returns the `spec.replicas` every given ReplicaSet should have now, by name;
/// the reconciler only writes the differences. Old ReplicaSets are always passed oldest first.
public enum RolloutStep {
    /// One rolling-update step: the new ReplicaSet grows while the total stays within
    /// `replicas + maxSurge`, then old ReplicaSets shrink while at least `replicas - maxUnavailable`
    /// pods stay available: first their pods that are not available anyway, oldest ReplicaSet
    /// first, then available ones, oldest first.
    public static func rolling(_ limits: RolloutLimits, new: RolloutReplicaSet?, olds: [RolloutReplicaSet])
        -> [String: Int]
    {
        var targets = current(new: new, olds: olds)
        var newRS = new
        if let rs = new {
            let target = newReplicas(limits, new: rs, olds: olds)
            newRS?.replicas = target
            targets[rs.name] = target
        }
        for (name, replicas) in oldReplicas(limits, new: newRS, olds: olds) { targets[name] = replicas }
        return targets
    }

    /// What the new ReplicaSet should have: grown towards `replicas` without the total passing
    /// `replicas + maxSurge`; shrunk to `replicas` when it has more.
    public static func newReplicas(_ limits: RolloutLimits, new: RolloutReplicaSet, olds: [RolloutReplicaSet]) -> Int {
        if new.replicas >= limits.desired { return limits.desired }
        let total = olds.reduce(new.replicas) { $0 + $1.replicas }
        guard total < limits.maxTotal else { return new.replicas }
        return new.replicas + min(limits.maxTotal - total, limits.desired - new.replicas)
    }

    /// What each old ReplicaSet should have once the new one has `new.replicas`.
    static func oldReplicas(_ limits: RolloutLimits, new: RolloutReplicaSet?, olds: [RolloutReplicaSet])
        -> [String: Int]
    {
        var olds = olds
        let oldTotal = olds.reduce(0) { $0 + $1.replicas }
        guard oldTotal > 0 else { return [:] }
        let all = olds + (new.map { [$0] } ?? [])
        let allReplicas = all.reduce(0) { $0 + $1.replicas }
        // New pods that are not available yet may never become so: scale old ones down only as far
        // as would be safe if they never did.
        let newUnavailable = new.map { max(0, $0.replicas - $0.available) } ?? 0
        let maxScaledDown = allReplicas - limits.minAvailable - newUnavailable
        guard maxScaledDown > 0 else { return [:] }

        // Pods that are not available cost no availability: remove them first.
        var cleaned = 0
        for index in olds.indices where cleaned < maxScaledDown {
            let unhealthy = olds[index].replicas - olds[index].available
            guard olds[index].replicas > 0, unhealthy > 0 else { continue }
            let down = min(maxScaledDown - cleaned, unhealthy)
            olds[index].replicas -= down
            cleaned += down
        }
        // Then available ones, as long as enough stay available.
        let available = (olds + (new.map { [$0] } ?? [])).reduce(0) { $0 + $1.keptAvailable }
        var toScaleDown = available - limits.minAvailable
        for index in olds.indices where toScaleDown > 0 && olds[index].replicas > 0 {
            let down = min(olds[index].replicas, toScaleDown)
            olds[index].replicas -= down
            toScaleDown -= down
        }
        return Dictionary(uniqueKeysWithValues: olds.map { ($0.name, $0.replicas) })
    }

    /// One Recreate step: every old ReplicaSet to 0; the new one to `replicas` only once no old
    /// pod is left running (`oldPodsRunning`, terminating ones included).
    public static func recreate(
        desired: Int, new: RolloutReplicaSet?, olds: [RolloutReplicaSet], oldPodsRunning: Int
    ) -> [String: Int] {
        var targets = current(new: new, olds: olds)
        for old in olds { targets[old.name] = 0 }
        let scalingDown = olds.contains { $0.replicas > 0 }
        if let new, !scalingDown, oldPodsRunning == 0 { targets[new.name] = desired }
        return targets
    }

    /// Whether the Deployment's replica count changed since its active ReplicaSets were last
    /// scaled for it (their `desired-replicas` annotation differs): then it is a scaling event,
    /// handled by `proportional`, not a rollout step.
    public static func isScalingEvent(desired: Int, all: [RolloutReplicaSet]) -> Bool {
        all.contains { $0.replicas > 0 && $0.desiredAnnotation != nil && $0.desiredAnnotation != desired }
    }

    /// A scaling event: with one active ReplicaSet (or none: then the newest) it takes the whole
    /// count; a saturated new ReplicaSet leaves the old ones at 0; otherwise, in a rolling update,
    /// the change of `replicas + maxSurge` is spread over the active ReplicaSets in proportion to
    /// their size relative to the total they were last scaled for (`max-replicas`), the leftover
    /// going to the largest (ties: the newest when growing, the oldest when shrinking).
    ///
    /// - Parameters:
    ///   - rolling: false for Recreate, which does not spread a change over ReplicaSets.
    ///   - currentTotal: the Deployment's `status.replicas`, for ReplicaSets without `max-replicas`.
    public static func proportional(
        _ limits: RolloutLimits, rolling: Bool = true, new: RolloutReplicaSet?, olds: [RolloutReplicaSet],
        currentTotal: Int = 0
    ) -> [String: Int] {
        var targets = current(new: new, olds: olds)
        let all = olds + (new.map { [$0] } ?? [])
        let active = all.filter { $0.replicas > 0 }
        if active.count <= 1 {
            if let only = active.first ?? new ?? olds.last { targets[only.name] = limits.desired }
            return targets
        }
        if let new, new.replicas == limits.desired, new.desiredAnnotation == limits.desired,
            new.available == limits.desired
        {
            for old in olds { targets[old.name] = 0 }
            return targets
        }
        guard rolling else { return targets }

        let allowed = limits.desired > 0 ? limits.maxTotal : 0
        let toAdd = allowed - active.reduce(0) { $0 + $1.replicas }
        guard toAdd != 0 else { return targets }
        // Creation order: olds oldest first, then the new one.
        let order = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1.name, $0) })
        let sorted = active.sorted { a, b in
            if a.replicas != b.replicas { return a.replicas > b.replicas }
            return toAdd > 0 ? order[a.name]! > order[b.name]! : order[a.name]! < order[b.name]!
        }
        var added = 0
        for rs in sorted {
            let share = proportion(of: rs, limits: limits, toAdd: toAdd, added: added, currentTotal: currentTotal)
            targets[rs.name] = rs.replicas + share
            added += share
        }
        if let largest = sorted.first {
            targets[largest.name] = max(0, targets[largest.name]! + toAdd - added)
        }
        return targets
    }

    /// How many replicas `rs` gains (or loses) of `toAdd`, never past what is left to add.
    private static func proportion(
        of rs: RolloutReplicaSet, limits: RolloutLimits, toAdd: Int, added: Int, currentTotal: Int
    ) -> Int {
        guard rs.replicas > 0, toAdd != added else { return 0 }
        let fraction: Int
        if limits.desired == 0 {
            fraction = -rs.replicas
        } else {
            let scaledFor = rs.maxAnnotation ?? currentTotal
            guard scaledFor > 0 else { return 0 }
            let size = Double(rs.replicas * limits.maxTotal) / Double(scaledFor)
            fraction = Int(size.rounded(.toNearestOrAwayFromZero)) - rs.replicas
        }
        let left = toAdd - added
        return toAdd > 0 ? min(fraction, left) : max(fraction, left)
    }

    /// The old ReplicaSets to delete so that at most `limit` are kept: lowest revision first, and
    /// only ones with no replicas and no pods (an old ReplicaSet still being scaled down counts
    /// towards the limit but is kept).
    public static func historyToDelete(olds: [RolloutReplicaSet], limit: Int) -> [String] {
        let excess = olds.count - max(0, limit)
        guard excess > 0 else { return [] }
        let byRevision = olds.enumerated().sorted { a, b in
            a.element.revision != b.element.revision ? a.element.revision < b.element.revision : a.offset < b.offset
        }.map(\.element)
        return byRevision.prefix(excess).filter { $0.replicas == 0 && $0.statusReplicas == 0 }.map(\.name)
    }

    private static func current(new: RolloutReplicaSet?, olds: [RolloutReplicaSet]) -> [String: Int] {
        var targets = Dictionary(olds.map { ($0.name, $0.replicas) }, uniquingKeysWith: { a, _ in a })
        if let new { targets[new.name] = new.replicas }
        return targets
    }
}
