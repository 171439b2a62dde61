import Foundation

extension AgentBench {
    /// One table per figure: kctld, the reference measured in the same run (or a goal, or a
    /// quoted figure, named as such), and their ratio.
    func report(kctld k: Figures, supervisord s: Figures, bare: [Double]) -> String {
        func p(_ values: [Double], _ q: Double) -> Double { Workload.percentile(values, q) }
        let n = processes
        var heal = ComparisonTable()
        heal.add("kill -9 to replacement running, p50 ms (\(n) kills)", p(k.heal, 50), "supervisord p50, ms", p(s.heal, 50))
        heal.add("kill -9 to replacement running, p99 ms", p(k.heal, 99), "supervisord p99, ms", p(s.heal, 99))
        heal.add("kill -9 to replacement running, p99 ms", p(k.heal, 99), "issue goal, ms", 50)
        heal.add("kill -9 to replacement running, p50 ms", p(k.heal, 50), "the program alone, spawn to running, p50 ms", p(bare, 50))

        var idle = ComparisonTable()
        idle.add("CPU, % of a core (\(n) idle processes, \(idleSeconds) s)", k.idleCorePercent, "supervisord, % of a core", s.idleCorePercent)
        idle.add("CPU, % of a core", k.idleCorePercent, "issue goal, % of a core", 1)
        idle.add("RSS, MiB", k.idleRSSMiB, "supervisord RSS, MiB", s.idleRSSMiB)

        var start = ComparisonTable()
        start.add("create to process running, p50 ms (\(n) pods, one at a time)", p(k.createToRunning, 50), "supervisord startProcess to running, p50 ms", p(s.createToRunning, 50))
        start.add("create to process running, p99 ms", p(k.createToRunning, 99), "supervisord startProcess to running, p99 ms", p(s.createToRunning, 99))
        start.add("create to process running, p50 ms", p(k.createToRunning, 50), "the program alone, spawn to running, p50 ms", p(bare, 50))
        start.add("create to bound (scheduled) in the watch, p50 ms", p(k.createToBound, 50), "create to process running, p50 ms", p(k.createToRunning, 50))
        start.add("create to Ready in the watch, p50 ms", p(k.createToReady, 50), "create to process running, p50 ms", p(k.createToRunning, 50))
        start.add("create to Ready in the watch, p99 ms", p(k.createToReady, 99), "issue goal, ms", 200)
        start.add("create to Ready in the watch, p99 ms", p(k.createToReady, 99), "Kubernetes SLO, ms (quoted)", 5000)

        var out = "Auto-heal (restartPolicy Always, first restart: \(n) processes, each killed once)\n\n" + heal.render()
        out += String(format: "\nsupervisord p99 / kctld p99: %.0fx (goal: 10x or more)\n", p(s.heal, 99) / p(k.heal, 99))
        out += "\nIdle cost\n\n" + idle.render()
        out += "\nPod start-up\n\n" + start.render()
        if k.stray + s.stray > 0 {
            out += "\nprocesses left after SIGTERM to their supervisor (killed by the benchmark): kctld \(k.stray), supervisord \(s.stray)\n"
        }
        return out
    }

}

/// Rows of our figure, a reference and the ratio, like `ResultTable`, with the ratio to three
/// significant digits: auto-heal ratios are far below 0.01.
struct ComparisonTable {
    private var rows: [(name: String, value: Double, reference: String, referenceValue: Double)] = []

    mutating func add(_ name: String, _ value: Double, _ reference: String, _ referenceValue: Double) {
        rows.append((name, value, reference, referenceValue))
    }

    func render() -> String {
        var out = "| measure | kctld | reference | reference value | ratio |\n|---|---:|---|---:|---:|\n"
        for row in rows {
            let ratio = row.value / row.referenceValue
            out += "| \(row.name) | \(Self.format(row.value)) | \(row.reference) | \(Self.format(row.referenceValue)) | \(ratio.isFinite ? String(format: "%.3g", ratio) : "-") |\n"
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if !value.isFinite { return "-" }
        return value >= 100 ? String(format: "%.0f", value) : String(format: "%.2f", value)
    }
}
