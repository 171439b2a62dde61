import Foundation
import KctlModel

/// The latest sample of one series, as `metrics.kctl.dev/v1` lists it (what the HPA sees).
public struct MetricSampleItem: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// `Pods`, `External` or `Resource`.
    public var kind: String
    public var pod: String?
    public var labels: [String: String]
    public var value: Double
    public var timestamp: Date?
    /// `scrape`, `push` or `agent`.
    public var source: String

    public init(
        namespace: String, name: String, kind: String, pod: String? = nil, labels: [String: String] = [:], value: Double,
        timestamp: Date? = nil, source: String
    ) {
        self.namespace = namespace
        self.name = name
        self.kind = kind
        self.pod = pod
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
        self.source = source
    }

    init(json: JSONValue) {
        self.init(
            namespace: json["namespace"]?.stringValue ?? "", name: json["name"]?.stringValue ?? "",
            kind: json["kind"]?.stringValue ?? "", pod: json["pod"]?.stringValue,
            labels: (json["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
            value: json["value"]?.doubleValue ?? 0, timestamp: json["timestamp"]?.stringValue.flatMap(Timestamp.parse),
            source: json["source"]?.stringValue ?? "")
    }
}

extension KubeClient {
    /// Records a metric sample (`POST /apis/metrics.kctl.dev/v1/namespaces/NS/samples`): for one
    /// pod, for every pod `selector` matches, or, with neither, as an External series with
    /// `labels`. Returns what the server recorded (one item per pod).
    public func pushMetricSample(
        namespace: String, name: String, value: Double, pod: String? = nil, selector: String? = nil,
        labels: [String: String] = [:]
    ) async throws -> [MetricSampleItem] {
        var body: [String: JSONValue] = ["name": .string(name), "value": .double(value)]
        if let pod { body["pod"] = .string(pod) }
        if let selector { body["selector"] = .string(selector) }
        if !labels.isEmpty { body["labels"] = .object(labels.mapValues { .string($0) }) }
        let list = try await sendForObject(
            method: .POST, path: "/apis/metrics.kctl.dev/v1/namespaces/\(namespace)/samples",
            body: JSONValue.object(body).serialized())
        return (list["items"]?.arrayValue ?? []).map(MetricSampleItem.init(json:))
    }

    /// The latest sample of every series the HPA can use, in `namespace` (nil: all).
    public func metricSamples(namespace: String?) async throws -> [MetricSampleItem] {
        let path = namespace.map { "/apis/metrics.kctl.dev/v1/namespaces/\($0)/samples" } ?? "/apis/metrics.kctl.dev/v1/samples"
        let list = try await sendForObject(method: .GET, path: path)
        return (list["items"]?.arrayValue ?? []).map(MetricSampleItem.init(json:))
    }
}
