import KctlStore
import Metrics
import Prometheus

/// The Prometheus side of the swift-metrics every part reports through: one registry per process,
/// bootstrapped once (tests run several daemons in one process), served at `/metrics` with the
/// store's gauges read at scrape time.
enum MetricsExport {
    static let registry = PrometheusCollectorRegistry()

    /// Installs the Prometheus backend for swift-metrics, once per process.
    static let bootstrapped: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()

    private static let revision = registry.makeGauge(
        descriptor: MetricNameDescriptor(
            namespace: "kctl", subsystem: "store", metricName: "revision", unitName: "", helpText: "The store's newest revision."))
    private static let watchers = registry.makeGauge(
        descriptor: MetricNameDescriptor(
            namespace: "kctl", subsystem: "store", metricName: "watchers", unitName: "", helpText: "Open store watches."))

    static func text(store: SQLiteStore) async -> String {
        if let current = try? await store.currentRevision() { revision.set(Double(current)) }
        watchers.set(Double(store.watcherCount))
        return registry.emitToString()
    }
}
