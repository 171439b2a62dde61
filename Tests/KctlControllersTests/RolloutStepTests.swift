import KctlControllers
import KctlModel
import Testing

private typealias RS = RolloutReplicaSet

/// One case of a rollout step: the ReplicaSets before and the replicas each should have after.
struct StepCase: Sendable, CustomTestStringConvertible {
    var name: String
    var limits: RolloutLimits
    var new: RolloutReplicaSet?
    var olds: [RolloutReplicaSet]
    var expected: [String: Int]
    var testDescription: String { name }
}

@Suite struct RolloutStepTests {
    @Test func limitsResolveAsKubernetes() throws {
        func limits(_ replicas: Int32, surge: IntOrString?, unavailable: IntOrString?, type: String? = nil)
            -> RolloutLimits
        {
            RolloutLimits(
                DeploymentSpec(
                    replicas: replicas, selector: LabelSelector(matchLabels: ["a": "b"]), template: PodTemplateSpec(spec: PodSpec(containers: [])),
                    strategy: DeploymentStrategy(
                        type: type, rollingUpdate: RollingUpdateDeployment(maxUnavailable: unavailable, maxSurge: surge))
                ))
        }
        // 25% of 3: surge rounds up to 1, unavailable down to 0.
        #expect(limits(3, surge: nil, unavailable: nil) == RolloutLimits(desired: 3, maxSurge: 1, maxUnavailable: 0))
        #expect(limits(10, surge: "25%", unavailable: "25%") == RolloutLimits(desired: 10, maxSurge: 3, maxUnavailable: 2))
        #expect(limits(4, surge: 2, unavailable: "50%") == RolloutLimits(desired: 4, maxSurge: 2, maxUnavailable: 2))
        // Both zero after rounding: unavailable becomes 1.
        #expect(limits(3, surge: "10%", unavailable: "10%") == RolloutLimits(desired: 3, maxSurge: 1, maxUnavailable: 0))
        #expect(limits(3, surge: 0, unavailable: "10%") == RolloutLimits(desired: 3, maxSurge: 0, maxUnavailable: 1))
        // Never more unavailable than replicas; none at all for zero replicas.
        #expect(limits(2, surge: 0, unavailable: 5).maxUnavailable == 2)
        #expect(limits(0, surge: 1, unavailable: 1).maxUnavailable == 0)
        #expect(limits(5, surge: nil, unavailable: nil, type: "Recreate") == RolloutLimits(desired: 5, maxSurge: 0, maxUnavailable: 0))
        #expect(limits(10, surge: "25%", unavailable: "25%").maxTotal == 13)
        #expect(limits(10, surge: "25%", unavailable: "25%").minAvailable == 8)
    }

