import KctlModel

/// The decision as the compact JSON the scheduler keeps with the pod (its attachment `scheduling`,
/// served as `GET pods/NAME/scheduling`), so `kctl explain pod` can say why a pod is pending or why
/// it is on its node for as long as the pod lives. Keys are sorted by the serializer:
///
///     {"feasible":2,"message":"Successfully assigned default/web-1 to node-2","node":"node-2",
///      "nodeCount":3,"nodes":["node-2 285 88 97 100","node-3 270 80 90 100",
///        "node-1 NodeResourcesFit Insufficient cpu"],
///      "pod":"default/web-1","reasons":{},"scores":["LeastAllocated","BalancedAllocation","NodeSpread"],
///      "time":"2025-01-01T10:00:00Z","v":2}
///
/// Each entry of `nodes` is one line: a feasible node's name, total and its scores in the order of
/// `scores` (`-` for a score it did not get); or a filtered node's name, the filter that rejected
/// it and the reasons (joined by ", "). Node and filter names hold no spaces, so the line splits
/// unambiguously. One line per node rather than an object keeps the record small (a hundred nodes
/// as objects made it ten times the pod's own size).
///
/// `nodes` lists the chosen node first, then feasible nodes by total (highest first), then filtered
/// nodes by name; beyond `maxNodes` entries the rest are only counted in `omitted`. `node` is absent
/// when the pod could not be placed; `reasons` counts nodes per Kubernetes reason. `v` is 2; the
/// first format (one object per node, no `v`) is still rendered.
extension Decision {
    /// Where kctl before the attachment kept the record: in the pod, as this annotation. Pods
    /// stored then still have it; the scheduler removes it when it decides for the pod again.
    public static let annotationKey = "kctl.dev/scheduling"

    /// The version of the record's format.
    public static let annotationVersion = 2

    /// The decision as compact JSON for the record, written straight as bytes: a hundred
    /// lines per pod made into strings, a tree and then text cost more than scheduling the pod.
    /// (The tests check it against the record built as a `JSONValue` and serialized.)
    public func record(time: String, maxNodes: Int = 100) -> String {
        String(decoding: recordBytes(time: time, maxNodes: maxNodes), as: UTF8.self)
    }

