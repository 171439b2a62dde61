import Foundation
import KctlModel
import KctlStore
import KctlTestSupport
import Testing

@testable import KctlScheduler

// MARK: Pure-core fixtures

let gib: Int64 = 1 << 30

func nodeInfo(
    _ name: String, cpu: Int64 = 4000, memory: Int64 = 8 * gib, pods: Int64 = 110, zone: String? = nil,
    labels: [String: String] = [:], taints: [Taint] = [], ready: Bool = true, unschedulable: Bool = false
) -> NodeInfo {
    var all = labels
    all[ClusterSnapshot.hostnameLabel] = name
    if let zone { all[ClusterSnapshot.zoneLabel] = zone }
    return NodeInfo(
        name: name, labels: all, taints: taints, ready: ready, unschedulable: unschedulable,
        allocatable: Resources(milliCPU: cpu, memory: memory, pods: pods))
}

func podInfo(
    _ name: String, cpu: Int64 = 100, memory: Int64 = 128 << 20, labels: [String: String] = [:],
    owner: String? = nil, nodeSelector: [String: String] = [:], affinity: [NodeSelectorTerm]? = nil,
    tolerations: [Toleration] = [], spread: [SpreadConstraint] = [], node: String? = nil
) -> PodInfo {
    PodInfo(
        namespace: "default", name: name, uid: "uid-\(name)", labels: labels,
        requests: Resources(milliCPU: cpu, memory: memory), nodeSelector: nodeSelector, requiredAffinity: affinity,
        tolerations: tolerations, spreadConstraints: spread, owner: owner, nodeName: node)
}

func snapshot(_ nodes: [NodeInfo], pods: [PodInfo] = []) -> ClusterSnapshot {
    var snapshot = ClusterSnapshot()
    for node in nodes { snapshot.upsertNode(node) }
    for pod in pods { snapshot.upsertPod(pod) }
    return snapshot
}

extension ClusterSnapshot {
    func state(_ name: String) -> NodeState { state(named: name)! }
}

/// Places pods one after another, assuming each placement; returns the node of each.
func placeAll(_ pods: [PodInfo], in snapshot: inout ClusterSnapshot) -> [String?] {
    pods.map { pod in
        let decision = SchedulingPipeline.schedule(pod, in: snapshot)
        if let node = decision.node { snapshot.assume(pod, on: node) }
        return decision.node
    }
}

// MARK: Store fixtures

/// A store in a fresh temporary directory, closed and removed after `body`.
func withStore<R>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-sched-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try SQLiteStore(path: dir.appendingPathComponent("state.db").path)
    defer { store.close() }
    return try await body(store)
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds, failing after `limit`.
func eventually(
    _ what: String, within limit: Duration = .seconds(20), _ condition: @Sendable () async throws -> Bool
) async throws {
    if try await pollUntil(within: limit, every: .milliseconds(10), condition) { return }
    throw TimeoutError(what: what)
}

/// A Node object as a manifest would create it, with a Ready condition.
func nodeObject(_ name: String, cpu: String = "4", memory: String = "8Gi", zone: String, ready: Bool = true)
    -> KubeObject
{
    var object = KubeObject([
        "apiVersion": "v1", "kind": "Node",
        "status": [
            "capacity": ["cpu": .string(cpu), "memory": .string(memory), "pods": "110"],
            "allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": "110"],
            "conditions": [["type": "Ready", "status": .string(ready ? "True" : "False")]],
        ],
    ])
    object.name = name
    object.labels = [ClusterSnapshot.hostnameLabel: name, ClusterSnapshot.zoneLabel: zone]
    return object
}

/// A Pending pod of an owner (a ReplicaSet), requesting `cpu`.
func podObject(_ name: String, cpu: String = "100m", memory: String = "64Mi", app: String, ownerUID: String? = nil)
    -> KubeObject
{
    var object = KubeObject([
        "apiVersion": "v1", "kind": "Pod",
        "spec": [
            "containers": [
                [
                    "name": "main", "image": "demo",
                    "resources": ["requests": ["cpu": .string(cpu), "memory": .string(memory)]],
                ]
            ]
        ],
        "status": ["phase": "Pending"],
    ])
    object.name = name
    object.namespace = "default"
    object.labels = ["app": app]
    if let ownerUID {
        object.ownerReferences = [
            [
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string(app), "uid": .string(ownerUID),
                "controller": true,
            ]
        ]
    }
    return object
}
