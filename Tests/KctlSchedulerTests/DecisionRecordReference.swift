import KctlModel

@testable import KctlScheduler

// The decision record built as a JSONValue and serialized, the way it was written before
// `Decision.annotation` wrote its bytes straight: the reference BindingTests compares those
// bytes with.
extension Decision {
    func annotationValue(time: String, maxNodes: Int = 100) -> JSONValue {
        let recorded = orderedNodes(limit: maxNodes)
        let scorers = Self.scorers(of: recorded)
        var entries: [JSONValue] = []
        entries.reserveCapacity(recorded.count)
        for outcome in recorded {
            entries.append(.string(Self.line(outcome, scorers: scorers)))
        }
        var object: [String: JSONValue] = [
            "v": .int(Int64(Self.annotationVersion)),
            "pod": .string(pod),
            "time": .string(time),
            "message": .string(message),
            "nodeCount": .int(Int64(nodeCount)),
            "feasible": .int(Int64(feasibleCount)),
            "reasons": .object(reasonCounts.mapValues { .int(Int64($0)) }),
            "scores": .array(scorers.map { .string($0) }),
            "nodes": .array(entries),
        ]
        if let node { object["node"] = .string(node) }
        if nodes.count > recorded.count { object["omitted"] = .int(Int64(nodes.count - recorded.count)) }
        return .object(object)
    }
}
