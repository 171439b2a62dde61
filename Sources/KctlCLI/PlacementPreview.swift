import Foundation
import KctlClient
import KctlModel
import KctlScheduler

/// Where the scheduler would put the replicas of applied workloads, for `kctl apply --dry-run=server`:
/// the scheduler's own `SchedulingPipeline` run against a `ClusterSnapshot` of the cluster as it is
/// now, replica after replica, each placement assumed in the snapshot so resource fit and spreading
/// count it. Nothing here does I/O but `load(client:)`.
///
/// One preview serves a whole apply: what earlier documents would place stays in the snapshot for
/// the later ones, as it would once they all run.
///
/// What it deliberately simplifies: a workload's replicas are all placed afresh. Its own current
/// pods are set aside first (a ReplicaSet's pods; for a Deployment, the pods of its ReplicaSet with
/// the same pod template), while pods of the Deployment's other ReplicaSets stay where they are:
/// that is a rolling update at the moment every new replica exists and no old one has gone yet.
/// It does not model scale-down victims, preemption or the rollout's pace. A pod that is already
/// bound is not moved, so it is reported where it is.
struct PlacementPreview {
    private var snapshot: ClusterSnapshot
    /// Bound pods (`ns/name`) per controlling owner uid, to set a workload's own pods aside.
    private var podsByOwner: [String: [String]] = [:]
    private let replicaSets: [KubeObject]

    /// The kinds a preview is made for.
    static let kinds: Set<String> = ["Deployment", "ReplicaSet", "Pod"]

    init(nodes: [KubeObject], pods: [KubeObject], replicaSets: [KubeObject]) {
        snapshot = ClusterSnapshot(nodes: nodes, pods: pods)
        for pod in pods where ClusterSnapshot.holdsRoom(pod) {
            if let uid = Self.controllerUID(of: pod) { podsByOwner[uid, default: []].append(pod.key) }
        }
        self.replicaSets = replicaSets
    }

    /// Lists what the scheduler's informers list (every Node and Pod), plus the ReplicaSets that
    /// tell which pods belong to a Deployment.
    static func load(client: KubeClient) async throws -> PlacementPreview {
        async let nodes = client.list(.node, namespace: nil)
        async let pods = client.list(.pod, namespace: nil)
        async let sets = client.list(.replicaSet, namespace: nil)
        return try await PlacementPreview(nodes: nodes.items, pods: pods.items, replicaSets: sets.items)
    }

    /// The preview of one object.
    enum Outcome: Equatable {
        /// A workload's replicas (or one Pod) went through the pipeline; one decision each, in order.
        case placed(decisions: [Decision], isPod: Bool)
        /// Not scheduled by the pipeline: the text says where it is, or why there is no preview.
        case note(String)
    }