    /// `record(time:maxNodes:)` as UTF-8, as the store keeps it.
    public func recordBytes(time: String, maxNodes: Int = 100) -> [UInt8] {
        let recorded = orderedNodes(limit: maxNodes)
        let scorers = Self.scorers(of: recorded)
        var out: [UInt8] = []
        out.reserveCapacity(256 + recorded.count * 32)
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        func number(_ value: Int) { out.appendDecimal(value) }
        // Keys in sorted order, as the serializer writes them.
        key("feasible")
        number(feasibleCount)
        key("message")
        JSONValue.appendQuoted(message, to: &out)
        if let node {
            key("node")
            JSONValue.appendQuoted(node, to: &out)
        }
        key("nodeCount")
        number(nodeCount)
        key("nodes")
        out.append(UInt8(ascii: "["))
        for (index, outcome) in recorded.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            let start = out.count
            Self.writeLine(outcome, scorers: scorers, to: &out)
            JSONValue.closeQuoted(from: start, in: &out)
        }
        out.append(UInt8(ascii: "]"))
        if nodes.count > recorded.count {
            key("omitted")
            number(nodes.count - recorded.count)
        }
        key("pod")
        JSONValue.appendQuoted(pod, to: &out)
        key("reasons")
        out.append(UInt8(ascii: "{"))
        for (index, reason) in reasonCounts.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.appendQuoted(reason.key, to: &out)
            out.append(UInt8(ascii: ":"))
            number(reason.value)
        }
        out.append(UInt8(ascii: "}"))
        key("scores")
        out.append(UInt8(ascii: "["))
        for (index, name) in scorers.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.appendQuoted(name, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        key("time")
        JSONValue.appendQuoted(time, to: &out)
        key("v")
        number(Self.annotationVersion)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The scores named in the record, in order of first appearance among its feasible nodes.
    static func scorers(of recorded: [NodeOutcome]) -> [String] {
        var scorers: [String] = []
        for outcome in recorded where outcome.isFeasible {
            // Nearly every feasible node has the scores of the one before, in the same order.
            if outcome.scores.count == scorers.count,
                outcome.scores.indices.allSatisfy({ outcome.scores[$0].name == scorers[$0] })
            {
                continue
            }
            for score in outcome.scores where !scorers.contains(score.name) { scorers.append(score.name) }
        }
        return scorers
    }

    /// `name total score...` for a feasible node, `name Filter reasons` for a filtered one.
    static func line(_ outcome: NodeOutcome, scorers: [String]) -> String {
        var bytes: [UInt8] = []
        writeLine(outcome, scorers: scorers, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `line`, appended as UTF-8.
    static func writeLine(_ outcome: NodeOutcome, scorers: [String], to bytes: inout [UInt8]) {
        bytes.append(contentsOf: outcome.node.utf8)
        bytes.append(UInt8(ascii: " "))
        if let filter = outcome.filter {
            bytes.append(contentsOf: filter.utf8)
            for (index, reason) in outcome.reasons.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(UInt8(ascii: " "))
                bytes.append(contentsOf: reason.utf8)
            }
            return
        }
        bytes.appendDecimal(outcome.total)
        for (index, name) in scorers.enumerated() {
            bytes.append(UInt8(ascii: " "))
            // Scores come in pipeline order, which is nearly always the scorers' order.
            let score =
                index < outcome.scores.count && outcome.scores[index].name == name
                ? outcome.scores[index] : outcome.scores.first { $0.name == name }
            if let score {
                bytes.appendDecimal(score.value)
            } else {
                bytes.append(UInt8(ascii: "-"))
            }
        }
    }

    /// Chosen node, then feasible nodes by total (highest first, then name), then filtered nodes by name.
    public var orderedNodes: [NodeOutcome] {
        nodes.sorted(by: Self.precedes(chosen: node))
    }

    /// The first `limit` of `orderedNodes`, without sorting every node: with thousands of nodes
    /// and a record of a hundred, sorting them all for every pod cost more than deciding.
    public func orderedNodes(limit: Int) -> [NodeOutcome] {
        guard limit > 0 else { return [] }
        let precedes = Self.precedes(chosen: node)
        guard nodes.count > 2 * limit else { return Array(sortedByPrecedence().prefix(limit)) }
        // Keep the best `limit` seen so far, sorted; a node that does not beat the last is dropped at once.
        var best: [NodeOutcome] = []
        best.reserveCapacity(limit + 1)
        for outcome in nodes {
            if best.count == limit, !precedes(outcome, best[limit - 1]) { continue }
            var low = 0
            var high = best.count
            while low < high {
                let middle = (low + high) / 2
                if precedes(best[middle], outcome) { low = middle + 1 } else { high = middle }
            }
            best.insert(outcome, at: low)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    /// `nodes` in the order of `precedes(chosen:)`, sorting positions by precomputed ranks and
    /// totals (the outcomes themselves are moved once, and names compared only on a tie).
    private func sortedByPrecedence() -> [NodeOutcome] {
        struct Position {
            var index: Int
            /// 0 chosen, 1 feasible, 2 filtered.
            var rank: Int
            /// Negated total for feasible nodes (highest first), 0 for the others.
            var order: Int
        }
        var positions: [Position] = []
        positions.reserveCapacity(nodes.count)
        for (index, outcome) in nodes.enumerated() {
            let rank = outcome.node == node ? 0 : outcome.isFeasible ? 1 : 2
            positions.append(Position(index: index, rank: rank, order: rank == 1 ? -outcome.total : 0))
        }
        nodes.withUnsafeBufferPointer { outcomes in
            positions.sort { a, b in
                if a.rank != b.rank { return a.rank < b.rank }
                if a.order != b.order { return a.order < b.order }
                return outcomes[a.index].node < outcomes[b.index].node
            }
        }
        return positions.map { nodes[$0.index] }
    }

    /// The order of `orderedNodes`.
    static func precedes(chosen: String?) -> (NodeOutcome, NodeOutcome) -> Bool {
        { a, b in
            let aChosen = a.node == chosen, bChosen = b.node == chosen
            if aChosen != bChosen { return aChosen }
            if a.isFeasible != b.isFeasible { return a.isFeasible }
            if a.isFeasible && a.total != b.total { return a.total > b.total }
            return a.node < b.node
        }
    }
}