    static let rollingCases: [StepCase] = [
        StepCase(
            name: "a new ReplicaSet surges up to replicas + maxSurge",
            limits: .init(desired: 10, maxSurge: 3, maxUnavailable: 2),
            new: RS(name: "new", replicas: 0), olds: [RS(name: "old", replicas: 10, available: 10)],
            // 3 surge; then 12 may go (13 - 8 - 3 unavailable new) but only 2 available above 8.
            expected: ["new": 3, "old": 8]),
        StepCase(
            name: "at replicas + maxSurge the new one waits",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 1), olds: [RS(name: "old", replicas: 3, available: 3)],
            expected: ["new": 1, "old": 3]),
        StepCase(
            name: "a new pod becoming available lets one old one go",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 1, available: 1), olds: [RS(name: "old", replicas: 3, available: 3)],
            expected: ["new": 1, "old": 2]),
        StepCase(
            name: "after that the new one grows again",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 1, available: 1), olds: [RS(name: "old", replicas: 2, available: 2)],
            expected: ["new": 2, "old": 2]),
        StepCase(
            name: "maxSurge 0: old ones go first, within maxUnavailable",
            limits: .init(desired: 4, maxSurge: 0, maxUnavailable: 1),
            new: RS(name: "new", replicas: 0), olds: [RS(name: "old", replicas: 4, available: 4)],
            expected: ["new": 0, "old": 3]),
        StepCase(
            name: "maxSurge 0: the freed slot goes to the new one",
            limits: .init(desired: 4, maxSurge: 0, maxUnavailable: 1),
            new: RS(name: "new", replicas: 0), olds: [RS(name: "old", replicas: 3, available: 3)],
            expected: ["new": 1, "old": 3]),
        StepCase(
            name: "unavailable new pods hold old ones back",
            limits: .init(desired: 4, maxSurge: 1, maxUnavailable: 1),
            new: RS(name: "new", replicas: 2), olds: [RS(name: "old", replicas: 3, available: 3)],
            // 5 pods, at most 5 - 3 - 2 = 0 may go.
            expected: ["new": 2, "old": 3]),
        StepCase(
            name: "unhealthy old pods go first, oldest ReplicaSet first",
            limits: .init(desired: 4, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 1, available: 1),
            olds: [RS(name: "v1", replicas: 2, available: 0), RS(name: "v2", replicas: 2, available: 2)],
            // 5 pods, 4 must stay available, new has none unavailable: 1 may go, the sick v1 one.
            expected: ["new": 1, "v1": 1, "v2": 2]),
        StepCase(
            name: "unhealthy pods may go even when too few are available",
            limits: .init(desired: 4, maxSurge: 1, maxUnavailable: 1),
            new: RS(name: "new", replicas: 1, available: 0),
            olds: [RS(name: "v1", replicas: 4, available: 1)],
            // 5 pods - 3 - 1 = 1 may go: one of the 3 that are not available anyway.
            expected: ["new": 1, "v1": 3]),
        StepCase(
            name: "available old pods go oldest ReplicaSet first",
            limits: .init(desired: 4, maxSurge: 0, maxUnavailable: 2),
            new: RS(name: "new", replicas: 2, available: 2),
            olds: [RS(name: "v1", replicas: 1, available: 1), RS(name: "v2", replicas: 2, available: 2)],
            // 5 available, 2 must stay: 3 may go, the old ones all.
            expected: ["new": 2, "v1": 0, "v2": 0]),
        StepCase(
            name: "old replicas reported available but already scaled away do not count",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 1, available: 0),
            olds: [RS(name: "old", replicas: 2, available: 3)],
            expected: ["new": 2, "old": 2]),
        StepCase(
            name: "a new ReplicaSet above replicas shrinks to it",
            limits: .init(desired: 2, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 4, available: 4), olds: [],
            expected: ["new": 2]),
        StepCase(
            name: "complete: nothing to do",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 3, available: 3), olds: [RS(name: "old", replicas: 0)],
            expected: ["new": 3, "old": 0]),
        StepCase(
            name: "no new ReplicaSet yet: old ones still keep minimum availability",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 1),
            new: nil, olds: [RS(name: "old", replicas: 3, available: 3)],
            expected: ["old": 2]),
    ]

    @Test(arguments: rollingCases) func rollingStep(_ step: StepCase) {
        #expect(RolloutStep.rolling(step.limits, new: step.new, olds: step.olds) == step.expected)
    }

    /// Steps repeated, with every pod becoming available at once, end with the new ReplicaSet at
    /// `replicas`, and no step ever passes `replicas + maxSurge` or drops below the minimum available.
    @Test(arguments: [(4, 1, 0), (4, 0, 1), (10, 3, 2), (5, 2, 2), (1, 1, 0), (3, 0, 3)])
    func rollingStepsConverge(desired: Int, surge: Int, unavailable: Int) {
        let limits = RolloutLimits(desired: desired, maxSurge: surge, maxUnavailable: unavailable)
        var new = RS(name: "new", replicas: 0)
        var old = RS(name: "old", replicas: desired, available: desired)
        for _ in 0..<50 where !(new.replicas == desired && old.replicas == 0) {
            let targets = RolloutStep.rolling(limits, new: new, olds: [old])
            #expect(targets.values.reduce(0, +) <= limits.maxTotal)
            new.replicas = targets["new"]!
            old.replicas = targets["old"]!
            // Old pods are deleted at once; new ones become available at once.
            #expect(min(old.available, old.replicas) + new.available >= limits.minAvailable)
            old.available = min(old.available, old.replicas)
            new.available = new.replicas
        }
        #expect(new.replicas == desired && old.replicas == 0)
    }

    @Test func recreateScalesOldDownThenWaitsForTheirPods() {
        let new = RS(name: "new", replicas: 0)
        let old = RS(name: "old", replicas: 3, available: 3)
        #expect(RolloutStep.recreate(desired: 3, new: new, olds: [old], oldPodsRunning: 3) == ["new": 0, "old": 0])
        let scaledDown = RS(name: "old", replicas: 0, statusReplicas: 0)
        #expect(RolloutStep.recreate(desired: 3, new: new, olds: [scaledDown], oldPodsRunning: 1) == ["new": 0, "old": 0])
        #expect(RolloutStep.recreate(desired: 3, new: new, olds: [scaledDown], oldPodsRunning: 0) == ["new": 3, "old": 0])
        #expect(RolloutStep.recreate(desired: 3, new: nil, olds: [scaledDown], oldPodsRunning: 0) == ["old": 0])
    }

    @Test func scalingEventIsADesiredAnnotationThatDiffers() {
        let current = RS(name: "a", replicas: 3, desiredAnnotation: 3)
        #expect(!RolloutStep.isScalingEvent(desired: 3, all: [current]))
        #expect(RolloutStep.isScalingEvent(desired: 5, all: [current]))
        // Inactive ReplicaSets and ones without the annotation do not count.
        #expect(!RolloutStep.isScalingEvent(desired: 5, all: [RS(name: "b", replicas: 0, desiredAnnotation: 3)]))
        #expect(!RolloutStep.isScalingEvent(desired: 5, all: [RS(name: "c", replicas: 2)]))
    }

    static let proportionalCases: [StepCase] = [
        StepCase(
            name: "one active ReplicaSet takes the whole count",
            limits: .init(desired: 5, maxSurge: 2, maxUnavailable: 1),
            new: RS(name: "new", replicas: 3, maxAnnotation: 4), olds: [RS(name: "old", replicas: 0)],
            expected: ["new": 5, "old": 0]),
        StepCase(
            name: "no active ReplicaSet: the new one takes it",
            limits: .init(desired: 2, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 0), olds: [RS(name: "old", replicas: 0)],
            expected: ["new": 2, "old": 0]),
        StepCase(
            // Kubernetes' example: 10 -> 15 replicas mid-rollout, maxSurge 3 -> 4 (of 13 -> 19 allowed).
            name: "growing spreads the change by size",
            limits: .init(desired: 15, maxSurge: 4, maxUnavailable: 3),
            new: RS(name: "new", replicas: 5, maxAnnotation: 13),
            olds: [RS(name: "old", replicas: 8, maxAnnotation: 13)],
            // 6 to add: old 8*19/13 = 11.7 -> 12 (+4), new 5*19/13 = 7.3 -> 7 (+2).
            expected: ["new": 7, "old": 12]),
        StepCase(
            name: "shrinking spreads it too, the leftover to the largest",
            limits: .init(desired: 5, maxSurge: 2, maxUnavailable: 1),
            new: RS(name: "new", replicas: 5, maxAnnotation: 13),
            olds: [RS(name: "old", replicas: 8, maxAnnotation: 13)],
            // 7 allowed, 6 to remove: old 8*7/13 = 4.3 -> 4 (-4), new 5*7/13 = 2.7 -> 3 (-2).
            expected: ["new": 3, "old": 4]),
        StepCase(
            name: "equal sizes: growing goes to the newer first",
            limits: .init(desired: 5, maxSurge: 0, maxUnavailable: 1),
            new: RS(name: "new", replicas: 2, maxAnnotation: 4),
            olds: [RS(name: "old", replicas: 2, maxAnnotation: 4)],
            // 1 to add: both would get 2*5/4 = 2.5 -> 3 (+1); the newer comes first and takes it.
            expected: ["new": 3, "old": 2]),
        StepCase(
            name: "equal sizes: shrinking takes from the older first",
            limits: .init(desired: 3, maxSurge: 0, maxUnavailable: 1),
            new: RS(name: "new", replicas: 2, maxAnnotation: 4),
            olds: [RS(name: "old", replicas: 2, maxAnnotation: 4)],
            // 1 to remove: 2*3/4 = 1.5 -> 2 (0) each; the leftover comes off the first, the older.
            expected: ["new": 2, "old": 1]),
        StepCase(
            name: "a saturated new ReplicaSet leaves the old ones at 0",
            limits: .init(desired: 3, maxSurge: 1, maxUnavailable: 0),
            new: RS(name: "new", replicas: 3, available: 3, desiredAnnotation: 3),
            olds: [RS(name: "old", replicas: 1)],
            expected: ["new": 3, "old": 0]),
        StepCase(
            name: "scaled to zero: everything goes",
            limits: .init(desired: 0, maxSurge: 0, maxUnavailable: 0),
            new: RS(name: "new", replicas: 2, maxAnnotation: 4),
            olds: [RS(name: "v1", replicas: 1, maxAnnotation: 4), RS(name: "v2", replicas: 1, maxAnnotation: 4)],
            expected: ["new": 0, "v1": 0, "v2": 0]),
    ]

    @Test(arguments: proportionalCases) func proportionalScaling(_ step: StepCase) {
        #expect(RolloutStep.proportional(step.limits, new: step.new, olds: step.olds) == step.expected)
    }

    @Test func recreateDoesNotSpreadAScalingEvent() {
        let limits = RolloutLimits(desired: 6, maxSurge: 0, maxUnavailable: 0)
        let olds = [RS(name: "old", replicas: 2, maxAnnotation: 3)]
        let new = RS(name: "new", replicas: 1, maxAnnotation: 3)
        #expect(RolloutStep.proportional(limits, rolling: false, new: new, olds: olds) == ["new": 1, "old": 2])
    }

    @Test func historyDeletesTheLowestRevisionsBeyondTheLimit() {
        let olds = [
            RS(name: "r3", replicas: 0, revision: 3), RS(name: "r1", replicas: 0, revision: 1),
            RS(name: "r2", replicas: 1, revision: 2), RS(name: "r4", replicas: 0, revision: 4),
        ]
        #expect(RolloutStep.historyToDelete(olds: olds, limit: 10) == [])
        #expect(RolloutStep.historyToDelete(olds: olds, limit: 2) == ["r1"])  // r2 still has a pod
        #expect(RolloutStep.historyToDelete(olds: olds, limit: 1) == ["r1", "r3"])
        #expect(RolloutStep.historyToDelete(olds: olds, limit: 0) == ["r1", "r3", "r4"])
        // Pods still terminating keep a ReplicaSet too.
        #expect(RolloutStep.historyToDelete(olds: [RS(name: "t", replicas: 0, statusReplicas: 1)], limit: 0) == [])
    }
}
