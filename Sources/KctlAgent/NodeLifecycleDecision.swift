import KctlModel

/// What the node lifecycle controller does to one Node: pure functions over its JSON.
///
/// A node whose heartbeats stopped gets `Ready=Unknown` (and its other agent-owned conditions
/// Unknown too, as Kubernetes does) and the `node.kubernetes.io/unreachable` taints with effects
/// NoSchedule and NoExecute; a node heard from again loses the taints, and an Unknown `Ready`
/// becomes True. A `Ready=False` written by an agent is the agent's to change: left alone.
enum NodeLifecycleDecision {
    static let unreachableTaintKey = "node.kubernetes.io/unreachable"
    static let unknownReason = "NodeStatusUnknown"
    static let unknownMessage = "Kubelet stopped posting node status."

    enum Action: Sendable, Hashable {
        case none
        /// Set the conditions Unknown (`status`) and/or add the taints (`taints`).
        case markUnreachable(status: Bool, taints: Bool)
        /// Remove the taints and/or turn an Unknown Ready into True.
        case markReachable(status: Bool, taints: Bool)
    }

    static func action(for node: KubeObject, fresh: Bool) -> Action {
        let ready = NodeStatusReport.readyCondition(node.status)
        let taints = unreachableTaints(in: node)
        if fresh {
            let status = ready?.status == "Unknown"
            let removeTaints = !taints.isEmpty
            return status || removeTaints ? .markReachable(status: status, taints: removeTaints) : .none
        }
        let status = ready?.status != "Unknown"
        let addTaints = !(taints.contains("NoSchedule") && taints.contains("NoExecute"))
        return status || addTaints ? .markUnreachable(status: status, taints: addTaints) : .none
    }

    /// The effects of the unreachable taints a Node carries.
    static func unreachableTaints(in node: KubeObject) -> Set<String> {
        var effects = Set<String>()
        for taint in node.spec?["taints"]?.arrayValue ?? [] where taint["key"]?.stringValue == unreachableTaintKey {
            if let effect = taint["effect"]?.stringValue { effects.insert(effect) }
        }
        return effects
    }

    /// `node` with both unreachable taints (NoExecute stamped with `timeAdded`).
    static func addingUnreachableTaints(to node: KubeObject, now: String) -> KubeObject {
        var node = node
        var spec = node.spec?.objectValue ?? [:]
        var taints = spec["taints"]?.arrayValue ?? []
        let present = unreachableTaints(in: node)
        if !present.contains("NoSchedule") {
            taints.append(["key": .string(unreachableTaintKey), "effect": "NoSchedule"])
        }
        if !present.contains("NoExecute") {
            taints.append(["key": .string(unreachableTaintKey), "effect": "NoExecute", "timeAdded": .string(now)])
        }
        spec["taints"] = .array(taints)
        node.spec = .object(spec)
        return node
    }

    /// `node` without the unreachable taints.
    static func removingUnreachableTaints(from node: KubeObject) -> KubeObject {
        var node = node
        var spec = node.spec?.objectValue ?? [:]
        let taints = (spec["taints"]?.arrayValue ?? []).filter { $0["key"]?.stringValue != unreachableTaintKey }
        spec["taints"] = taints.isEmpty ? nil : .array(taints)
        node.spec = .object(spec)
        return node
    }

    /// The status with the agent-owned conditions Unknown (`lastHeartbeatTime` kept: it says when
    /// the agent last reported), Ready added as Unknown when missing.
    static func unknownStatus(_ status: JSONValue?, now: String) -> JSONValue {
        var object = status?.objectValue ?? [:]
        var conditions = NodeStatusReport.decodeConditions(object["conditions"])
        let owned = Set(NodeStatusReport.reported.map(\.type))
        for index in conditions.indices where owned.contains(conditions[index].type) {
            if conditions[index].status != "Unknown" { conditions[index].lastTransitionTime = now }
            conditions[index].status = "Unknown"
            conditions[index].reason = unknownReason
            conditions[index].message = unknownMessage
        }
        if !conditions.contains(where: { $0.type == "Ready" }) {
            conditions.append(
                NodeCondition(
                    type: "Ready", status: "Unknown", lastHeartbeatTime: nil, lastTransitionTime: now,
                    reason: unknownReason, message: unknownMessage))
        }
        object["conditions"] = .array(conditions.compactMap { try? JSONValue(encoding: $0) })
        return .object(object)
    }

    /// The status with an Unknown Ready turned True again (the agent refreshes the rest on its
    /// next report).
    static func reachableStatus(_ status: JSONValue?, now: String) -> JSONValue {
        var object = status?.objectValue ?? [:]
        var conditions = NodeStatusReport.decodeConditions(object["conditions"])
        for index in conditions.indices where conditions[index].type == "Ready" && conditions[index].status == "Unknown" {
            conditions[index].status = "True"
            conditions[index].reason = NodeStatusReport.readyReason
            conditions[index].message = NodeStatusReport.readyMessage
            conditions[index].lastTransitionTime = now
            conditions[index].lastHeartbeatTime = now
        }
        object["conditions"] = .array(conditions.compactMap { try? JSONValue(encoding: $0) })
        return .object(object)
    }
}

/// Which pods leave a node that became unreachable, and when: pure.
///
/// As Kubernetes' taint manager: a pod that tolerates the NoExecute taint with no
/// `tolerationSeconds` stays for good; one that tolerates it for N seconds stays N seconds. Unlike
/// Kubernetes, whose admission adds a 300 s toleration to every pod, a pod with no matching
/// toleration stays `podEvictionTimeout` (default 5 min): the same default, without writing
/// tolerations into every pod.
enum TaintEviction {
    /// How long `pod` may stay on a node tainted with `taint`; nil: for ever.
    static func allowedDuration(for pod: Pod, taint: Taint, default fallback: Duration) -> Duration? {
        let matching = (pod.spec?.tolerations ?? []).filter { tolerates($0, taint) }
        guard !matching.isEmpty else { return fallback }
        if matching.contains(where: { $0.tolerationSeconds == nil }) { return nil }
        let seconds = matching.compactMap(\.tolerationSeconds).min() ?? 0
        return .seconds(max(seconds, 0))
    }

    /// Whether a toleration matches a taint (Kubernetes' rules: an empty key with `Exists` matches
    /// every taint; an empty effect matches every effect).
    static func tolerates(_ toleration: Toleration, _ taint: Taint) -> Bool {
        if let effect = toleration.effect, !effect.isEmpty, effect != taint.effect { return false }
        let op = toleration.operator ?? "Equal"
        let key = toleration.key ?? ""
        if key.isEmpty { return op == "Exists" }
        guard key == taint.key else { return false }
        if op == "Exists" { return true }
        return (toleration.value ?? "") == (taint.value ?? "")
    }
}
