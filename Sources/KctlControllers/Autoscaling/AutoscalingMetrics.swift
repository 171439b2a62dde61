import Foundation
import KctlModel

/// One pod's latest value of a metric: what the HPA reads for Resource and Pods metrics.
public struct PodMetricValue: Sendable, Hashable {
    /// The pod's name (in the namespace that was asked for).
    public var pod: String
    /// CPU in cores, memory in bytes, or a custom metric's value.
    public var value: Double
    /// When the sample was taken (the end of its window).
    public var timestamp: Date
    /// The window the value covers (zero for a gauge read at one instant).
    public var window: Duration

    public init(pod: String, value: Double, timestamp: Date, window: Duration = .zero) {
        self.pod = pod
        self.value = value
        self.timestamp = timestamp
        self.window = window
    }
}

/// One series of an External metric (a metric not tied to a pod: a queue's depth, a pushed value).
public struct ExternalMetricValue: Sendable, Hashable {
    public var name: String
    /// The series' labels; an HPA's `metric.selector` picks series by them.
    public var labels: [String: String]
    public var value: Double
    public var timestamp: Date

    public init(name: String, labels: [String: String] = [:], value: Double, timestamp: Date) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

/// Where the HPA controller reads metric samples: the metrics pipeline in kctld (node agents'
/// /proc samples, pods' scraped `/metrics`, pushed and service-scraped external samples), or a
/// fixed table in tests. Only recent samples are returned; a pod with no recent sample is absent,
/// which the controller treats conservatively as Kubernetes does.
public protocol AutoscalingMetricsSource: Sendable {
    /// `cpu` (cores) or `memory` (bytes) of each pod in `namespace`, summed over its containers, by pod name.
    func resourceMetric(_ resource: String, namespace: String) async throws -> [String: PodMetricValue]
    /// A custom per-pod metric (HPA type `Pods`), by pod name; `selector` filters the metric's own labels.
    func podsMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [String: PodMetricValue]
    /// An External metric's series in `namespace` whose labels match `selector` (all series when nil).
    func externalMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [ExternalMetricValue]
}
