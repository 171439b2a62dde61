import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Testing

@testable import KctlAgent

func events(_ store: any Store, reason: String) async throws -> [KubeObject] {
    try await store.list(.event, namespace: nil).items.filter { $0["reason"]?.stringValue == reason }
}

let unreachableTaints = ["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]

@Suite struct NodeLifecycleControllerTests {
    @Test func aStoppedAgentMakesItsNodeUnknownAndTaintedAndResumingRestoresIt() async throws {
        try await withStore { store in
            let clock = ManualClock()
            try await SimulatedNodes.ensure(store: store, count: 1, logger: testLogger)
            let agents = NodeAgents(store: store, logger: testLogger, clock: clock, options: testAgentOptions)
            let lifecycle = NodeLifecycleController(store: store, logger: testLogger, clock: clock)
            try await whileRunning([{ try await agents.run() }, { try await lifecycle.run() }]) {
                try await eventually("Ready=True") {
                    readyStatus(try await store.get(.node, namespace: nil, name: "node-1")) == "True"
                }
                // The controller counts from when it saw the renewal: let it see it before time moves.
                let renewed = renewTime(try await lease(store, "node-1"))
                try await eventually("the renewal seen") {
                    lifecycle.tracker.withLock { $0.entries["node-1"]?.renewTime } == renewed
                }
                agents.stop(node: "node-1")
                try await eventually("a staleness check due") { lifecycle.queue.delayedCount >= 1 }
                // The check is due 40 s after the renewal, not earlier: stated from the queue's
                // schedule rather than by waiting a while to see that nothing happens.
                let key = ObjectKey(namespace: nil, name: "node-1")
                #expect(lifecycle.queue.timeUntilDue(key) == .seconds(40))
                clock.advance(by: .seconds(39))
                #expect(lifecycle.queue.timeUntilDue(key) == .seconds(1))
                #expect(readyStatus(try await store.get(.node, namespace: nil, name: "node-1")) == "True")

                clock.advance(by: .seconds(1))
                try await eventually("Ready=Unknown with taints") {
                    let node = try await store.get(.node, namespace: nil, name: "node-1")
                    return readyStatus(node) == "Unknown" && Set(taints(node)) == Set(unreachableTaints)
                }
                let node = try await store.get(.node, namespace: nil, name: "node-1")
                #expect(readyCondition(node)?["reason"]?.stringValue == "NodeStatusUnknown")
                #expect(readyCondition(node)?["message"]?.stringValue == "Kubelet stopped posting node status.")
                try await eventually("a NodeNotReady event") { try await !events(store, reason: "NodeNotReady").isEmpty }

                agents.start(node: "node-1")
                try await eventually("Ready=True without taints") {
                    let node = try await store.get(.node, namespace: nil, name: "node-1")
                    return readyStatus(node) == "True" && taints(node).isEmpty
                }
                let restored = try await store.get(.node, namespace: nil, name: "node-1")
                #expect(readyCondition(restored)?["reason"]?.stringValue == "KubeletReady")
                try await eventually("a NodeReady event") { try await !events(store, reason: "NodeReady").isEmpty }
            }
        }
    }

    @Test func podsOnAnUnreachableNodeAreMarkedNotReady() async throws {
        try await withStore { store in
            let clock = ManualClock()
            try await SimulatedNodes.ensure(store: store, count: 1, logger: testLogger)
            var ready = pod("served", node: "node-1")
            ready.status = ["phase": "Running", "conditions": [["type": "Ready", "status": "True"]]]
            _ = try await store.create(ready, as: .pod)
            let lifecycle = NodeLifecycleController(
                store: store, logger: testLogger, clock: clock, options: NodeLifecycleOptions(podEvictionTimeout: .seconds(300)))
            try await whileRunning([{ try await lifecycle.run() }]) {
                try await eventually("a staleness check due") { lifecycle.queue.delayedCount >= 1 }
                clock.advance(by: .seconds(40))
                try await eventually("the pod is not ready") {
                    let pod = try await store.get(.pod, namespace: "default", name: "served")
                    let condition = pod.status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
                    return condition?["status"]?.stringValue == "False"
                        && condition?["reason"]?.stringValue == "NodeNotReady"
                }
            }
        }
    }

    @Test func podsOfADeletedNodeAreDeletedAtOnce() async throws {
        try await withStore { store in
            let clock = ManualClock()
            try await SimulatedNodes.ensure(store: store, count: 2, logger: testLogger)
            _ = try await store.create(pod("orphan", node: "node-1"), as: .pod)
            _ = try await store.create(pod("kept", node: "node-2"), as: .pod)
            let lifecycle = NodeLifecycleController(store: store, logger: testLogger, clock: clock)
            try await whileRunning([{ try await lifecycle.run() }]) {
                try await eventually("watching") { lifecycle.pods.list(index: NodeAgents.nodeNameIndex, value: "node-1").count == 1 }
                _ = try await store.delete(.node, namespace: nil, name: "node-1")
                try await eventually("the orphan is gone") { try await find(store, .pod, "default", "orphan") == nil }
                #expect(try await find(store, .pod, "default", "kept") != nil)
            }
        }
    }

    @Test func podsAreEvictedFromUnreachableNodesUnlessTheyTolerateIt() async throws {
        try await withStore { store in
            let clock = ManualClock()
            // No agents: a node never heard from goes stale one grace period after it is first seen.
            try await SimulatedNodes.ensure(store: store, count: 1, logger: testLogger)
            _ = try await store.create(pod("plain", node: "node-1"), as: .pod)
            _ = try await store.create(
                pod("brief", node: "node-1", tolerations: [
                    [
                        "key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 60,
                    ]
                ]), as: .pod)
            _ = try await store.create(pod("forever", node: "node-1", tolerations: [["operator": "Exists"]]), as: .pod)
            let lifecycle = NodeLifecycleController(
                store: store, logger: testLogger, clock: clock, options: NodeLifecycleOptions(podEvictionTimeout: .seconds(300)))
            // Evicted pods are deleted gracefully; with no agent to finish, they stay Terminating.
            func remaining() async throws -> [String] {
                try await store.list(.pod, namespace: "default").items.filter { $0.deletionTimestamp == nil }
                    .map(\.name).sorted()
            }
            try await whileRunning([{ try await lifecycle.run() }]) {
                try await eventually("a staleness check due") { lifecycle.queue.delayedCount >= 1 }
                clock.advance(by: .seconds(40))
                try await eventually("tainted") {
                    Set(taints(try await store.get(.node, namespace: nil, name: "node-1"))) == Set(unreachableTaints)
                }
                #expect(try await remaining() == ["brief", "forever", "plain"])

                try await eventually("an eviction due") { lifecycle.queue.delayedCount >= 1 }
                clock.advance(by: .seconds(60))
                try await eventually("brief evicted") { try await remaining() == ["forever", "plain"] }

                try await eventually("an eviction due") { lifecycle.queue.delayedCount >= 1 }
                clock.advance(by: .seconds(240))
                try await eventually("plain evicted") { try await remaining() == ["forever"] }
                try await eventually("eviction events") {
                    try await events(store, reason: "TaintManagerEviction").count == 2
                }
            }
        }
    }
}
