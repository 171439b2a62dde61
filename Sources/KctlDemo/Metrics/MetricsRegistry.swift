import Foundation

/// The counters and gauges a role exposes on `/metrics`, rendered in the Prometheus text format
/// (what the HPA's scraper and `prometheus.io/*` annotations expect). Hand-rolled rather than
/// swift-metrics: a role owns one registry, so tests can run several roles in one process
/// without a global metrics backend.
public final class MetricsRegistry: Sendable {
    enum Kind: String, Sendable { case counter, gauge }

    private struct Family {
        var help: String
        var kind: Kind
        /// Rendered label set (`code="200"`) to value.
        var samples: [String: Double] = [:]
        var compute: (@Sendable () -> Double)?
    }

    private let families = Locked<[String: Family]>([:])
    private let order = Locked<[String]>([])

    public init() {}

    /// Declares a family so it shows (with HELP and TYPE) before its first sample.
    func declare(_ name: String, _ kind: Kind, help: String) {
        families.withLock { families in
            guard families[name] == nil else { return }
            families[name] = Family(help: help, kind: kind)
            order.withLock { $0.append(name) }
        }
    }

    /// A gauge computed when scraped (queue depth, messages per second).
    func gauge(_ name: String, help: String, _ compute: @escaping @Sendable () -> Double) {
        declare(name, .gauge, help: help)
        families.withLock { $0[name]?.compute = compute }
    }

    func increment(_ name: String, labels: [(String, String)] = [], by amount: Double = 1) {
        let key = Self.render(labels)
        families.withLock { families in
            guard families[name] != nil else { return }
            families[name]?.samples[key, default: 0] += amount
        }
    }

    func set(_ name: String, labels: [(String, String)] = [], _ value: Double) {
        let key = Self.render(labels)
        families.withLock { $0[name]?.samples[key] = value }
    }

    /// The value of one sample (tests and health checks).
    func value(_ name: String, labels: [(String, String)] = []) -> Double? {
        let family = families.withLock { $0[name] }
        if let compute = family?.compute { return compute() }
        return family?.samples[Self.render(labels)]
    }

    /// The whole exposition, families in declaration order, samples sorted by labels.
    public func render() -> String {
        let names = order.current
        let snapshot = families.current
        var text = ""
        for name in names {
            guard let family = snapshot[name] else { continue }
            text += "# HELP \(name) \(family.help)\n# TYPE \(name) \(family.kind.rawValue)\n"
            if let compute = family.compute {
                text += "\(name) \(Self.format(compute()))\n"
                continue
            }
            for (labels, value) in family.samples.sorted(by: { $0.key < $1.key }) {
                text +=
                    labels.isEmpty ? "\(name) \(Self.format(value))\n" : "\(name){\(labels)} \(Self.format(value))\n"
            }
        }
        return text
    }

    static func render(_ labels: [(String, String)]) -> String {
        labels.map { name, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            return "\(name)=\"\(escaped)\""
        }.joined(separator: ",")
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}
