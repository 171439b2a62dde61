import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct FilterTests {
    @Test func nodeReadyAndUnschedulable() {
        let s = snapshot([
            nodeInfo("ready"), nodeInfo("not-ready", ready: false), nodeInfo("cordoned", unschedulable: true),
        ])
        let pod = podInfo("p")
        #expect(NodeReadyFilter().check(pod, s.state("ready")) == .pass)
        #expect(NodeReadyFilter().check(pod, s.state("not-ready")) == .fail(.notReady))
        #expect(NodeUnschedulableFilter().check(pod, s.state("cordoned")) == .fail(.unschedulable))
        let tolerant = podInfo(
            "t", tolerations: [Toleration(key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule")])
        #expect(NodeUnschedulableFilter().check(tolerant, s.state("cordoned")) == .pass)
        #expect(FilterFailure.notReady.reasons(on: s.node(named: "not-ready")!) == ["node(s) were not ready"])
        #expect(FilterFailure.unschedulable.reasons(on: s.node(named: "cordoned")!) == ["node(s) were unschedulable"])
    }

    @Test func resourceFitCountsWhatIsBound() {
        var s = snapshot([nodeInfo("n", cpu: 1000, memory: gib, pods: 2)])
        #expect(ResourceFitFilter().check(podInfo("a", cpu: 1000, memory: gib), s.state("n")) == .pass)
        #expect(
            ResourceFitFilter().check(podInfo("b", cpu: 1001, memory: gib + 1), s.state("n"))
                == .fail(.insufficient(cpu: true, memory: true, pods: false)))
        s.assume(podInfo("a", cpu: 600), on: "n")
        s.assume(podInfo("c", cpu: 100), on: "n")
        let failure = ResourceFitFilter().check(podInfo("d", cpu: 400), s.state("n")).failure
        #expect(failure == .insufficient(cpu: true, memory: false, pods: true))
        #expect(failure?.reasons(on: s.node(named: "n")!) == ["Insufficient cpu", "Too many pods"])
        // A pod that requests nothing only needs a pod slot.
        s.removePod("default/c")
        #expect(ResourceFitFilter().check(podInfo("e", cpu: 0, memory: 0), s.state("n")) == .pass)
    }

    @Test func nodeSelector() {
        let s = snapshot([nodeInfo("ssd", labels: ["disk": "ssd"]), nodeInfo("hdd", labels: ["disk": "hdd"])])
        let pod = podInfo("p", nodeSelector: ["disk": "ssd"])
        let filter = NodeAffinityFilter(snapshot: s)
        #expect(filter.check(pod, s.state("ssd")) == .pass)
        #expect(filter.check(pod, s.state("hdd")) == .fail(.nodeAffinityMismatch))
        #expect(
            FilterFailure.nodeAffinityMismatch.reasons(on: s.node(named: "hdd")!)
                == ["node(s) didn't match Pod's node affinity/selector"])
    }

    @Test(arguments: [
        (NodeSelectorTerm.Requirement.Operator.in, ["a", "b"], ["a": true, "c": false, "none": false]),
        (.notIn, ["a"], ["a": false, "c": true, "none": true]),
        (.exists, [], ["a": true, "c": true, "none": false]),
        (.doesNotExist, [], ["a": false, "c": false, "none": true]),
    ])
    func requiredAffinitySetOperators(
        op: NodeSelectorTerm.Requirement.Operator, values: [String], expected: [String: Bool]
    ) {
        let s = snapshot([nodeInfo("a", labels: ["k": "a"]), nodeInfo("c", labels: ["k": "c"]), nodeInfo("none")])
        let pod = podInfo("p", affinity: [NodeSelectorTerm(matchExpressions: [.init(key: "k", operator: op, values: values)])])
        let filter = NodeAffinityFilter(snapshot: s)
        for (node, fits) in expected {
            #expect((filter.check(pod, s.state(node)) == .pass) == fits, "\(op) on \(node)")
        }
    }

    @Test func requiredAffinityNumericOperatorsAndTerms() {
        let s = snapshot([nodeInfo("small", labels: ["gen": "3"]), nodeInfo("big", labels: ["gen": "7"]), nodeInfo("x", labels: ["gen": "new"])])
        let filter = NodeAffinityFilter(snapshot: s)
        let gt = podInfo("gt", affinity: [NodeSelectorTerm(matchExpressions: [.init(key: "gen", operator: .gt, values: ["5"])])])
        let lt = podInfo("lt", affinity: [NodeSelectorTerm(matchExpressions: [.init(key: "gen", operator: .lt, values: ["5"])])])
        #expect(filter.check(gt, s.state("big")) == .pass)
        #expect(filter.check(gt, s.state("small")) != .pass)
        #expect(filter.check(gt, s.state("x")) != .pass)
        #expect(filter.check(lt, s.state("small")) == .pass)
        // Terms are ORed; expressions within one term are ANDed; no terms matches nothing.
        let either = podInfo(
            "or",
            affinity: [
                NodeSelectorTerm(matchExpressions: [.init(key: "gen", operator: .in, values: ["3"])]),
                NodeSelectorTerm(matchFields: [.init(key: "metadata.name", operator: .in, values: ["x"])]),
            ])
        #expect(filter.check(either, s.state("small")) == .pass)
        #expect(filter.check(either, s.state("x")) == .pass)
        #expect(filter.check(either, s.state("big")) != .pass)
        #expect(filter.check(podInfo("none", affinity: []), s.state("big")) != .pass)
    }

    @Test func affinityParsedFromPodJSON() throws {
        let affinity: JSONValue = [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": [
                        ["matchExpressions": [["key": "zone", "operator": "NotIn", "values": ["a"]], ["key": "gpu", "operator": "Exists"]]]
                    ]
                ]
            ]
        ]
        let terms = try #require(NodeSelectorTerm.requiredTerms(affinity: affinity))
        #expect(terms.count == 1)
        #expect(terms[0].matchExpressions.map(\.operator) == [.notIn, .exists])
        #expect(NodeSelectorTerm.requiredTerms(affinity: ["podAffinity": [:]]) == nil)
        // An operator kctl does not know matches nothing rather than everything.
        let odd = NodeSelectorTerm.requiredTerms(affinity: [
            "nodeAffinity": ["requiredDuringSchedulingIgnoredDuringExecution": ["nodeSelectorTerms": [["matchExpressions": [["key": "k", "operator": "Near"]]]]]]
        ])
        #expect(odd?.first?.matches(labels: ["k": "v"], nodeName: "n") == false)
    }

    @Test func taintsAndTolerations() {
        let s = snapshot([
            nodeInfo("db", taints: [Taint(key: "dedicated", value: "db", effect: "NoSchedule")]),
            nodeInfo("evict", taints: [Taint(key: "maintenance", effect: "NoExecute")]),
            nodeInfo("soft", taints: [Taint(key: "spot", value: "yes", effect: "PreferNoSchedule")]),
        ])
        let filter = TaintTolerationFilter(snapshot: s)
        let plain = podInfo("plain")
        #expect(filter.check(plain, s.state("db")) == .fail(.untoleratedTaint(index: 0)))
        #expect(
            FilterFailure.untoleratedTaint(index: 0).reasons(on: s.node(named: "db")!)
                == ["node(s) had untolerated taint {dedicated: db}"])
        #expect(
            FilterFailure.untoleratedTaint(index: 0).reasons(on: s.node(named: "evict")!)
                == ["node(s) had untolerated taint {maintenance: }"])
        #expect(filter.check(plain, s.state("evict")) != .pass)
        #expect(filter.check(plain, s.state("soft")) == .pass)  // PreferNoSchedule only scores in Kubernetes
        let equal = podInfo("eq", tolerations: [Toleration(key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule")])
        #expect(filter.check(equal, s.state("db")) == .pass)
        let wrongValue = podInfo("wv", tolerations: [Toleration(key: "dedicated", value: "web")])
        #expect(filter.check(wrongValue, s.state("db")) != .pass)
        let wrongEffect = podInfo("we", tolerations: [Toleration(key: "dedicated", operator: "Exists", effect: "NoExecute")])
        #expect(filter.check(wrongEffect, s.state("db")) != .pass)
        let everything = podInfo("all", tolerations: [Toleration(operator: "Exists")])
        #expect(filter.check(everything, s.state("db")) == .pass)
        #expect(filter.check(everything, s.state("evict")) == .pass)
    }

    @Test func topologySpreadDoNotSchedule() {
        let constraint = SpreadConstraint(
            maxSkew: 1, topologyKey: ClusterSnapshot.zoneLabel, hard: true,
            selector: LabelSelector(matchLabels: ["app": "web"]))
        let web = ["app": "web"]
        var s = snapshot([nodeInfo("a1", zone: "a"), nodeInfo("a2", zone: "a"), nodeInfo("b1", zone: "b"), nodeInfo("bare")])
        s.assume(podInfo("w1", labels: web), on: "a1")
        let pod = podInfo("w2", labels: web, spread: [constraint])
        let filter = TopologySpreadFilter(pod: pod, snapshot: s)
        // zone a has 1, zone b 0: another in a would make the skew 2.
        #expect(filter.check(pod, s.state("a2")) == .fail(.topologySpreadSkew))
        #expect(filter.check(pod, s.state("b1")) == .pass)
        #expect(filter.check(pod, s.state("bare")) == .fail(.topologySpreadMissingLabel))
        #expect(
            FilterFailure.topologySpreadSkew.reasons(on: s.node(named: "a2")!)
                == ["node(s) didn't match pod topology spread constraints"])
        // Pods of other apps do not count.
        s.assume(podInfo("other", labels: ["app": "db"]), on: "b1")
        #expect(TopologySpreadFilter(pod: pod, snapshot: s).check(pod, s.state("b1")) == .pass)
        // maxSkew 2 allows it.
        var loose = constraint
        loose.maxSkew = 2
        let relaxed = podInfo("w3", labels: web, spread: [loose])
        #expect(TopologySpreadFilter(pod: relaxed, snapshot: s).check(relaxed, s.state("a2")) == .pass)
    }

    @Test func topologySpreadOverHostnames() {
        let constraint = SpreadConstraint(
            maxSkew: 1, topologyKey: ClusterSnapshot.hostnameLabel, hard: true,
            selector: LabelSelector(matchLabels: ["app": "web"]))
        var s = snapshot([nodeInfo("n1"), nodeInfo("n2")])
        s.assume(podInfo("w1", labels: ["app": "web"]), on: "n1")
        let pod = podInfo("w2", labels: ["app": "web"], spread: [constraint])
        let filter = TopologySpreadFilter(pod: pod, snapshot: s)
        #expect(filter.check(pod, s.state("n1")) == .fail(.topologySpreadSkew))
        #expect(filter.check(pod, s.state("n2")) == .pass)
    }
}
