import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl metrics`: what the HPA sees (the latest sample of every series kctld's metrics
    /// pipeline holds), and `kctl metrics push` to record samples by hand for demos and tests.
    struct Metrics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the metric samples the autoscaler sees, or push one.",
            subcommands: [List.self, Push.self], defaultSubcommand: List.self)
    }
}

extension KctlCommand.Metrics {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "The latest sample of every metric series (Pods, External and Resource).",
            discussion: """
                Only samples recent enough for the HPA to use are listed.

                Examples:
                  kctl metrics
                  kctl metrics queue_depth -n shop
                  kctl metrics -A
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Only this metric.")
        var name: String?

        @Flag(name: .customLong("no-headers"), help: "Leave out the header line.")
        var noHeaders = false

        func run() async throws {
            let io = CommandIO.current
            let withNamespace = global.allNamespaces
            let items = try await global.withClient { client in
                try await client.metricSamples(namespace: global.listNamespace)
            }.filter { name == nil || $0.name == name }
            guard !items.isEmpty else {
                io.err(
                    withNamespace
                        ? "No metric samples found" : "No metric samples found in \(global.effectiveNamespace) namespace.")
                return
            }
            let now = Date()
            var rows: [[String]] = []
            if !noHeaders {
                rows.append((withNamespace ? ["NAMESPACE"] : []) + ["NAME", "TYPE", "TARGET", "VALUE", "AGE", "SOURCE"])
            }
            for item in items.sorted(by: MetricRows.order) {
                rows.append(
                    (withNamespace ? [item.namespace] : []) + [
                        item.name, item.kind, MetricRows.target(item), MetricRows.value(item),
                        item.timestamp.map { Age.format(now.timeIntervalSince($0)) } ?? "<unknown>", item.source,
                    ])
            }
            io.out(lines: Printers.table(rows))
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Record a metric sample: for a pod, for the pods a selector matches, or as an External series.",
            discussion: """
                Examples:
                  kctl metrics push queue_depth 12 --label service=queue -n shop
                  kctl metrics push messages_per_second 45 --selector app=chat,component=messages
                  kctl metrics push messages_per_second 30 --pod messages-7d9f-x2k4q
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The metric's name, e.g. queue_depth.")
        var name: String

        @Argument(help: "The value: a number or a quantity such as 1500m.")
        var value: String

        @Option(help: "Record it as a Pods metric of this pod.")
        var pod: String?

        @Option(name: [.customShort("l"), .long], help: "Record it as a Pods metric of every pod this label selector matches.")
        var selector: String?

        @Option(name: .customLong("label"), help: "A label of the series, KEY=VALUE (repeatable).")
        var labels: [String] = []

        func validate() throws {
            if pod != nil && selector != nil {
                throw ValidationError("--pod and --selector cannot be used together")
            }
            if MetricValueText.parse(value) == nil {
                throw ValidationError("invalid value \"\(value)\": expected a number or a quantity such as 1500m")
            }
            _ = try labelMap()
        }

        func labelMap() throws -> [String: String] {
            var map: [String: String] = [:]
            for label in labels {
                let parts = label.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty else {
                    throw ValidationError("invalid label \"\(label)\": expected KEY=VALUE")
                }
                map[String(parts[0])] = String(parts[1])
            }
            return map
        }

        func run() async throws {
            let io = CommandIO.current
            let number = MetricValueText.parse(value) ?? 0
            let labels = try labelMap()
            let recorded = try await global.withClient { client in
                try await client.pushMetricSample(
                    namespace: global.effectiveNamespace, name: name, value: number, pod: pod, selector: selector,
                    labels: labels)
            }
            io.out("sample \(name)=\(MetricValueText.format(number)) recorded (\(MetricRows.recordedTarget(recorded)))")
        }
    }
}

/// How `kctl metrics` writes values and targets.
enum MetricRows {
    static func order(_ a: MetricSampleItem, _ b: MetricSampleItem) -> Bool {
        [a.namespace, a.name, a.kind, target(a)].lexicographicallyPrecedes([b.namespace, b.name, b.kind, target(b)])
    }

    /// `pod/NAME` (with the series' labels when it has some), or an External series' labels.
    static func target(_ item: MetricSampleItem) -> String {
        let labels = labelText(item.labels)
        if let pod = item.pod { return labels.isEmpty ? "pod/\(pod)" : "pod/\(pod) \(labels)" }
        return labels.isEmpty ? "<none>" : labels
    }

    /// Resource values as `kctl top` shows them (millicores, MiB); the others as numbers.
    static func value(_ item: MetricSampleItem) -> String {
        guard item.kind == "Resource" else { return MetricValueText.format(item.value) }
        switch item.name {
        case "cpu": return "\(Int((item.value * 1000).rounded()))m"
        case "memory": return "\(Int((item.value / 1_048_576).rounded()))Mi"
        default: return MetricValueText.format(item.value)
        }
    }

    /// `external, service=queue` / `pod web-1` / `pods a, b`.
    static func recordedTarget(_ items: [MetricSampleItem]) -> String {
        let labels = labelText(items.first?.labels ?? [:])
        let pods = items.compactMap(\.pod)
        var text: String
        if pods.isEmpty {
            text = "external"
        } else {
            text = (pods.count == 1 ? "pod " : "pods ") + pods.joined(separator: ", ")
        }
        if !labels.isEmpty { text += ", " + labels }
        return text
    }

    static func labelText(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }
}

/// Metric values on the command line: numbers or Kubernetes quantities in, plain numbers out.
enum MetricValueText {
    static func parse(_ text: String) -> Double? {
        if let number = Double(text), number.isFinite { return number }
        return (try? Quantity(text))?.doubleValue
    }

    /// Whole numbers without a fraction (`12`), others with at most three decimals (`3.333`).
    static func format(_ value: Double) -> String {
        if value.rounded() == value && abs(value) < 1e15 { return String(Int64(value)) }
        if abs(value) >= 0.001 {
            var text = String(format: "%.3f", value)
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
        return String(format: "%g", value)
    }
}
