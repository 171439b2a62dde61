import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Scale-in that keeps the busy pods (beyond Kubernetes, where an HPA's scale-in removes pods
/// by age and readiness alone and so can cut off work in flight). An HPA opts in by naming a
/// per-pod metric in the annotation `autoscaling.kctl.dev/scale-in-by` (a Pods metric such as
/// `http_requests_in_flight`, or `cpu` / `memory`); before it lowers its target's replicas, each
/// target pod's `controller.kubernetes.io/pod-deletion-cost` is set to the pod's current value
/// of that metric, so that the ReplicaSet controller (`PodDeletionOrder`) removes the least busy
/// first. Nothing else changes: Kubernetes' readiness rules still come before the cost.
///
/// Deliberately not done: pods without a recent sample keep whatever cost they have (nothing is
/// known of them, and an unready pod is removed before any cost is looked at); a failure to read
/// the metric or to write a cost never holds the scaling back, it only falls back to the default
/// order; the costs are not cleared afterwards (the next scale-in refreshes them).
public struct ScaleInOrder: Sendable {
    /// The HPA annotation naming the metric by which pods are kept.
    public static let annotation = "autoscaling.kctl.dev/scale-in-by"

    let store: any Store
    let pods: Informer
    let metrics: any AutoscalingMetricsSource
    let logger: Logger
    /// How long to wait for the pod cache (shared with the ReplicaSet controller) to see the costs.
    let cacheWait: Duration

    public init(
        store: any Store, pods: Informer, metrics: any AutoscalingMetricsSource, logger: Logger,
        cacheWait: Duration = .seconds(2)
    ) {
        self.store = store
        self.pods = pods
        self.metrics = metrics
        self.logger = logger
        self.cacheWait = cacheWait
    }

    // MARK: Decisions (pure)

    /// The metric an HPA names for its scale-in order; nil when it names none.
    public static func metric(of hpa: KubeObject) -> String? {
        guard let name = hpa.annotations[annotation]?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            return nil
        }
        return name
    }

    /// A metric value as a deletion cost, rounded and clamped to int32: `cpu` in millicores (cores
    /// are fractions, and rounding would make most pods equal), `memory` in MiB (bytes overflow
    /// int32), any other metric as it is.
    public static func cost(_ value: Double, metric: String) -> Int32 {
        let scaled: Double
        switch metric {
        case "cpu": scaled = value * 1000
        case "memory": scaled = value / 1_048_576
        default: scaled = value
        }
        guard scaled.isFinite else { return scaled > 0 ? .max : (scaled < 0 ? .min : 0) }
        let rounded = scaled.rounded()
        if rounded >= Double(Int32.max) { return .max }
        if rounded <= Double(Int32.min) { return .min }
        return Int32(rounded)
    }

    /// The costs to write, by pod name: for each pod with a value whose annotation says otherwise.
    public static func changedCosts(pods: [KubeObject], values: [String: Double], metric: String) -> [String: Int32] {
        var changed: [String: Int32] = [:]
        for pod in pods {
            guard let value = values[pod.name] else { continue }
            let cost = cost(value, metric: metric)
            if pod.annotations[PodDeletionOrder.deletionCostAnnotation] != String(cost) { changed[pod.name] = cost }
        }
        return changed
    }

    // MARK: Doing it

    /// Stamps the deletion costs of the HPA's target pods before it scales from `current` down
    /// to `desired`, and waits (briefly) until the pod cache has them. Returns the metric when the
    /// least busy pods will go first, nil when the default order applies (no annotation, nothing
    /// to remove by choice, no samples). Logs one line per decision.
    public func prepare(
        hpa: KubeObject, spec: HorizontalPodAutoscalerSpec, namespace: String, selector: LabelSelector?,
        from current: Int32, to desired: Int32
    ) async -> String? {
        guard let metric = Self.metric(of: hpa), desired > 0, desired < current else { return nil }
        let prefix = "hpa \(namespace)/\(hpa.name): scale-in by \(metric)"
        guard let selector, !selector.isEmpty else { return nil }
        let targets = pods.list(namespace: namespace, selector: selector).filter { $0.deletionTimestamp == nil }
        let names = Set(targets.map(\.name))
        let values: [String: Double]
        do {
            values = try await read(metric, spec: spec, namespace: namespace).filter { names.contains($0.key) }
        } catch {
            logger.warning("\(prefix): cannot read the metric (\(error)); default order")
            return nil
        }
        guard !values.isEmpty else {
            logger.info("\(prefix): no pod reports it; default order")
            return nil
        }

        let changed = Self.changedCosts(pods: targets, values: values, metric: metric)
        var lastWrite: Int64 = 0
        var failures: [String] = []
        for (name, cost) in changed.sorted(by: { $0.key < $1.key }) {
            do {
                let written = try await store.update(.pod, namespace: namespace, name: name, subresource: .main) {
                    pod in
                    pod.annotations[PodDeletionOrder.deletionCostAnnotation] = String(cost)
                }
                lastWrite = max(lastWrite, written.resourceVersion.flatMap { Int64($0) } ?? 0)
            } catch {
                failures.append("\(name): \((error as? StatusError)?.message ?? "\(error)")")
            }
        }
        let cached = await waitForPodCache(revision: lastWrite)

        let costs = targets.compactMap { pod in values[pod.name].map { (pod.name, Self.cost($0, metric: metric)) } }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
        var line = "\(prefix): least busy first, \(current) -> \(desired);"
        line += " costs " + costs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")
        line += " (\(changed.count - failures.count) updated)"
        if !failures.isEmpty { line += "; not updated: " + failures.joined(separator: ", ") }
        if !cached { line += "; the pod cache had not caught up after \(cacheWait)" }
        logger.info("\(line)")
        return metric
    }

    /// The metric's current value for each pod in the namespace that reports it.
    func read(_ metric: String, spec: HorizontalPodAutoscalerSpec, namespace: String) async throws -> [String: Double] {
        let samples: [String: PodMetricValue]
        switch metric {
        case "cpu", "memory":
            samples = try await metrics.resourceMetric(metric, namespace: namespace)
        default:
            // The HPA's own Pods metric of that name, when it has one, says which series.
            let selector = spec.metrics?.first { $0.type == "Pods" && $0.pods?.metric.name == metric }?.pods?.metric.selector
            samples = try await metrics.podsMetric(metric, namespace: namespace, selector: selector)
        }
        return samples.mapValues(\.value)
    }

    /// Waits until the pod cache reflects the store at `revision`, so that the ReplicaSet
    /// controller, which reads the same cache, ranks the pods by their new costs; false when it
    /// did not within `cacheWait` (the scaling goes ahead regardless).
    func waitForPodCache(revision: Int64) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + cacheWait
        while pods.revision < revision {
            guard clock.now < deadline else { return false }
            do { try await clock.sleep(for: .milliseconds(5)) } catch { return false }
        }
        return true
    }
}
