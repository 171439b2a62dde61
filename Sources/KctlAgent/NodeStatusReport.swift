import KctlModel

/// The status a healthy node agent reports for its Node: pure functions over the Node's JSON.
///
/// The agent owns the `Ready` condition while it runs (True, `KubeletReady`) and the pressure
/// conditions (False); it fills in an InternalIP and `nodeInfo` when the Node came without them
/// (a manifest with only capacity). It never touches capacity, labels or taints.
enum NodeStatusReport {
    static let readyReason = "KubeletReady"
    static let readyMessage = "kctl agent is posting ready status"

    /// The conditions a healthy agent reports, as (type, status, reason, message).
    static let reported: [(type: String, status: String, reason: String, message: String)] = [
        ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ("Ready", "True", readyReason, readyMessage),
    ]

    /// Whether `status` says something other than what the agent reports (ignoring heartbeat times).
    static func needsUpdate(_ status: JSONValue?, nodeName: String) -> Bool {
        let current = status ?? .object([:])
        return reportedStatus(current, nodeName: nodeName, now: "", refreshHeartbeat: false) != nil
    }

    /// The new status of the Node, or nil when `status` already says everything and no heartbeat
    /// refresh is asked for. `now` stamps `lastHeartbeatTime` of every reported condition (on a
    /// refresh or a change) and `lastTransitionTime` of a condition whose status changes.
    static func reportedStatus(_ status: JSONValue?, nodeName: String, now: String, refreshHeartbeat: Bool)
        -> JSONValue?
    {
        var object = status?.objectValue ?? [:]
        var changed = false

        var conditions = decodeConditions(object["conditions"])
        for wanted in reported {
            if let index = conditions.firstIndex(where: { $0.type == wanted.type }) {
                var condition = conditions[index]
                if condition.status != wanted.status {
                    condition.lastTransitionTime = now
                }
                if condition.status != wanted.status || condition.reason != wanted.reason
                    || condition.message != wanted.message
                {
                    condition.status = wanted.status
                    condition.reason = wanted.reason
                    condition.message = wanted.message
                    changed = true
                }
                conditions[index] = condition
            } else {
                conditions.append(
                    NodeCondition(
                        type: wanted.type, status: wanted.status, lastHeartbeatTime: now, lastTransitionTime: now,
                        reason: wanted.reason, message: wanted.message))
                changed = true
            }
        }

        var addresses = object["addresses"]?.arrayValue ?? []
        if !addresses.contains(where: { $0["type"]?.stringValue == "InternalIP" }) {
            addresses.insert(
                ["type": "InternalIP", "address": .string(SimulatedNodes.address(forNodeNamed: nodeName))], at: 0)
            object["addresses"] = .array(addresses)
            changed = true
        }
        if object["nodeInfo"]?.objectValue?["kubeletVersion"] == nil {
            var info = SimulatedNodes.nodeInfo.objectValue ?? [:]
            for (key, value) in object["nodeInfo"]?.objectValue ?? [:] { info[key] = value }
            object["nodeInfo"] = .object(info)
            changed = true
        }

        guard changed || refreshHeartbeat else { return nil }
        let ownTypes = Set(reported.map(\.type))
        for index in conditions.indices where ownTypes.contains(conditions[index].type) {
            conditions[index].lastHeartbeatTime = now
        }
        object["conditions"] = .array(conditions.compactMap { try? JSONValue(encoding: $0) })
        return .object(object)
    }

    /// The `Ready` condition of a Node's status, if any.
    static func readyCondition(_ status: JSONValue?) -> NodeCondition? {
        decodeConditions(status?["conditions"]).first { $0.type == "Ready" }
    }

    static func decodeConditions(_ value: JSONValue?) -> [NodeCondition] {
        (value?.arrayValue ?? []).compactMap { try? $0.decode(NodeCondition.self) }
    }

    /// The Node's InternalIP, or the address an agent would give it.
    static func internalIP(of node: KubeObject) -> String {
        for address in node.status?["addresses"]?.arrayValue ?? []
        where address["type"]?.stringValue == "InternalIP" {
            if let ip = address["address"]?.stringValue, !ip.isEmpty { return ip }
        }
        return SimulatedNodes.address(forNodeNamed: node.name)
    }
}
