import Foundation
import KctlAgent
import KctlControllerRuntime
import KctlModel
import KctlStore
import Testing

/// Waits until `count` tasks sleep on the clock (the agents finished their heartbeat), then
/// moves it forward.
func tick(_ clock: ManualClock, by duration: Duration, sleepers count: Int = 1) async throws {
    try await eventually("\(count) sleeper(s) on the clock") { clock.sleeperCount >= count }
    clock.advance(by: duration)
}

func renewTime(_ lease: KubeObject?) -> String? { lease?.spec?["renewTime"]?.stringValue }

/// A store with `nodes` simulated Nodes, and their agents running on a manual clock while `body` runs.
func withRunningAgents(nodes: Int, _ body: (SQLiteStore, NodeAgents, ManualClock) async throws -> Void) async throws {
    try await withStore { store in
        let clock = ManualClock()
        try await SimulatedNodes.ensure(store: store, count: nodes, logger: testLogger)
        let agents = NodeAgents(store: store, logger: testLogger, clock: clock, options: testAgentOptions)
        try await whileRunning([{ try await agents.run() }]) { try await body(store, agents, clock) }
    }
}

@Suite struct NodeAgentTests {
    @Test func agentCreatesItsLeaseRenewsItAndReportsReady() async throws {
        try await withRunningAgents(nodes: 1) { store, agents, clock in
            try await eventually("the Lease") { try await lease(store, "node-1") != nil }
            let created = try #require(try await lease(store, "node-1"))
            #expect(created.spec?["holderIdentity"]?.stringValue == "node-1")
            #expect(created.spec?["leaseDurationSeconds"]?.intValue == 40)
            #expect(created.ownerReferences.first?["kind"]?.stringValue == "Node")
            let first = try #require(renewTime(created))

            try await eventually("Ready=True") {
                readyStatus(try await store.get(.node, namespace: nil, name: "node-1")) == "True"
            }
            let ready = readyCondition(try await store.get(.node, namespace: nil, name: "node-1"))
            #expect(ready?["reason"]?.stringValue == "KubeletReady")
            #expect(ready?["message"]?.stringValue == "kctl agent is posting ready status")

            try await tick(clock, by: .seconds(10))
            try await eventually("a renewal") { renewTime(try await lease(store, "node-1")) != first }
        }
    }

