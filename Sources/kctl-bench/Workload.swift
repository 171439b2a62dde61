import Foundation
import KctlModel

/// The objects the benchmark writes: ConfigMaps of a realistic size (~0.5 KiB), so the store,
/// the API and the raw reference all move the same bytes.
enum Workload {
    static func configMap(_ i: Int, version: Int = 0) -> KubeObject {
        KubeObject([
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string("bench-\(i)"), "namespace": "default",
                "labels": ["app": "bench", "shard": .string("s\(i % 16)")],
            ],
            "data": [
                "version": .string("\(version)"),
                "settings.yaml": .string(String(repeating: "key: value-\(i)\n", count: 16)),
            ],
        ])
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }
}
