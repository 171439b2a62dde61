import Foundation
import KctlModel

// What the API server needs from the metrics pipeline, which lives outside it (in kctld, beside
// the HPA controller): recording pushed samples and reading the latest ones. The daemon passes
// an implementation to `APIServer.init`; without one, those endpoints answer 503.

/// Which of the HPA's metric types a series feeds.
public enum MetricSampleKind: String, Sendable, Hashable, CaseIterable {
    /// A per-pod metric (HPA `Pods`), scraped from the pod's `/metrics` or pushed for it.
    case pods = "Pods"
    /// A series not tied to a pod (HPA `External`): pushed, or scraped from a Service.
    case external = "External"
    /// A pod's CPU (cores) or memory (bytes) from its node agent (HPA `Resource`).
    case resource = "Resource"
}

/// Where a sample came from.
public enum MetricSampleOrigin: String, Sendable, Hashable {
    case scrape, push
    /// The node agents' /proc sampling.
    case agent
}

/// The latest sample of one series, as `kctl metrics` lists it and the metrics APIs serve it.
public struct MetricSampleRecord: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var kind: MetricSampleKind
    /// The pod a Pods or Resource sample belongs to (nil for External).
    public var pod: String?
    /// The series' own labels (an External series' `service=NAME`, a scraped sample's labels).
    public var labels: [String: String]
    public var value: Double
    public var timestamp: Date
    /// The span the value covers: a counter's rate between two scrapes, a /proc sampling window;
    /// zero for a gauge read at one instant.
    public var window: Duration
    public var origin: MetricSampleOrigin

    public init(
        namespace: String, name: String, kind: MetricSampleKind, pod: String? = nil, labels: [String: String] = [:],
        value: Double, timestamp: Date, window: Duration = .zero, origin: MetricSampleOrigin
    ) {
        self.namespace = namespace
        self.name = name
        self.kind = kind
        self.pod = pod
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
        self.window = window
        self.origin = origin
    }
}

/// One `POST /apis/metrics.kctl.dev/v1/namespaces/NS/samples`, already checked by the API server
/// (a metric name, a finite value, labels that are label names and values).
public struct MetricPush: Sendable, Hashable {
    public enum Target: Sendable, Hashable {
        /// A Pods sample of this pod.
        case pod(String)
        /// One Pods sample per pod in the namespace whose labels match.
        case selector(LabelSelector)
        /// An External series with the push's labels.
        case external
    }

    public var namespace: String
    public var name: String
    public var value: Double
    public var target: Target
    public var labels: [String: String]

    public init(namespace: String, name: String, value: Double, target: Target, labels: [String: String] = [:]) {
        self.namespace = namespace
        self.name = name
        self.value = value
        self.target = target
        self.labels = labels
    }
}

/// The samples behind `custom.metrics.k8s.io`, `external.metrics.k8s.io` and kctl's own
/// `metrics.kctl.dev` (push and listing). Reads return only samples recent enough for the HPA
/// to use, so what these endpoints show is what the HPA sees.
public protocol MetricSamplesProvider: Sendable {
    /// Records a push and returns what was recorded (one record per pod for a selector).
    /// Throws an Invalid `StatusError` naming the field when the pod does not exist or the
    /// selector matches no pod.
    func push(_ push: MetricPush) async throws -> [MetricSampleRecord]
    /// The latest sample of every series in `namespace` (nil: all), Resource ones included.
    func latestSamples(namespace: String?) async throws -> [MetricSampleRecord]
    /// A Pods metric, one record per pod (its series summed, when its labels tell several
    /// apart); `metricSelector` filters on the series' own labels.
    func podMetricSamples(_ name: String, namespace: String, metricSelector: LabelSelector?) async throws -> [MetricSampleRecord]
    /// An External metric's series in `namespace` whose labels match `selector` (all when nil).
    func externalMetricSamples(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [MetricSampleRecord]
}