    @Test func leaseRenewalsDoNotRewriteTheNode() async throws {
        try await withRunningAgents(nodes: 1) { store, agents, clock in
            try await eventually("Ready=True") {
                readyStatus(try await store.get(.node, namespace: nil, name: "node-1")) == "True"
            }
            let reported = try await store.get(.node, namespace: nil, name: "node-1")
            var last = renewTime(try await lease(store, "node-1"))
            // Four heartbeats (40 s) within the 60 s status report interval: the Lease moves, the Node does not.
            for _ in 1...4 {
                try await tick(clock, by: .seconds(10))
                let previous = last
                try await eventually("a renewal") { renewTime(try await lease(store, "node-1")) != previous }
                last = renewTime(try await lease(store, "node-1"))
            }
            #expect(try await store.get(.node, namespace: nil, name: "node-1").resourceVersion == reported.resourceVersion)

            // Past the report interval the Node gets a fresh lastHeartbeatTime.
            try await tick(clock, by: .seconds(10))
            try await tick(clock, by: .seconds(10))
            try await eventually("a status report") {
                let node = try await store.get(.node, namespace: nil, name: "node-1")
                return readyCondition(node)?["lastHeartbeatTime"] != readyCondition(reported)?["lastHeartbeatTime"]
            }
            #expect(readyCondition(try await store.get(.node, namespace: nil, name: "node-1"))?["lastTransitionTime"]
                == readyCondition(reported)?["lastTransitionTime"])
        }
    }

    @Test func boundPodsAreAccepted() async throws {
        try await withStore { store in
            let clock = ManualClock()
            try await SimulatedNodes.ensure(store: store, count: 2, logger: testLogger)
            _ = try await store.create(pod("early", node: "node-2"), as: .pod)
            let agents = NodeAgents(store: store, logger: testLogger, clock: clock, options: testAgentOptions)
            try await whileRunning([{ try await agents.run() }]) {
                _ = try await store.create(pod("late", node: "node-1"), as: .pod)
                _ = try await store.create(pod("unbound", node: nil), as: .pod)
                for (name, ip) in [("early", "127.0.1.2"), ("late", "127.0.1.1")] {
                    try await eventually("pod \(name) accepted") {
                        try await store.get(.pod, namespace: "default", name: name).status?["hostIP"]?.stringValue == ip
                    }
                    let accepted = try Pod(try await store.get(.pod, namespace: "default", name: name))
                    #expect(accepted.status?.startTime != nil)
                    #expect(accepted.status?.phase == "Pending")
                    #expect(accepted.status?.hostIPs == [HostIP(ip: ip)])
                    #expect(accepted.status?.conditions?.first { $0.type == "PodScheduled" }?.status == "True")
                }
                let unbound = try await store.get(.pod, namespace: "default", name: "unbound")
                #expect(unbound.status?["hostIP"] == nil)
            }
        }
    }

    /// The agent's own status report coming back is no reason to sync again, but a status that
    /// anyone else wrote is: here a client's edit drops what acceptance filled in, and the agent
    /// fills it in again.
    @Test func aStatusWrittenByAnotherIsSyncedAgain() async throws {
        try await withRunningAgents(nodes: 1) { store, agents, clock in
            _ = try await store.create(pod("web", node: "node-1"), as: .pod)
            try await eventually("accepted") {
                try await store.get(.pod, namespace: "default", name: "web").status?["hostIP"] != nil
            }
            _ = try await store.update(.pod, namespace: "default", name: "web", subresource: .status) {
                $0.status = ["phase": "Pending"]
            }
            try await eventually("accepted again") {
                try await store.get(.pod, namespace: "default", name: "web").status?["hostIP"]?.stringValue
                    == "127.0.1.1"
            }
        }
    }

    @Test func podsBeingDeletedAreStoppedThenDeleted() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let runner = RecordingRunner()
            try await SimulatedNodes.ensure(store: store, count: 1, logger: testLogger)
            let agents = NodeAgents(
                store: store, logger: testLogger, clock: clock, options: testAgentOptions, runner: { _ in runner })
            try await whileRunning([{ try await agents.run() }]) {
                var held = pod("held", node: "node-1")
                held.finalizers = ["test.kctl.dev/hold"]
                let created = try await store.create(held, as: .pod)
                let plain = try await store.create(pod("plain", node: "node-1"), as: .pod)
                try await eventually("both accepted") { runner.synced.count >= 2 }

                // A finalizer keeps the pod (with a deletionTimestamp): the agent stops it and deletes it,
                // which leaves it to the finalizer's owner.
                _ = try await store.delete(.pod, namespace: "default", name: "held")
                try await eventually("held terminated") { runner.terminated.contains(created.uid ?? "") }
                // Level-triggered: a later event may terminate it again; a runner's terminate is idempotent.
                // 30 s as asked; 0 once the agent's own delete (grace 0) is recorded while the finalizer holds it.
                #expect(runner.terminatedGrace.allSatisfy { $0 == .seconds(30) || $0 == .zero })
                _ = try await store.update(.pod, namespace: "default", name: "held", subresource: .main) {
                    $0.finalizers = []
                }
                #expect(try await find(store, .pod, "default", "held") == nil)

                // A bound pod is deleted gracefully: the store marks it, the agent stops it and deletes it.
                let marked = try await store.delete(.pod, namespace: "default", name: "plain")
                guard case .pending(let pending) = marked else { Issue.record("deleted at once"); return }
                #expect(pending.metadata["deletionGracePeriodSeconds"]?.intValue == 30)
                try await eventually("plain terminated") { runner.terminated.contains(plain.uid ?? "") }
                try await eventually("plain deleted by the agent") {
                    try await find(store, .pod, "default", "plain") == nil
                }

                // A pod force-deleted (grace period 0) is forgotten without a terminate.
                let forced = try await store.create(pod("forced", node: "node-1"), as: .pod)
                try await eventually("forced accepted") { runner.synced.contains("default/forced") }
                _ = try await store.delete(
                    .pod, namespace: "default", name: "forced", preconditions: .init(), gracePeriodSeconds: 0)
                try await eventually("forced forgotten") { runner.forgotten.contains("default/forced") }
                #expect(!runner.terminated.contains(forced.uid ?? ""))
            }
        }
    }

    @Test func nodesCreatedLaterGetAnAgentExceptExternalOnes() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let agents = NodeAgents(store: store, logger: testLogger, clock: clock, options: testAgentOptions)
            try await whileRunning([{ try await agents.run() }]) {
                var external = SimulatedNodes.node(index: 9, zone: "zone-a")
                external.labels["node.kctl.dev/agent"] = "external"
                _ = try await store.create(external, as: .node)
                // Like `kctl apply -f Manifests/nodes.yaml`: no address, no nodeInfo.
                _ = try await store.create(
                    KubeObject([
                        "apiVersion": "v1", "kind": "Node", "metadata": ["name": "worker"],
                        "status": ["capacity": ["cpu": "2"], "allocatable": ["cpu": "2"]],
                    ]), as: .node)
                try await eventually("worker's Lease") { try await lease(store, "worker") != nil }
                try await eventually("worker Ready") {
                    readyStatus(try await store.get(.node, namespace: nil, name: "worker")) == "True"
                }
                let worker = try Node(try await store.get(.node, namespace: nil, name: "worker"))
                #expect(worker.status?.addresses?.first?.type == "InternalIP")
                #expect(worker.status?.nodeInfo?.kubeletVersion == "v1.32.0-kctl")
                #expect(worker.status?.capacity?["cpu"]?.value == 2)
                #expect(agents.runningNodes == ["worker"])
                #expect(try await lease(store, "node-9") == nil)
            }
        }
    }

    @Test func deletingANodeStopsItsAgent() async throws {
        try await withRunningAgents(nodes: 2) { store, agents, clock in
            try await eventually("two Leases") {
                let one = try await lease(store, "node-1")
                let two = try await lease(store, "node-2")
                return one != nil && two != nil
            }
            _ = try await store.delete(.node, namespace: nil, name: "node-1")
            try await eventually("node-1's agent stopped") { agents.runningNodes == ["node-2"] }
            let before = renewTime(try await lease(store, "node-1"))
            let other = renewTime(try await lease(store, "node-2"))
            // Node-1's agent may still be sleeping on the clock while node-2's finishes a
            // heartbeat, so no single tick is sure to wake node-2: time moves on until it renews.
            try await eventually("node-2 renews") {
                clock.advance(by: .seconds(10))
                return renewTime(try await lease(store, "node-2")) != other
            }
            #expect(renewTime(try await lease(store, "node-1")) == before)
        }
    }

    @Test func agentsCanBeStoppedAndStartedPerNode() async throws {
        try await withRunningAgents(nodes: 1) { store, agents, clock in
            try await eventually("the Lease") { try await lease(store, "node-1") != nil }
            agents.stop(node: "node-1")
            #expect(!agents.isRunning(node: "node-1"))
            try await eventually("no agent sleeping") { clock.sleeperCount == 0 }
            let stopped = renewTime(try await lease(store, "node-1"))
            clock.advance(by: .seconds(30))
            // A Node update does not bring a stopped agent back.
            _ = try await store.update(.node, namespace: nil, name: "node-1", subresource: .main) {
                $0.labels["touched"] = "yes"
            }
            try await eventually("the update seen") { agents.runningNodes.isEmpty }
            #expect(renewTime(try await lease(store, "node-1")) == stopped)

            agents.start(node: "node-1")
            #expect(agents.isRunning(node: "node-1"))
            try await eventually("renewed after start") { renewTime(try await lease(store, "node-1")) != stopped }
        }
    }
}

/// Accepts like `AcceptingPodRunner`, and records every call.
final class RecordingRunner: PodRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var _synced: [String] = []
    private var _terminated: [String] = []
    private var _terminatedGrace: [Duration] = []
    private var _forgotten: [String] = []

    var synced: [String] { lock.withLock { _synced } }
    var terminated: [String] { lock.withLock { _terminated } }
    var terminatedGrace: [Duration] { lock.withLock { _terminatedGrace } }
    var forgotten: [String] { lock.withLock { _forgotten } }

    func sync(_ pod: Pod, context: PodRunnerContext) async throws -> PodStatus? {
        lock.withLock { _synced.append(pod.key) }
        return try await AcceptingPodRunner().sync(pod, context: context)
    }

    func terminate(_ pod: Pod, gracePeriod: Duration, context: PodRunnerContext) async throws {
        lock.withLock {
            _terminated.append(pod.metadata.uid ?? "")
            _terminatedGrace.append(gracePeriod)
        }
    }

    func forget(_ key: ObjectKey, uid: String?, context: PodRunnerContext) async {
        lock.withLock { _forgotten.append(key.description) }
    }

    func stopAll(context: PodRunnerContext, graceful: Bool) async {}
}
