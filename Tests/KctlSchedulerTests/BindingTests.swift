import Foundation
import KctlModel
import KctlStore
import Logging
import Testing

@testable import KctlScheduler

/// The binder (placements written in store batches, one write per pod), the pod reader that
/// skips `Codable`, and the compact decision record.
@Suite struct BindingTests {
    static let logger = Logger(label: "kctl.scheduler.test")

    /// A pod using every field the scheduler reads.
    func fullPod() -> KubeObject {
        var pod = KubeObject([
            "apiVersion": "v1", "kind": "Pod",
            "spec": [
                "initContainers": [
                    ["name": "setup", "resources": ["requests": ["cpu": "2", "memory": "1Gi"]]],
                    ["name": "sidecar", "restartPolicy": "Always", "resources": ["requests": ["cpu": "100m"]]],
                ],
                "containers": [
                    ["name": "a", "resources": ["requests": ["cpu": "250m", "memory": "128Mi", "example.com/gpu": "1"]]],
                    ["name": "b", "resources": ["requests": ["cpu": 1, "memory": 1_000_000]]],
                    ["name": "c"],
                ],
                "overhead": ["cpu": "50m", "memory": "10Mi"],
                "nodeSelector": ["disk": "ssd"],
                "affinity": [
                    "nodeAffinity": [
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            "nodeSelectorTerms": [
                                ["matchExpressions": [["key": "zone", "operator": "In", "values": ["a", "b"]]]]
                            ]
                        ]
                    ]
                ],
                "tolerations": [
                    ["key": "dedicated", "operator": "Equal", "value": "db", "effect": "NoSchedule"],
                    ["operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30],
                ],
                "topologySpreadConstraints": [
                    [
                        "maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": ["matchLabels": ["app": "web"]], "matchLabelKeys": ["pod-template-hash"],
                    ]
                ],
                "nodeName": "",
            ],
        ])
        pod.name = "web-1"
        pod.namespace = "prod"
        pod.uid = "u-1"
        pod.labels = ["app": "web", "pod-template-hash": "abc"]
        pod.ownerReferences = [
            ["apiVersion": "v1", "kind": "Other", "name": "x", "uid": "not-controller"],
            ["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-abc", "uid": "rs-1", "controller": true],
        ]
        return pod
    }

