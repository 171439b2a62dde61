import KctlModel

/// The decision as the compact JSON the scheduler keeps on the pod (annotation `kctl.dev/scheduling`),
/// so `kctl explain pod` can say why a pod is pending or why it is on its node for as long as the pod
/// lives. Keys are sorted by the serializer:
///
///     {"feasible":2,"message":"Successfully assigned default/web-1 to node-2","node":"node-2",
///      "nodeCount":3,"nodes":[
///        {"name":"node-2","scores":{"BalancedAllocation":97,"LeastAllocated":88,"NodeSpread":100},"total":285},
///        {"name":"node-3","scores":{...},"total":270},
///        {"filter":"NodeResourcesFit","name":"node-1","reasons":["Insufficient cpu"]}],
///      "pod":"default/web-1","reasons":{},"time":"2025-01-01T10:00:00Z"}
///
/// `nodes` lists the chosen node first, then feasible nodes by total (highest first), then filtered
/// nodes by name; beyond `maxNodes` entries the rest are only counted in `omitted`. `node` is absent
/// when the pod could not be placed; `reasons` counts nodes per Kubernetes reason.
extension Decision {
    public static let annotationKey = "kctl.dev/scheduling"

    /// The decision as compact JSON for the annotation.
    public func annotation(time: String, maxNodes: Int = 100) -> String {
        annotationValue(time: time, maxNodes: maxNodes).serializedString()
    }

    public func annotationValue(time: String, maxNodes: Int = 100) -> JSONValue {
        let ordered = orderedNodes
        var entries: [JSONValue] = []
        for outcome in ordered.prefix(maxNodes) {
            var entry: [String: JSONValue] = ["name": .string(outcome.node)]
            if let filter = outcome.filter {
                entry["filter"] = .string(filter)
                entry["reasons"] = .array(outcome.reasons.map { .string($0) })
            } else {
                entry["scores"] = .object(
                    Dictionary(outcome.scores.map { ($0.name, JSONValue.int(Int64($0.value))) }, uniquingKeysWith: { a, _ in a }))
                entry["total"] = .int(Int64(outcome.total))
            }
            entries.append(.object(entry))
        }
        var object: [String: JSONValue] = [
            "pod": .string(pod),
            "time": .string(time),
            "message": .string(message),
            "nodeCount": .int(Int64(nodeCount)),
            "feasible": .int(Int64(feasibleCount)),
            "reasons": .object(reasonCounts.mapValues { .int(Int64($0)) }),
            "nodes": .array(entries),
        ]
        if let node { object["node"] = .string(node) }
        if ordered.count > maxNodes { object["omitted"] = .int(Int64(ordered.count - maxNodes)) }
        return .object(object)
    }

    /// Chosen node, then feasible nodes by total (highest first, then name), then filtered nodes by name.
    public var orderedNodes: [NodeOutcome] {
        nodes.sorted { a, b in
            let aChosen = a.node == node, bChosen = b.node == node
            if aChosen != bChosen { return aChosen }
            if a.isFeasible != b.isFeasible { return a.isFeasible }
            if a.isFeasible && a.total != b.total { return a.total > b.total }
            return a.node < b.node
        }
    }
}
