import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct ExplanationTests {
    @Test func annotationIsCompactJSONWithEveryNode() throws {
        var s = snapshot([nodeInfo("a", zone: "z1"), nodeInfo("b", zone: "z2"), nodeInfo("small", cpu: 100, zone: "z1")])
        s.assume(podInfo("r1", owner: "rs"), on: "a")
        let decision = SchedulingPipeline.schedule(podInfo("r2", cpu: 500, owner: "rs"), in: s)
        let text = decision.record(time: "2025-01-01T10:00:00Z")
        #expect(!text.contains("\n"))
        let json = try JSONValue.parse(text)
        #expect(json["node"]?.stringValue == "b")
        #expect(json["time"]?.stringValue == "2025-01-01T10:00:00Z")
        #expect(json["nodeCount"]?.intValue == 3)
        #expect(json["feasible"]?.intValue == 2)
        #expect(json["v"]?.intValue == 2)
        // One line per node: chosen, feasible, filtered; scores in the order `scores` names them.
        let nodes = try #require(json["nodes"]?.arrayValue).compactMap(\.stringValue)
        #expect(nodes.map { $0.split(separator: " ").first.map(String.init) } == ["b", "a", "small"])
        #expect(nodes[2] == "small NodeResourcesFit Insufficient cpu")
        let scorers = try #require(json["scores"]?.arrayValue).compactMap(\.stringValue)
        let chosen = nodes[0].split(separator: " ").map(String.init)
        let nodeSpread = try #require(scorers.firstIndex(of: "NodeSpread"))
        #expect(chosen[2 + nodeSpread] == "100")
        #expect(Int(chosen[1]) == decision.outcome(for: "b")?.total)
        // Capped: the rest is counted.
        let capped = try JSONValue.parse(decision.record(time: "t", maxNodes: 1))
        #expect(capped["nodes"]?.arrayValue?.count == 1)
        #expect(capped["omitted"]?.intValue == 2)
    }

    @Test func rendersAScheduledPod() {
        var s = snapshot([nodeInfo("node-1", cpu: 100), nodeInfo("node-2"), nodeInfo("node-3")])
        s.assume(podInfo("x", cpu: 2000), on: "node-3")
        let decision = SchedulingPipeline.schedule(podInfo("web-abc", cpu: 500), in: s)
        let lines = SchedulingExplanation.render(annotation: decision.record(time: "2025-01-01T10:00:00Z"))
        #expect(lines[0] == "Scheduled to node-2 at 2025-01-01T10:00:00Z: 2 of 3 nodes passed the filters.")
        #expect(lines[1].hasPrefix("node-2 (chosen): score "))
        #expect(lines[1].contains("LeastAllocated "))
        #expect(lines[1].contains(" + BalancedAllocation "))
        #expect(lines[2].hasPrefix("node-3: score "))
        #expect(lines[3] == "node-1: rejected by NodeResourcesFit: Insufficient cpu")
    }

    @Test func rendersAPendingPod() {
        let s = snapshot([
            nodeInfo("node-1", cpu: 500), nodeInfo("node-2", cpu: 500),
            nodeInfo("node-3", taints: [Taint(key: "dedicated", value: "db", effect: "NoSchedule")]),
        ])
        let decision = SchedulingPipeline.schedule(podInfo("big", cpu: 1000), in: s)
        let lines = SchedulingExplanation.render(annotation: decision.record(time: "2025-01-01T10:00:00Z"))
        #expect(lines == [
            "Not scheduled at 2025-01-01T10:00:00Z: 0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu.",
            "node-1: rejected by NodeResourcesFit: Insufficient cpu",
            "node-2: rejected by NodeResourcesFit: Insufficient cpu",
            "node-3: rejected by TaintToleration: node(s) had untolerated taint {dedicated: db}",
        ])
        #expect(SchedulingExplanation.render(annotation: "nope").count == 1)
    }
}