    @Test func readingThePodsJSONMatchesTheTypedPod() throws {
        var variants = [fullPod(), podObject("plain", app: "plain"), KubeObject(["apiVersion": "v1", "kind": "Pod"])]
        variants[2].name = "bare"
        var podLevel = podObject("pod-level", cpu: "100m", app: "x")
        podLevel.spec?["resources"] = ["requests": ["cpu": "3"]]
        podLevel.spec?["nodeName"] = "n1"
        podLevel.deletionTimestamp = "2025-01-01T00:00:00Z"
        variants.append(podLevel)
        var ownerWithoutUID = podObject("orphan", app: "y")
        ownerWithoutUID.ownerReferences = [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "y", "uid": "", "controller": true]]
        variants.append(ownerWithoutUID)
        for object in variants {
            let fast = try PodInfo(json: object)
            let typed = PodInfo(try Pod(object))
            #expect(fast == typed, "\(object.name)")
        }
        let full = try PodInfo(json: fullPod())
        #expect(full.requests.milliCPU == 2_000 + 50)  // the init container's peak, plus overhead
        #expect(full.owner == "rs-1")
    }

    @Test func aMalformedQuantityIsAnError() {
        var pod = podObject("bad", app: "bad")
        pod.spec?["containers"] = [["name": "c", "resources": ["requests": ["cpu": "lots"]]]]
        #expect(throws: (any Error).self) { try PodInfo(json: pod) }
        #expect(throws: (any Error).self) { try PodInfo(Pod(pod)) }
    }

    /// One watch event per bound pod, carrying the node and `PodScheduled=True`; the decision is
    /// stored with the pod in the same write, outside its value.
    @Test func aBindingIsOneWrite() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("n1", zone: "z1"), as: .node)
            for i in 0..<20 { _ = try await store.create(podObject("p-\(i)", app: "p", ownerUID: "rs"), as: .pod) }
            let from = try await store.currentRevision()
            let events = try await store.watch(.pod, namespace: nil, from: from)
            let service = SchedulerService(store: store, logger: Self.logger)
            let task = Task { try await service.run() }
            defer { task.cancel() }
            var seen: [String: Int] = [:]
            var bound = Set<String>()
            for try await event in events {
                seen[event.object.name, default: 0] += 1
                if event.object.spec?["nodeName"]?.stringValue == "n1" {
                    bound.insert(event.object.name)
                    #expect(event.object.annotations[Decision.annotationKey] == nil)
                    let record = try await store.attachment(
                        Pod.schedulingRecord, of: .pod, namespace: "default", name: event.object.name)
                    #expect(record.map { String(decoding: $0, as: UTF8.self) }?.contains("\"node\":\"n1\"") == true)
                    let condition = PodScheduledCondition.current(event.object)
                    #expect(condition?["status"]?.stringValue == "True")
                }
                if bound.count == 20 { break }
            }
            #expect(seen.values.allSatisfy { $0 == 1 }, "\(seen)")
            task.cancel()
            _ = await task.result
        }
    }

    /// A pod someone else bound after the decision keeps its node, and its placement is undone.
    @Test func aPodBoundMeanwhileIsNotBoundAgain() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("n1", zone: "z1"), as: .node)
            let pod = try await store.create(podObject("p", app: "p"), as: .pod)
            _ = try await store.update(.pod, namespace: "default", name: "p", subresource: .main) {
                $0.spec?["nodeName"] = "elsewhere"
            }
            let service = SchedulerService(store: store, logger: Self.logger)
            let info = try PodInfo(pod)
            await service.bind([
                PendingBinding(
                    key: .init(namespace: "default", name: "p"), pod: info, object: pod, node: "n1",
                    record: ObjectAttachment(name: Pod.schedulingRecord, value: Array("{}".utf8)), message: "m", time: "t")
            ])
            let stored = try await store.get(.pod, namespace: "default", name: "p")
            #expect(stored.spec?["nodeName"]?.stringValue == "elsewhere")
            #expect(stored.annotations[Decision.annotationKey] == nil)
            let record = try await store.attachment(Pod.schedulingRecord, of: .pod, namespace: "default", name: "p")
            #expect(record == nil, "no record of a binding that did not happen")
        }
    }

    /// A pod stored by an older kctl keeps the record in an annotation; binding it moves the
    /// record out, so the pod is left with the new one only.
    @Test func bindingAPodWithAnOldAnnotationRecordReplacesIt() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("n1", zone: "z1"), as: .node)
            var old = podObject("p", app: "p")
            old.annotations = [Decision.annotationKey: "{\"v\":1}", "team": "a"]
            _ = try await store.create(old, as: .pod)
            let service = SchedulerService(store: store, logger: Self.logger)
            let task = Task { try await service.run() }
            defer { task.cancel() }
            try await eventually("the pod bound") {
                try await store.get(.pod, namespace: "default", name: "p").spec?["nodeName"]?.stringValue == "n1"
            }
            let stored = try await store.get(.pod, namespace: "default", name: "p")
            #expect(stored.annotations == ["team": "a"])
            let record = try await store.attachment(Pod.schedulingRecord, of: .pod, namespace: "default", name: "p")
            #expect(record.map { String(decoding: $0, as: UTF8.self) }?.contains("\"v\":2") == true)
            task.cancel()
            _ = await task.result
        }
    }

    @Test func theRecordIsOneLinePerNodeAndSmall() throws {
        var nodes: [NodeInfo] = []
        for i in 0..<100 { nodes.append(nodeInfo(String(format: "node-%03d", i), zone: "z\(i % 3)")) }
        let s = snapshot(nodes)
        let decision = SchedulingPipeline.schedule(podInfo("web-1", owner: "rs"), in: s)
        let text = decision.record(time: "2025-01-01T10:00:00Z")
        let json = try JSONValue.parse(text)
        #expect(json["nodes"]?.arrayValue?.count == 100)
        #expect(text.utf8.count < 4_000, "\(text.utf8.count) bytes")
        let lines = SchedulingExplanation.render(annotation: text)
        #expect(lines.count == 101)
        #expect(lines[1].hasPrefix("\(decision.node!) (chosen): score "))
    }

    /// The record's first nodes, picked without sorting them all, are exactly the sorted order's.
    @Test func theRecordedNodesAreThePrefixOfTheFullOrder() {
        var nodes: [NodeInfo] = []
        for i in 0..<500 {
            // Differently full nodes (distinct scores), some too small (filtered), in shuffled order.
            let name = String(format: "node-%03d", (i * 7919) % 500)
            nodes.append(nodeInfo(name, cpu: i % 9 == 0 ? 50 : 1000 + Int64(i % 13) * 500, zone: "z\(i % 3)"))
        }
        var s = snapshot(nodes)
        for (index, pod) in (0..<300).map({ podInfo("busy-\($0)", cpu: 100, owner: "other") }).enumerated() {
            s.assume(pod, on: nodes[(index * 31) % 500].name)
        }
        let decision = SchedulingPipeline.schedule(podInfo("web-1", cpu: 200, owner: "rs"), in: s)
        let full = decision.orderedNodes
        for limit in [0, 1, 10, 100, 499, 500, 600] {
            #expect(decision.orderedNodes(limit: limit) == Array(full.prefix(limit)), "limit \(limit)")
        }
    }

    /// With equal nodes (equal totals), names decide the order, as in the full sort.
    @Test func equalNodesAreRecordedByName() {
        let nodes = (0..<40).map { nodeInfo("node-\(($0 * 17) % 40)", cpu: $0 % 5 == 0 ? 50 : 1000, zone: "z") }
        let decision = SchedulingPipeline.schedule(podInfo("web-1", cpu: 200, owner: "rs"), in: snapshot(nodes))
        let full = decision.nodes.sorted(by: Decision.precedes(chosen: decision.node))
        #expect(decision.orderedNodes == full)
        for limit in [1, 20, 40, 100] {
            #expect(decision.orderedNodes(limit: limit) == Array(full.prefix(limit)), "limit \(limit)")
        }
    }

    @Test func recordNumbersAreDecimalDigits() {
        for value in [0, 7, 9, 10, 42, 99, 100, 305, 999, 1000, 12345, -1, -10, -987, Int.max, Int.min] {
            var bytes: [UInt8] = []
            bytes.appendDecimal(value)
            #expect(String(decoding: bytes, as: UTF8.self) == String(value))
        }
    }

    @Test func aRecordLineNamesTheNodeThenItsScoresOrItsFilter() {
        let scorers = ["LeastAllocated", "BalancedAllocation", "NodeSpread"]
        let scored = NodeOutcome(
            node: "node-2", scores: [NodeScore(name: "LeastAllocated", value: 88), NodeScore(name: "BalancedAllocation", value: 97),
                                     NodeScore(name: "NodeSpread", value: 100)], total: 285)
        #expect(Decision.line(scored, scorers: scorers) == "node-2 285 88 97 100")
        let shuffled = NodeOutcome(
            node: "n", scores: [NodeScore(name: "NodeSpread", value: 1), NodeScore(name: "LeastAllocated", value: -2)], total: -1)
        #expect(Decision.line(shuffled, scorers: scorers) == "n -1 -2 - 1")
        #expect(Decision.line(NodeOutcome(node: "n", filter: "F", reasons: ["a", "b c"]), scorers: scorers) == "n F a, b c")
        #expect(Decision.line(NodeOutcome(node: "n", filter: "F"), scorers: scorers) == "n F")
        #expect(Decision.line(NodeOutcome(node: "n", total: 0), scorers: []) == "n 0")
    }

    /// The record written byte by byte is the serialized `annotationValue`, placed or not, capped or not.
    @Test func theWrittenRecordIsTheSerializedValue() {
        var nodes: [NodeInfo] = []
        for i in 0..<30 {
            nodes.append(nodeInfo(String(format: "node-%03d", i), cpu: i % 4 == 0 ? 50 : 1000, zone: "z\(i % 3)"))
        }
        let s = snapshot(nodes)
        let placed = SchedulingPipeline.schedule(podInfo("web-1", cpu: 200, owner: "rs"), in: s)
        let unplaced = SchedulingPipeline.schedule(podInfo("huge", cpu: 100_000, owner: "rs"), in: s)
        #expect(placed.node != nil && unplaced.node == nil)
        for decision in [placed, unplaced] {
            for limit in [0, 1, 10, 30, 100] {
                for time in ["2025-01-01T10:00:00Z", "odd \"time\"\n\\"] {
                    #expect(
                        decision.record(time: time, maxNodes: limit)
                            == decision.annotationValue(time: time, maxNodes: limit).serializedString(),
                        "limit \(limit)")
                }
            }
        }
        let odd = Decision(
            pod: "ns/p\"q", node: nil, nodeCount: 2, feasibleCount: 0, reasonCounts: ["b \"x\"": 1, "a\tz": 1],
            nodes: [
                NodeOutcome(node: "n\\1", filter: "F", reasons: ["quote \" here", "tab\t"]),
                NodeOutcome(node: "n2", filter: "G"),
            ])
        #expect(odd.record(time: "t") == odd.annotationValue(time: "t").serializedString())
    }

    /// Records written before the compact format still render.
    @Test func theFirstFormatStillRenders() {
        let old = """
            {"feasible":2,"message":"Successfully assigned default/web-1 to node-2","node":"node-2","nodeCount":3,\
            "nodes":[{"name":"node-2","scores":{"BalancedAllocation":97,"LeastAllocated":88,"NodeSpread":100},"total":285},\
            {"name":"node-3","scores":{"BalancedAllocation":90,"LeastAllocated":80,"NodeSpread":100},"total":270},\
            {"filter":"NodeResourcesFit","name":"node-1","reasons":["Insufficient cpu"]}],\
            "pod":"default/web-1","reasons":{},"time":"2025-01-01T10:00:00Z"}
            """
        #expect(SchedulingExplanation.render(annotation: old) == [
            "Scheduled to node-2 at 2025-01-01T10:00:00Z: 2 of 3 nodes passed the filters.",
            "node-2 (chosen): score 285 = LeastAllocated 88 + BalancedAllocation 97 + NodeSpread 100",
            "node-3: score 270 = LeastAllocated 80 + BalancedAllocation 90 + NodeSpread 100",
            "node-1: rejected by NodeResourcesFit: Insufficient cpu",
        ])
        let new = """
            {"feasible":2,"message":"Successfully assigned default/web-1 to node-2","node":"node-2","nodeCount":3,\
            "nodes":["node-2 285 88 97 100","node-3 270 80 90 100","node-1 NodeResourcesFit Insufficient cpu"],\
            "pod":"default/web-1","reasons":{},"scores":["LeastAllocated","BalancedAllocation","NodeSpread"],\
            "time":"2025-01-01T10:00:00Z","v":2}
            """
        #expect(SchedulingExplanation.render(annotation: new) == SchedulingExplanation.render(annotation: old))
    }
}
