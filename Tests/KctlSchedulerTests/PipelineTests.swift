import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct PipelineTests {
    @Test func messageCountsReasonsPerNodeSortedLikeKubernetes() {
        let s = snapshot([
            nodeInfo("n1", cpu: 500), nodeInfo("n2", cpu: 500),
            nodeInfo("db", taints: [Taint(key: "dedicated", value: "db", effect: "NoSchedule")]),
        ])
        let decision = SchedulingPipeline.schedule(podInfo("big", cpu: 1000), in: s)
        #expect(decision.node == nil)
        #expect(decision.reasonCounts == ["Insufficient cpu": 2, "node(s) had untolerated taint {dedicated: db}": 1])
        // kube-scheduler sorts the "count reason" strings, so "1 node(s)..." comes before "2 Insufficient cpu".
        #expect(
            decision.message
                == "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.")
        #expect(decision.outcome(for: "n1")?.filter == "NodeResourcesFit")
        #expect(decision.outcome(for: "db")?.reasons == ["node(s) had untolerated taint {dedicated: db}"])
        #expect(Decision.unschedulableMessage(nodeCount: 0, reasonCounts: [:]) == "no nodes available to schedule pods")
    }

    @Test func oversizedPodGetsNoNodeWithInsufficientCPUCounts() {
        let s = snapshot((1...3).map { nodeInfo("node-\($0)", cpu: 4000, zone: "z\($0 % 2)") })
        let decision = SchedulingPipeline.schedule(podInfo("huge", cpu: 64_000), in: s)
        #expect(decision.node == nil)
        #expect(decision.feasibleCount == 0)
        #expect(decision.reasonCounts == ["Insufficient cpu": 3])
        #expect(decision.message == "0/3 nodes are available: 3 Insufficient cpu.")
    }

    @Test func bothResourcesShortCountTwice() {
        let s = snapshot([nodeInfo("n", cpu: 100, memory: 1 << 20)])
        let decision = SchedulingPipeline.schedule(podInfo("p", cpu: 200, memory: 2 << 20), in: s)
        #expect(decision.message == "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.")
    }

    @Test func firstFailingFilterWins() {
        let s = snapshot([nodeInfo("n", cpu: 100, ready: false)])
        let decision = SchedulingPipeline.schedule(podInfo("p", cpu: 1000), in: s)
        #expect(decision.reasonCounts == ["node(s) were not ready": 1])
    }

    @Test func replicasSpreadAcrossNodesAndZones() {
        var s = snapshot([
            nodeInfo("a1", zone: "a"), nodeInfo("a2", zone: "a"), nodeInfo("b1", zone: "b"), nodeInfo("b2", zone: "b"),
            nodeInfo("c1", zone: "c"), nodeInfo("c2", zone: "c"),
        ])
        let replicas = (0..<6).map { podInfo("web-\($0)", labels: ["app": "web"], owner: "rs-web") }
        let placed = placeAll(replicas, in: &s).compactMap { $0 }
        #expect(Set(placed).count == 6, "one replica per node: \(placed)")
        let zones = placed.map { s.node(named: $0)!.labels[ClusterSnapshot.zoneLabel]! }
        #expect(Dictionary(grouping: zones, by: { $0 }).mapValues(\.count) == ["a": 2, "b": 2, "c": 2])
        // The first three replicas land in three different zones.
        #expect(Set(zones.prefix(3)).count == 3)
    }

    @Test func hardZoneSpreadHoldsEvenWhenScoresDisagree() {
        // Zone a has the emptier nodes, but maxSkew 1 forces alternation.
        var s = snapshot([
            nodeInfo("a1", cpu: 64_000, zone: "a"), nodeInfo("a2", cpu: 64_000, zone: "a"), nodeInfo("b1", cpu: 2000, zone: "b"),
        ])
        let constraint = SpreadConstraint(
            maxSkew: 1, topologyKey: ClusterSnapshot.zoneLabel, hard: true,
            selector: LabelSelector(matchLabels: ["app": "api"]))
        let pods = (0..<4).map { podInfo("api-\($0)", cpu: 500, labels: ["app": "api"], spread: [constraint]) }
        let placed = placeAll(pods, in: &s)
        let zones = placed.map { $0.map { s.node(named: $0)!.labels[ClusterSnapshot.zoneLabel]! } }
        #expect(zones.filter { $0 == "a" }.count == 2)
        #expect(zones.filter { $0 == "b" }.count == 2)
    }

    @Test func tiesAreBrokenReproduciblyFromTheUID() {
        let s = snapshot((0..<20).map { nodeInfo("n\($0)") })
        let pod = podInfo("p")
        let first = SchedulingPipeline.schedule(pod, in: s)
        for _ in 0..<5 { #expect(SchedulingPipeline.schedule(pod, in: s).node == first.node) }
        // Every node ties; different uids pick different nodes.
        let chosen = Set((0..<50).compactMap { i -> String? in
            var other = pod
            other.uid = "uid-\(i)"
            return SchedulingPipeline.schedule(other, in: s).node
        })
        #expect(chosen.count > 5)
        // The choice does not depend on recording, nor on splitting the scan over two threads.
        let big = snapshot((0..<(SchedulingPipeline.parallelThreshold + 10)).map { nodeInfo("n\($0)") })
        for i in 0..<10 {
            var other = pod
            other.uid = "u\(i)"
            let recorded = SchedulingPipeline.schedule(other, in: big, recordNodes: true)
            let counted = SchedulingPipeline.schedule(other, in: big, recordNodes: false)
            let parallel = SchedulingPipeline.schedule(other, in: big, recordNodes: false, parallel: true)
            #expect(recorded.node == counted.node)
            #expect(counted.node == parallel.node)
            #expect(parallel.feasibleCount == big.nodeCount)
        }
    }

    @Test func decisionRecordsScoresOfFeasibleNodes() throws {
        var s = snapshot([nodeInfo("a", zone: "z1"), nodeInfo("b", zone: "z2"), nodeInfo("full", cpu: 50, zone: "z1")])
        s.assume(podInfo("r1", owner: "rs"), on: "a")
        let decision = SchedulingPipeline.schedule(podInfo("r2", owner: "rs"), in: s)
        #expect(decision.node == "b")
        #expect(decision.feasibleCount == 2)
        let b = try #require(decision.outcome(for: "b"))
        #expect(b.scores.map(\.name) == ["LeastAllocated", "BalancedAllocation", "NodeSpread", "ZoneSpread"])
        #expect(b.total == b.scores.reduce(0) { $0 + $1.value })
        #expect(decision.outcome(for: "a")!.scores.first { $0.name == "NodeSpread" }?.value == 0)
        #expect(decision.outcome(for: "full")?.reasons == ["Insufficient cpu"])
        #expect(decision.message == "Successfully assigned default/r2 to b")
    }
}
