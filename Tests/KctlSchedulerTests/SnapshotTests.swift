import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct SnapshotTests {
    @Test func requestsFollowPodsAndNodes() {
        var s = snapshot([nodeInfo("n1", zone: "a"), nodeInfo("n2", zone: "b")])
        s.upsertPod(podInfo("p1", cpu: 300, owner: "rs", node: "n1"))
        s.upsertPod(podInfo("p2", cpu: 200, owner: "rs", node: "n1"))
        #expect(s.state("n1").requested == Resources(milliCPU: 500, memory: 256 << 20, pods: 2))
        #expect(s.placement(ofOwner: "rs").perZone.count == 1)
        // Replacing a pod replaces its contribution; removing it frees it.
        s.upsertPod(podInfo("p1", cpu: 100, owner: "rs", node: "n1"))
        #expect(s.state("n1").requested.milliCPU == 300)
        s.removePod("default/p2")
        #expect(s.state("n1").requested.milliCPU == 100)
        #expect(s.placement(ofOwner: "rs").perNode.values.reduce(0, +) == 1)
        // An unbound pod takes no room.
        s.upsertPod(podInfo("p3", cpu: 999))
        #expect(s.podCount == 1)
    }

    @Test func podsOfAMissingNodeWaitForIt() {
        var s = snapshot([])
        s.upsertPod(podInfo("early", cpu: 700, node: "late"))
        s.upsertNode(nodeInfo("late", zone: "a"))
        #expect(s.state("late").requested.milliCPU == 700)
        s.removeNode(named: "late")
        #expect(s.nodeCount == 0)
        #expect(s.state(named: "late") == nil)
        s.upsertNode(nodeInfo("late", zone: "b"))
        #expect(s.state("late").requested.milliCPU == 700)
        #expect(s.state("late").zone == 1)
    }

    @Test func nodeUpdatesKeepRequestsAndMoveZoneCounts() {
        var s = snapshot([nodeInfo("n", zone: "a")])
        s.upsertPod(podInfo("p", cpu: 100, owner: "rs", node: "n"))
        s.upsertNode(nodeInfo("n", cpu: 8000, zone: "b"))
        #expect(s.state("n").requested.milliCPU == 100)
        #expect(s.state("n").allocatable.milliCPU == 8000)
        let zoneB = Int32(s.zoneNames.firstIndex(of: "b")!)
        #expect(s.placement(ofOwner: "rs").perZone == [zoneB: 1])
    }

    @Test func removedSlotsAreReusedAndSkipped() {
        var s = snapshot([nodeInfo("n1"), nodeInfo("n2")])
        s.removeNode(named: "n1")
        let decision = SchedulingPipeline.schedule(podInfo("p"), in: s)
        #expect(decision.nodeCount == 1)
        #expect(decision.node == "n2")
        s.upsertNode(nodeInfo("n3"))
        #expect(s.nodes.count == 2)
        #expect(s.state("n3").slot == 0)
    }

    @Test func podInfoFromAPod() throws {
        let object = try KubeObject(
            json: JSONValue.parse(
                """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"shop","uid":"u1",
                 "labels":{"app":"web"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true}]},
                 "spec":{"containers":[{"name":"a","resources":{"requests":{"cpu":"250m","memory":"64Mi"}}},
                                       {"name":"b","resources":{"requests":{"cpu":"0.5"}}}],
                         "initContainers":[{"name":"setup","resources":{"requests":{"cpu":"2","memory":"1Mi"}}}],
                         "nodeSelector":{"disk":"ssd"},
                         "tolerations":[{"key":"dedicated","operator":"Equal","value":"web","effect":"NoSchedule"}],
                         "topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone",
                           "whenUnsatisfiable":"ScheduleAnyway","labelSelector":{"matchLabels":{"app":"web"}}}]}}
                """))
        let pod = try PodInfo(object)
        #expect(pod.key == "shop/web-1")
        #expect(pod.requests == Resources(milliCPU: 2000, memory: 64 << 20, pods: 1))  // the init container's cpu is the peak
        #expect(pod.owner == "rs-uid")
        #expect(pod.nodeSelector == ["disk": "ssd"])
        #expect(pod.tolerations.count == 1)
        #expect(pod.spreadConstraints == [
            SpreadConstraint(maxSkew: 1, topologyKey: ClusterSnapshot.zoneLabel, hard: false, selector: LabelSelector(matchLabels: ["app": "web"]))
        ])
        #expect(pod.nodeName == nil)
    }

    @Test func nodeInfoFromANode() throws {
        let info = try NodeInfo(nodeObject("n1", cpu: "2", memory: "4Gi", zone: "a"))
        #expect(info.allocatable == Resources(milliCPU: 2000, memory: 4 * gib, pods: 110))
        #expect(info.ready)
        #expect(!(try NodeInfo(nodeObject("n2", zone: "a", ready: false))).ready)
    }
}
