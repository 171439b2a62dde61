import Metrics

/// Store operations by kind, through swift-metrics (kctld serves them at `/metrics`). The counters
/// are atomics: cheap enough for every call.
enum StoreMetrics {
    enum Operation: String, CaseIterable {
        case create, get, list, update, delete
    }

    private static let counters: [Operation: Counter] = Dictionary(
        uniqueKeysWithValues: Operation.allCases.map {
            ($0, Counter(label: "kctl_store_operations_total", dimensions: [("operation", $0.rawValue)]))
        })

    static func operation(_ op: Operation) {
        counters[op]?.increment()
    }
}
