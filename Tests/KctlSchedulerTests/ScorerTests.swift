import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct ScorerTests {
    @Test func leastAllocatedPrefersEmptierNodes() {
        var s = snapshot([nodeInfo("empty", cpu: 4000, memory: 4 * gib), nodeInfo("busy", cpu: 4000, memory: 4 * gib)])
        s.assume(podInfo("x", cpu: 3000, memory: 3 * gib), on: "busy")
        let pod = podInfo("p", cpu: 1000, memory: gib)
        let scorer = LeastAllocatedScorer()
        #expect(scorer.score(pod, s.state("empty")) == 75)
        #expect(scorer.score(pod, s.state("busy")) == 0)
    }

    @Test func balancedAllocationPrefersEvenUse() {
        var s = snapshot([nodeInfo("even", cpu: 4000, memory: 4 * gib), nodeInfo("skewed", cpu: 4000, memory: 4 * gib)])
        s.assume(podInfo("x", cpu: 2000, memory: 0), on: "skewed")
        let pod = podInfo("p", cpu: 1000, memory: gib)
        let scorer = BalancedAllocationScorer()
        #expect(scorer.score(pod, s.state("even")) == 100)
        #expect(scorer.score(pod, s.state("skewed")) == 75)  // cpu 3/4 vs memory 1/4
    }

    @Test func ownerSpreadOverNodesAndZones() {
        var s = snapshot([nodeInfo("a1", zone: "a"), nodeInfo("a2", zone: "a"), nodeInfo("b1", zone: "b")])
        s.assume(podInfo("r1", owner: "rs"), on: "a1")
        s.assume(podInfo("r2", owner: "rs"), on: "a1")
        s.assume(podInfo("other", owner: "rs2"), on: "b1")
        let pod = podInfo("r3", owner: "rs")
        let nodes = NodeSpreadScorer(pod: pod, snapshot: s)
        let zones = ZoneSpreadScorer(pod: pod, snapshot: s)
        #expect(nodes.score(pod, s.state("a1")) == 0)
        #expect(nodes.score(pod, s.state("a2")) == 100)
        #expect(zones.score(pod, s.state("a2")) == 0)
        #expect(zones.score(pod, s.state("b1")) == 100)
        // Without an owner there is nothing to spread.
        #expect(!NodeSpreadScorer(pod: podInfo("solo"), snapshot: s).isActive)
    }

    @Test func scheduleAnywayConstraintScores() {
        let soft = SpreadConstraint(
            maxSkew: 1, topologyKey: ClusterSnapshot.zoneLabel, hard: false,
            selector: LabelSelector(matchLabels: ["app": "web"]))
        var s = snapshot([nodeInfo("a1", zone: "a"), nodeInfo("b1", zone: "b"), nodeInfo("bare")])
        s.assume(podInfo("w1", labels: ["app": "web"]), on: "a1")
        s.assume(podInfo("w2", labels: ["app": "web"]), on: "a1")
        let pod = podInfo("w3", labels: ["app": "web"], spread: [soft])
        let scorer = TopologySpreadScorer(pod: pod, snapshot: s)
        #expect(scorer.isActive)
        #expect(scorer.score(pod, s.state("a1")) == 0)
        #expect(scorer.score(pod, s.state("b1")) == 100)
        #expect(scorer.score(pod, s.state("bare")) == 0)
        // Soft constraints never filter.
        #expect(!TopologySpreadFilter(pod: pod, snapshot: s).isActive)
    }
}
