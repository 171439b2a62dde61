import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import Testing

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds, failing after `limit`.
func eventually(
    _ what: String, within limit: Duration = .seconds(15), _ condition: () async throws -> Bool
) async throws {
    if try await pollUntil(within: limit, every: .milliseconds(10), { (try? await condition()) == true }) { return }
    throw TimeoutError(what: what)
}

/// A store in a temporary directory with every built-in controller running over it.
func withControllers(
    configure: (inout ControllerOptions) -> Void = { _ in },
    _ body: (SQLiteStore, ControllerSet) async throws -> Void
) async throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-ctl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try SQLiteStore(path: dir.appendingPathComponent("state.db").path)
    defer { store.close() }
    var options = ControllerOptions()
    options.backOff = .init(base: .milliseconds(5), max: .milliseconds(200))
    options.namespaceRecheck = .milliseconds(20)
    configure(&options)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let controllers = ControllerSet(store: store, logger: logger, options: options)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await controllers.manager.run() }
        do {
            try await body(store, controllers)
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

func deployment(
    _ name: String, replicas: Int64, image: String = "app:v1", strategy: String? = nil, namespace: String = "default"
) throws -> KubeObject {
    var spec: JSONValue = [
        "replicas": .int(replicas),
        "selector": ["matchLabels": ["app": .string(name)]],
        "template": [
            "metadata": ["labels": ["app": .string(name)]],
            "spec": ["containers": [["name": "app", "image": .string(image)]]],
        ],
    ]
    if let strategy { spec["strategy"] = ["type": .string(strategy)] }
    let json: JSONValue = [
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": .string(name), "namespace": .string(namespace)], "spec": spec,
    ]
    return try Admission.admit(try KubeObject(json: json), as: .deployment)
}

func replicaSet(_ name: String, replicas: Int64, labels: [String: String]) throws -> KubeObject {
    let labelJSON = JSONValue.object(labels.mapValues { .string($0) })
    let json: JSONValue = [
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": ["name": .string(name), "namespace": "default"],
        "spec": [
            "replicas": .int(replicas), "selector": ["matchLabels": labelJSON],
            "template": [
                "metadata": ["labels": labelJSON], "spec": ["containers": [["name": "app", "image": "app:v1"]]],
            ],
        ],
    ]
    return try Admission.admit(try KubeObject(json: json), as: .replicaSet)
}

func pod(_ name: String, labels: [String: String], owner: KubeObject? = nil) throws -> KubeObject {
    var object = try KubeObject(json: [
        "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
        "spec": ["containers": [["name": "app", "image": "app:v1"]]],
    ])
    object.labels = labels
    if let owner { object.ownerReferences = [OwnerRef.controller(of: owner).json] }
    return try Admission.admit(object, as: .pod)
}

extension SQLiteStore {
    func pods(ownedBy owner: KubeObject? = nil) async throws -> [KubeObject] {
        let all = try await list(.pod, namespace: "default").items.filter { $0.deletionTimestamp == nil }
        guard let owner else { return all }
        return all.filter { $0.controllerOwner?.uid == owner.uid }
    }

    func replicaSets(ownedBy owner: KubeObject) async throws -> [KubeObject] {
        try await list(.replicaSet, namespace: owner.namespace).items.filter { $0.controllerOwner?.uid == owner.uid }
    }

    /// Marks every pod Running and Ready, as a node agent would.
    func markAllPodsReady() async throws {
        for pod in try await pods() where pod.status?["conditions"] == nil {
            _ = try? await update(.pod, namespace: pod.namespace, name: pod.name, subresource: .status) {
                $0.status = [
                    "phase": "Running",
                    "conditions": [["type": "Ready", "status": "True", "lastTransitionTime": "2020-01-01T00:00:00Z"]],
                ]
            }
        }
    }

    func events(reason: String) async throws -> [KubeObject] {
        try await list(.event, namespace: nil).items.filter { $0.json["reason"]?.stringValue == reason }
    }
}
