import Foundation
import KctlModel
import Testing

@testable import KctlAgent

@Suite struct HeartbeatStateMachineTests {
    @Test func statusIsReportedFirstThenOnlyOnChangeOrAfterTheInterval() {
        var machine = HeartbeatStateMachine(heartbeatInterval: .seconds(10), statusReportInterval: .seconds(60))
        #expect(machine.shouldReportStatus(at: .zero, statusChanged: false))
        machine.statusReported(at: .zero)
        #expect(!machine.shouldReportStatus(at: .seconds(10), statusChanged: false))
        #expect(machine.shouldReportStatus(at: .seconds(10), statusChanged: true))
        #expect(!machine.shouldReportStatus(at: .seconds(59), statusChanged: false))
        #expect(machine.shouldReportStatus(at: .seconds(60), statusChanged: false))
    }

    @Test func failedHeartbeatsRetrySoonerWithDoublingDelays() {
        var machine = HeartbeatStateMachine(heartbeatInterval: .seconds(1), statusReportInterval: .seconds(60))
        #expect(machine.heartbeatFailed() == .milliseconds(200))
        #expect(machine.heartbeatFailed() == .milliseconds(400))
        #expect(machine.heartbeatFailed() == .milliseconds(800))
        #expect(machine.heartbeatFailed() == .seconds(1))
        #expect(machine.heartbeatFailed() == .seconds(1))
        #expect(machine.heartbeatSucceeded() == .seconds(1))
        #expect(machine.heartbeatFailed() == .milliseconds(200))
    }
}

@Suite struct StampTests {
    @Test func leaseRenewTimesHaveMicroseconds() {
        #expect(Stamp.microTime(Date(timeIntervalSince1970: 1.5)) == "1970-01-01T00:00:01.500000Z")
        #expect(Stamp.microTime(Date(timeIntervalSince1970: 1_700_000_000)) == "2023-11-14T22:13:20.000000Z")
        #expect(Stamp.time(Date(timeIntervalSince1970: 1_700_000_000.9)) == "2023-11-14T22:13:20Z")
    }
}

@Suite struct NodeStatusReportTests {
    @Test func aBareNodeGetsConditionsAddressAndNodeInfo() throws {
        let status = try #require(
            NodeStatusReport.reportedStatus(nil, nodeName: "node-4", now: "T1", refreshHeartbeat: false))
        let parsed = try status.decode(NodeStatus.self)
        let ready = try #require(parsed.conditions?.first { $0.type == "Ready" })
        #expect(ready.status == "True" && ready.reason == "KubeletReady")
        #expect(ready.lastHeartbeatTime == "T1" && ready.lastTransitionTime == "T1")
        #expect(parsed.conditions?.count == 4)
        #expect(parsed.addresses?.first == NodeAddress(type: "InternalIP", address: "127.0.1.4"))
        #expect(parsed.nodeInfo?.kubeletVersion == "v1.32.0-kctl")
    }

    @Test func anUpToDateStatusIsLeftAloneUnlessRefreshed() throws {
        let status = NodeStatusReport.reportedStatus(nil, nodeName: "n", now: "T1", refreshHeartbeat: false)
        #expect(NodeStatusReport.reportedStatus(status, nodeName: "n", now: "T2", refreshHeartbeat: false) == nil)
        #expect(!NodeStatusReport.needsUpdate(status, nodeName: "n"))
        let refreshed = try #require(NodeStatusReport.reportedStatus(status, nodeName: "n", now: "T2", refreshHeartbeat: true))
        let ready = try #require(NodeStatusReport.readyCondition(refreshed))
        #expect(ready.lastHeartbeatTime == "T2")
        #expect(ready.lastTransitionTime == "T1")
    }

    @Test func anUnknownReadyIsATransition() throws {
        let status = NodeStatusReport.reportedStatus(nil, nodeName: "n", now: "T1", refreshHeartbeat: false)
        let unknown = NodeLifecycleDecision.unknownStatus(status, now: "T2")
        #expect(NodeStatusReport.readyCondition(unknown)?.status == "Unknown")
        #expect(NodeStatusReport.readyCondition(unknown)?.lastHeartbeatTime == "T1")
        #expect(NodeStatusReport.needsUpdate(unknown, nodeName: "n"))
        let back = NodeStatusReport.reportedStatus(unknown, nodeName: "n", now: "T3", refreshHeartbeat: false)
        #expect(NodeStatusReport.readyCondition(back)?.status == "True")
        #expect(NodeStatusReport.readyCondition(back)?.lastTransitionTime == "T3")
    }
}

@Suite struct PodAcceptanceTests {
    @Test func acceptanceFillsWhatIsMissingOnce() throws {
        let accepted = try #require(PodAcceptance.acceptedStatus(nil, hostIP: "127.0.1.1", now: "T1"))
        #expect(accepted.hostIP == "127.0.1.1" && accepted.startTime == "T1" && accepted.phase == "Pending")
        #expect(accepted.conditions == [PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: "T1")])
        #expect(PodAcceptance.acceptedStatus(accepted, hostIP: "127.0.1.1", now: "T2") == nil)
    }

