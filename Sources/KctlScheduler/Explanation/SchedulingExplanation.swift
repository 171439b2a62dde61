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
        for entry in value["nodes"]?.arrayValue ?? [] {
            let name = entry["name"]?.stringValue ?? "?"
            if let filter = entry["filter"]?.stringValue {
                let reasons = (entry["reasons"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
                lines.append("\(name): rejected by \(filter): \(reasons)")
            } else {
                let scores = (entry["scores"]?.objectValue ?? [:]).compactMap { key, value in
                    value.intValue.map { (key, $0) }
                }
                .sorted { a, b in
                    let ia = scoreOrder.firstIndex(of: a.0) ?? scoreOrder.count
                    let ib = scoreOrder.firstIndex(of: b.0) ?? scoreOrder.count
                    return ia != ib ? ia < ib : a.0 < b.0
                }
                .map { "\($0.0) \($0.1)" }
                .joined(separator: " + ")
                let total = entry["total"]?.intValue ?? 0
                let marker = name == chosen ? " (chosen)" : ""
                lines.append("\(name)\(marker): score \(total) = \(scores.isEmpty ? "no scores" : scores)")
            }
        }
        if let omitted = value["omitted"]?.intValue, omitted > 0 {
            lines.append("... and \(omitted) more node(s) not recorded.")
        }
        return lines
    }
}
