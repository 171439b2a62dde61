import KctlModel

/// Human-readable lines from the `kctl.dev/scheduling` annotation, for `kctl explain pod` and
/// `kctl describe pod`:
///
///     Scheduled to node-2 at 2025-01-01T10:00:00Z: 2 of 3 nodes passed the filters.
///     node-2 (chosen): score 285 = LeastAllocated 88 + BalancedAllocation 97 + NodeSpread 100
///     node-3: score 270 = LeastAllocated 80 + BalancedAllocation 90 + NodeSpread 100
///     node-1: rejected by NodeResourcesFit: Insufficient cpu
///
/// or, for a pending pod, `Not scheduled at ...: 0/3 nodes are available: ...` followed by every node.
public enum SchedulingExplanation {
    /// Score names in pipeline order; unknown names follow alphabetically.
    static let scoreOrder = [
        LeastAllocatedScorer.name, BalancedAllocationScorer.name, NodeSpreadScorer.name, ZoneSpreadScorer.name,
        TopologySpreadScorer.name,
    ]

    public static func render(annotation: String) -> [String] {
        guard let value = try? JSONValue.parse(annotation), value.objectValue != nil else {
            return ["The scheduling record is not valid JSON: \(annotation)"]
        }
        var lines: [String] = []
        let time = value["time"]?.stringValue.map { " at \($0)" } ?? ""
        let nodeCount = value["nodeCount"]?.intValue ?? 0
        let feasible = value["feasible"]?.intValue ?? 0
        let chosen = value["node"]?.stringValue
        if let chosen {
            lines.append("Scheduled to \(chosen)\(time): \(feasible) of \(nodeCount) nodes passed the filters.")
        } else {
            lines.append("Not scheduled\(time): \(value["message"]?.stringValue ?? "no node fits")")
        }
        let scorers = (value["scores"]?.arrayValue ?? []).compactMap(\.stringValue)
        for entry in value["nodes"]?.arrayValue ?? [] {
            if let line = entry.stringValue {
                lines.append(render(line: line, scorers: scorers, chosen: chosen))
            } else {
                lines.append(render(entry: entry, chosen: chosen))
            }
        }
        if let omitted = value["omitted"]?.intValue, omitted > 0 {
            lines.append("... and \(omitted) more node(s) not recorded.")
        }
        return lines
    }

    /// One node of the current format: `name total score...` or `name Filter reasons`.
    static func render(line: String, scorers: [String], chosen: String?) -> String {
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        guard parts.count > 1, let total = Int(parts[1]) else {
            let filter = parts.count > 1 ? parts[1] : "?"
            return "\(name): rejected by \(filter): \(parts.count > 2 ? parts[2] : "")"
        }
        let values = parts.count > 2 ? parts[2].split(separator: " ").map(String.init) : []
        let scores = zip(scorers, values).compactMap { name, value in Int(value).map { (name, $0) } }
        return scoredLine(name: name, total: total, scores: scores, chosen: chosen)
    }

    /// One node of the first format: an object with `name` and `filter`/`reasons` or `scores`/`total`.
    static func render(entry: JSONValue, chosen: String?) -> String {
        let name = entry["name"]?.stringValue ?? "?"
        if let filter = entry["filter"]?.stringValue {
            let reasons = (entry["reasons"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
            return "\(name): rejected by \(filter): \(reasons)"
        }
        let scores = (entry["scores"]?.objectValue ?? [:]).compactMap { key, value in value.intValue.map { (key, Int($0)) } }
        return scoredLine(name: name, total: Int(entry["total"]?.intValue ?? 0), scores: scores, chosen: chosen)
    }

    /// `node-2 (chosen): score 285 = LeastAllocated 88 + BalancedAllocation 97 + NodeSpread 100`.
    static func scoredLine(name: String, total: Int, scores: [(String, Int)], chosen: String?) -> String {
        let text = scores.sorted { a, b in
            let ia = scoreOrder.firstIndex(of: a.0) ?? scoreOrder.count
            let ib = scoreOrder.firstIndex(of: b.0) ?? scoreOrder.count
            return ia != ib ? ia < ib : a.0 < b.0
        }
        .map { "\($0.0) \($0.1)" }
        .joined(separator: " + ")
        let marker = name == chosen ? " (chosen)" : ""
        return "\(name)\(marker): score \(total) = \(text.isEmpty ? "no scores" : text)"
    }
}