    /// Places `object` (the object as the server would store it) in the snapshot.
    /// - Parameters:
    ///   - live: the stored object before this apply, nil for a create.
    ///   - recordNodes: keep every node's outcome (for `--explain-placement`).
    mutating func place(_ object: KubeObject, live: KubeObject?, recordNodes: Bool = false) -> Outcome {
        let namespace = object.namespace ?? "default"
        let podSpec: JSONValue?
        let labels: [String: String]
        let replicas: Int
        var owner: String?
        var setAside: [String] = []
        switch object.kind {
        case "Pod":
            if let node = Self.nodeName(live?.spec) { return .note("pod already on \(node)") }
            podSpec = object.spec
            labels = object.labels
            replicas = 1
            owner = Self.controllerUID(of: object)
        case "ReplicaSet", "Deployment":
            let template = object.spec?["template"]
            podSpec = template?["spec"]
            labels = Self.stringMap(template?["metadata"]?["labels"])
            replicas = max(0, Int(object.spec?["replicas"]?.intValue ?? 1))
            let uid = live?.uid ?? object.uid
            var ownerUID = object.kind == "ReplicaSet" ? uid : nil
            if object.kind == "Deployment", let uid, let template {
                ownerUID = currentReplicaSet(namespace: namespace, deployment: uid, template: template)?.uid
            }
            if let ownerUID { setAside = podsByOwner.removeValue(forKey: ownerUID) ?? [] }
            owner = ownerUID ?? "dry-run/ReplicaSet/\(namespace)/\(object.name)"
        default:
            return .note("not previewed for \(object.kind)")
        }
        let scheduler = podSpec?["schedulerName"]?.stringValue ?? ""
        if !scheduler.isEmpty && scheduler != SchedulerService.defaultSchedulerName {
            return .note("not previewed: spec.schedulerName \"\(scheduler)\" is another scheduler")
        }
        if let node = Self.nodeName(podSpec) {
            let what = object.kind == "Pod" ? "pod" : Self.count(replicas)
            return .note("\(what) -> \(node) (spec.nodeName: bound without the scheduler)")
        }
        var pod: PodInfo
        do {
            let podObject = KubeObject([
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": .string(object.name), "namespace": .string(namespace)],
                "spec": podSpec ?? [:],
            ])
            pod = try PodInfo(podObject)
        } catch {
            return .note("not previewed: the pod spec cannot be read: \(error)")
        }
        pod.labels = labels
        pod.owner = owner
        pod.nodeName = nil
        for key in setAside { snapshot.removePod(key) }

        var decisions: [Decision] = []
        for index in 0..<replicas {
            var replica = pod
            if object.kind != "Pod" { replica.name = "\(object.name)-dry-run-\(index + 1)" }
            // A stable seed, so the same cluster gives the same preview.
            replica.uid = "dry-run/\(replica.key)"
            let decision = SchedulingPipeline.schedule(replica, in: snapshot, recordNodes: recordNodes)
            if let node = decision.node { snapshot.assume(replica, on: node) }
            decisions.append(decision)
        }
        return .placed(decisions: decisions, isPod: object.kind == "Pod")
    }

    /// The Deployment's ReplicaSet whose template is `template` (ignoring `pod-template-hash`):
    /// the one the rollout would scale up; nil when the apply changes the template.
    private func currentReplicaSet(namespace: String, deployment uid: String, template: JSONValue) -> KubeObject? {
        replicaSets.first { set in
            set.namespace == namespace && Self.controllerUID(of: set) == uid
                && set.spec?["template"].map(Self.withoutHashLabel) == Self.withoutHashLabel(template)
        }
    }

    // MARK: Rendering

    /// The lines printed under the object's line (without indentation):
    ///
    ///     placement: 4 replicas -> node-1 (2), node-2 (1), 1 unschedulable
    ///     replica 4: 0/3 nodes are available: 3 Insufficient cpu.
    ///
    /// With `explain`, every replica instead, with the chosen node's scores and, indented, the others.
    static func lines(_ outcome: Outcome, explain: Bool = false) -> [String] {
        guard case .placed(let decisions, let isPod) = outcome else {
            if case .note(let text) = outcome { return ["placement: \(text)"] }
            return []
        }
        var lines = [summary(decisions, isPod: isPod)]
        if explain {
            for (index, decision) in decisions.enumerated() {
                lines += replicaLines(decision, label: isPod ? "pod" : "replica \(index + 1)", isPod: isPod)
            }
            return lines
        }
        if isPod { return lines }
        // Replicas that fail for the same reason one after another share a line.
        var start = 0
        while start < decisions.count {
            guard decisions[start].node == nil else {
                start += 1
                continue
            }
            let message = decisions[start].message
            var end = start
            while end + 1 < decisions.count && decisions[end + 1].node == nil && decisions[end + 1].message == message {
                end += 1
            }
            let which = start == end ? "replica \(start + 1)" : "replicas \(start + 1)-\(end + 1)"
            lines.append("\(which): \(message)")
            start = end + 1
        }
        return lines
    }