    @Test func aFailedSchedulingConditionTurnsTrue() throws {
        let pending = PodStatus(
            phase: "Pending",
            conditions: [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3")])
        let accepted = try #require(PodAcceptance.acceptedStatus(pending, hostIP: "h", now: "T"))
        #expect(accepted.conditions?.count == 1)
        #expect(accepted.conditions?.first?.status == "True")
        #expect(accepted.conditions?.first?.reason == nil)
    }

    @Test func theAcceptingRunnerReadsOnlyTheStatusOfAStoredPod() async throws {
        let context = PodRunnerContext(
            nodeName: "n", hostIP: "127.0.1.1", now: { Date(timeIntervalSince1970: 0) }, requeue: { _ in })
        let pending = PodStatus(
            phase: "Pending",
            conditions: [PodCondition(type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3")])
        var object = try Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(containers: []), status: pending).encodedObject()
        let typed = try await AcceptingPodRunner().sync(try Pod(object), context: context)
        #expect(typed != nil)
        #expect(try await AcceptingPodRunner().sync(object: object, context: context) == typed)
        object.status = nil
        #expect(try await AcceptingPodRunner().sync(object: object, context: context)?.phase == "Pending")
        object.status = ["phase": 1]
        await #expect(throws: StatusError.self) { try await AcceptingPodRunner().sync(object: object, context: context) }
    }

    @Test func gracePeriods() {
        var pod = Pod(spec: PodSpec(containers: []))
        #expect(PodAcceptance.gracePeriod(of: pod) == .seconds(30))
        pod.spec?.terminationGracePeriodSeconds = 5
        #expect(PodAcceptance.gracePeriod(of: pod) == .seconds(5))
        pod.metadata.deletionGracePeriodSeconds = 0
        #expect(PodAcceptance.gracePeriod(of: pod) == .zero)
    }
}

@Suite struct NodeLifecycleDecisionTests {
    @Test func trackerCountsFromTheLastChangeOfRenewTime() {
        var tracker = NodeHealthTracker(gracePeriod: .seconds(40))
        tracker.observeNode("a", at: .seconds(0))
        #expect(tracker.isFresh("a", at: .seconds(39)))
        #expect(!tracker.isFresh("a", at: .seconds(40)))
        let renewed = tracker.observeLease(node: "a", renewTime: "r1", at: .seconds(30))
        let repeated = tracker.observeLease(node: "a", renewTime: "r1", at: .seconds(50))
        #expect(renewed)
        #expect(!repeated)  // the same value: no sign of life
        #expect(tracker.isFresh("a", at: .seconds(69)))
        #expect(!tracker.isFresh("a", at: .seconds(70)))
        #expect(tracker.staleAt("a") == .seconds(70))
        #expect(tracker.isFresh("unknown", at: .seconds(1000)))
    }

    @Test func actions() {
        let healthy = node(status: NodeStatusReport.reportedStatus(nil, nodeName: "n", now: "T", refreshHeartbeat: false))
        #expect(NodeLifecycleDecision.action(for: healthy, fresh: true) == .none)
        #expect(NodeLifecycleDecision.action(for: healthy, fresh: false) == .markUnreachable(status: true, taints: true))

        var down = NodeLifecycleDecision.addingUnreachableTaints(to: healthy, now: "T")
        down.status = NodeLifecycleDecision.unknownStatus(down.status, now: "T")
        #expect(NodeLifecycleDecision.action(for: down, fresh: false) == .none)
        #expect(NodeLifecycleDecision.action(for: down, fresh: true) == .markReachable(status: true, taints: true))

        let untainted = NodeLifecycleDecision.removingUnreachableTaints(from: down)
        #expect(NodeLifecycleDecision.unreachableTaints(in: untainted).isEmpty)
        #expect(NodeLifecycleDecision.unreachableTaints(in: down) == ["NoSchedule", "NoExecute"])
    }

    @Test func otherTaintsSurvive() {
        var object = node(status: nil)
        object.spec = ["taints": [["key": "dedicated", "value": "db", "effect": "NoSchedule"]]]
        let tainted = NodeLifecycleDecision.addingUnreachableTaints(to: object, now: "T")
        #expect(tainted.spec?["taints"]?.arrayValue?.count == 3)
        #expect(NodeLifecycleDecision.removingUnreachableTaints(from: tainted).spec?["taints"]?.arrayValue?.count == 1)
    }

    @Test func evictionFollowsTolerations() {
        let taint = Taint(key: "node.kubernetes.io/unreachable", effect: "NoExecute")
        func allowed(_ tolerations: [Toleration]) -> Duration? {
            TaintEviction.allowedDuration(
                for: Pod(spec: PodSpec(containers: [], tolerations: tolerations)), taint: taint, default: .seconds(300))
        }
        #expect(allowed([]) == .seconds(300))
        #expect(allowed([Toleration(operator: "Exists")]) == nil)
        #expect(allowed([Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute")]) == nil)
        #expect(
            allowed([Toleration(key: "node.kubernetes.io/unreachable", operator: "Exists", tolerationSeconds: 60)])
                == .seconds(60))
        #expect(allowed([Toleration(key: "node.kubernetes.io/unreachable", effect: "NoSchedule")]) == .seconds(300))
        #expect(allowed([Toleration(key: "other", operator: "Exists")]) == .seconds(300))
    }

    private func node(status: JSONValue?) -> KubeObject {
        var node = KubeObject(["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n"], "spec": [:]])
        node.status = status
        return node
    }
}