    private static func summary(_ decisions: [Decision], isPod: Bool) -> String {
        if isPod, let decision = decisions.first {
            if let node = decision.node { return "placement: pod -> \(node)" }
            return "placement: pod unschedulable: \(decision.message)"
        }
        if decisions.isEmpty { return "placement: 0 replicas" }
        var perNode: [String: Int] = [:]
        for node in decisions.compactMap(\.node) { perNode[node, default: 0] += 1 }
        var parts = perNode.keys.sorted { $0.compare($1, options: .numeric) == .orderedAscending }
            .map { "\($0) (\(perNode[$0]!))" }
        let unschedulable = decisions.count - decisions.compactMap(\.node).count
        if unschedulable > 0 { parts.append("\(unschedulable) unschedulable") }
        return "placement: \(count(decisions.count)) -> " + parts.joined(separator: ", ")
    }

    /// `replica 1 -> node-2: score 394 = LeastAllocated 96 + ...`, then every other node indented.
    /// An unschedulable Pod's message is already in its summary, so only the nodes follow.
    private static func replicaLines(_ decision: Decision, label: String, isPod: Bool) -> [String] {
        let ordered = decision.orderedNodes
        var lines: [String] = []
        var others = ordered[...]
        if let node = decision.node, let chosen = ordered.first, chosen.node == node {
            lines.append("\(label) -> \(node): \(describe(chosen))")
            others = ordered.dropFirst()
        } else if let node = decision.node {
            lines.append("\(label) -> \(node)")
        } else if !isPod {
            lines.append("\(label): \(decision.message)")
        }
        for outcome in others { lines.append("  \(outcome.node): \(describe(outcome))") }
        return lines
    }

    private static func describe(_ outcome: NodeOutcome) -> String {
        if let filter = outcome.filter {
            return "rejected by \(filter): " + outcome.reasons.joined(separator: ", ")
        }
        let terms = outcome.scores.map { "\($0.name) \($0.value)" }.joined(separator: " + ")
        return "score \(outcome.total) = " + (terms.isEmpty ? "no scores" : terms)
    }

    private static func count(_ replicas: Int) -> String {
        replicas == 1 ? "1 replica" : "\(replicas) replicas"
    }

    // MARK: Reading objects

    private static func controllerUID(of object: KubeObject) -> String? {
        for reference in object.ownerReferences where reference["controller"]?.boolValue == true {
            if let uid = reference["uid"]?.stringValue, !uid.isEmpty { return uid }
        }
        return nil
    }

    private static func nodeName(_ spec: JSONValue?) -> String? {
        guard let name = spec?["nodeName"]?.stringValue, !name.isEmpty else { return nil }
        return name
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String] {
        (value?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// A pod template without the `pod-template-hash` label the Deployment controller adds.
    private static func withoutHashLabel(_ template: JSONValue) -> JSONValue {
        var copy = template
        guard var labels = copy["metadata"]?["labels"]?.objectValue, labels["pod-template-hash"] != nil else {
            return template
        }
        labels["pod-template-hash"] = nil
        copy["metadata"]?["labels"] = labels.isEmpty ? nil : .object(labels)
        return copy
    }
}

/// The placement preview of one `kctl apply --dry-run=server`: lists the cluster once, at the first
/// workload, and keeps one `PlacementPreview` for every document after it.
struct PlacementSession {
    let client: KubeClient
    let explain: Bool
    private var preview: PlacementPreview?
    private var loadError: String?

    init(client: KubeClient, explain: Bool) {
        self.client = client
        self.explain = explain
    }

    /// The indented lines to print under `applied`'s line; none for kinds that are not placed.
    mutating func lines(for applied: KctlCommand.Apply.Applied) async -> [String] {
        guard PlacementPreview.kinds.contains(applied.object.kind) else { return [] }
        if preview == nil && loadError == nil {
            do {
                preview = try await PlacementPreview.load(client: client)
            } catch let error as StatusError {
                loadError = error.message
            } catch {
                loadError = "\(error)"
            }
        }
        guard preview != nil else { return ["  placement: not previewed: \(loadError ?? "")"] }
        let outcome = preview!.place(applied.object, live: applied.live, recordNodes: explain)
        return PlacementPreview.lines(outcome, explain: explain).map { "  " + $0 }
    }
}
