import Foundation
import Hummingbird
import KctlModel
import KctlStore
import NIOCore

/// The metric-sample endpoints, served from a `MetricSamplesProvider` (the metrics pipeline):
///
/// - `custom.metrics.k8s.io/v1beta2`: `namespaces/NS/pods/(*|NAME)/METRIC` (MetricValueList),
///   as prometheus-adapter serves it to the HPA (`labelSelector` over the pods' labels,
///   `metricLabelSelector` over the series' own);
/// - `external.metrics.k8s.io/v1beta1`: `namespaces/NS/METRIC` (ExternalMetricValueList);
/// - kctl's own `metrics.kctl.dev/v1`: `POST namespaces/NS/samples` records a sample, and
///   `GET [namespaces/NS/]samples` lists the latest sample of every series.
///
/// Parsed before the resource paths (like `DescribeLookup`), so the kind table stays untouched.
/// `metrics.kctl.dev` is not in discovery: no Kubernetes client needs it.
enum MetricSamplesRequest: Equatable {
    static let customGroup = "custom.metrics.k8s.io"
    static let customVersion = "v1beta2"
    static let externalGroup = "external.metrics.k8s.io"
    static let externalVersion = "v1beta1"
    static let kctlGroup = "metrics.kctl.dev"
    static let kctlVersion = "v1"

    case customResourceList
    case externalResourceList
    /// `pod` nil: every pod (`*`).
    case custom(namespace: String, pod: String?, metric: String)
    case external(namespace: String, metric: String)
    /// nil: every namespace (read only).
    case samples(namespace: String?)
    /// A path in one of these groups that addresses nothing.
    case notFound(String)

    /// What a path asks for, or nil when it is not in one of these groups.
    static func parse(path: String) -> MetricSamplesRequest? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard parts.count >= 2, parts[0] == "apis", [customGroup, externalGroup, kctlGroup].contains(parts[1]) else {
            return nil
        }
        let rest = Array(parts.dropFirst(3))
        switch (parts[1], parts.count > 2 ? parts[2] : "") {
        case (customGroup, customVersion):
            if rest.isEmpty { return .customResourceList }
            if rest.count == 5, rest[0] == "namespaces", rest[2] == "pods" {
                return .custom(namespace: rest[1], pod: rest[3] == "*" ? nil : rest[3], metric: rest[4])
            }
        case (externalGroup, externalVersion):
            if rest.isEmpty { return .externalResourceList }
            if rest.count == 3, rest[0] == "namespaces" { return .external(namespace: rest[1], metric: rest[2]) }
        case (kctlGroup, kctlVersion):
            if rest == ["samples"] { return .samples(namespace: nil) }
            if rest.count == 3, rest[0] == "namespaces", rest[2] == "samples" { return .samples(namespace: rest[1]) }
        default:
            break
        }
        return .notFound(path)
    }

    /// The groups to add to `/apis` when samples are served.
    static let discoveryGroups: [(group: String, version: String)] = [
        (customGroup, customVersion), (externalGroup, externalVersion),
    ]
}

extension APIServer {
    func metricSamples(_ target: MetricSamplesRequest, request: inout Request, query: Query) async throws -> Response {
        if case .notFound(let path) = target { throw RequestInfoParser.notFound(path) }
        guard let provider = metricSamples else {
            throw StatusError(
                reason: .serviceUnavailable, code: 503,
                message: "the server is currently unable to handle the request (no metrics pipeline runs)")
        }
        if case .samples(let namespace?) = target, request.method == .post {
            let body = try await readMetricSampleBody(&request)
            try await requireActiveNamespace(namespace)
            let push = try MetricPushBody.decode(body, namespace: namespace)
            let recorded = try await provider.push(push)
            return Self.json(MetricSamplesFormat.sampleList(recorded), status: .created)
        }
        guard request.method == .get else {
            if case .samples(.some) = target {
                throw StatusError.methodNotAllowed("samples can be listed (GET) and recorded (POST)")
            }
            throw StatusError.methodNotAllowed("metrics are read-only")
        }
        switch target {
        case .customResourceList, .externalResourceList:
            let kind: MetricSampleKind = target == .customResourceList ? .pods : .external
            let names = Set(try await provider.latestSamples(namespace: nil).filter { $0.kind == kind }.map(\.name))
            return Self.json(MetricSamplesFormat.resourceList(kind: kind, names: names.sorted()))
        case .custom(let namespace, let pod, let metric):
            return try await customMetric(provider, namespace: namespace, pod: pod, metric: metric, query: query)
        case .external(let namespace, let metric):
            let selector = try query["labelSelector"].map { try LabelSelector.parse($0) }
            let records = try await provider.externalMetricSamples(metric, namespace: namespace, selector: selector)
            return Self.json(MetricSamplesFormat.externalList(records))
        case .samples(let namespace):
            let records = try await provider.latestSamples(namespace: namespace)
            return Self.json(MetricSamplesFormat.sampleList(records.sorted(by: MetricSamplesFormat.listOrder)))
        case .notFound:
            preconditionFailure("answered above")
        }
    }

    /// Joins the metric's per-pod records with the pods in the store, whose labels
    /// `labelSelector` matches (the HPA passes its target's pod selector).
    private func customMetric(
        _ provider: any MetricSamplesProvider, namespace: String, pod: String?, metric: String, query: Query
    ) async throws -> Response {
        let podSelector = try LabelSelector.parse(query["labelSelector"] ?? "")
        let metricSelector = try query["metricLabelSelector"].map { try LabelSelector.parse($0) }
        let records = Dictionary(
            try await provider.podMetricSamples(metric, namespace: namespace, metricSelector: metricSelector).compactMap {
                record in record.pod.map { ($0, record) }
            }, uniquingKeysWith: { a, _ in a })
        var items: [JSONValue] = []
        for object in try await store.list(.pod, namespace: namespace).items {
            guard pod == nil || object.name == pod, podSelector.matches(object.labels), let record = records[object.name]
            else { continue }
            items.append(MetricSamplesFormat.customItem(record, metricSelector: metricSelector))
        }
        if let pod, items.isEmpty {
            throw StatusError(
                reason: .notFound, code: 404, message: "the server could not find the metric \(metric) for pods \(pod)",
                name: metric, group: MetricSamplesRequest.customGroup, kind: "pods")
        }
        return Self.json([
            "kind": "MetricValueList",
            "apiVersion": .string("\(MetricSamplesRequest.customGroup)/\(MetricSamplesRequest.customVersion)"),
            "metadata": [:], "items": .array(items),
        ])
    }

    /// A push is a few hundred bytes; anything near the general limit is a mistake.
    private func readMetricSampleBody(_ request: inout Request) async throws -> [UInt8] {
        let limit = min(settings.maxBodyBytes, 64 * 1024)
        do {
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw StatusError.tooLarge(limit: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw StatusError.tooLarge(limit: limit)
        }
    }
}

/// The body of a push: `{"name", "value", "pod"?, "selector"?, "labels"?}`, checked field by
/// field so that every problem is reported at once (422, one cause per field).
enum MetricPushBody {
    static func decode(_ body: [UInt8], namespace: String) throws -> MetricPush {
        let json: JSONValue
        do {
            json = try JSONValue.parse(body)
        } catch {
            throw StatusError.badRequest("the sample is not valid JSON: \(error)")
        }
        guard let fields = json.objectValue else {
            throw StatusError.badRequest("the sample must be a JSON object, not \(json.typeName)")
        }
        var causes: [StatusError.Cause] = []
        func invalid(_ field: String, _ message: String) {
            causes.append(StatusError.Cause(reason: "FieldValueInvalid", message: message, field: field))
        }
        func required(_ field: String) {
            causes.append(StatusError.Cause(reason: "FieldValueRequired", message: "Required value", field: field))
        }
        for key in fields.keys.sorted() where !["name", "value", "pod", "selector", "labels"].contains(key) {
            causes.append(StatusError.Cause(reason: "FieldValueNotSupported", message: "unknown field \"\(key)\"", field: key))
        }

        let name = fields["name"]?.stringValue ?? ""
        switch fields["name"] {
        case nil, .null?: required("name")
        case .string?:
            if let problem = MetricName.problems(name).first { invalid("name", "Invalid value: \"\(name)\": \(problem)") }
        case let other?: invalid("name", "Invalid value: \(other.typeName): must be a string")
        }

        var value = 0.0
        switch fields["value"] {
        case nil, .null?: required("value")
        case .int(let number)?: value = Double(number)
        case .double(let number)?:
            value = number
            if !number.isFinite { invalid("value", "Invalid value: must be a finite number") }
        case .string(let text)?:
            if let number = Double(text), number.isFinite {
                value = number
            } else if let quantity = try? Quantity(text) {
                value = quantity.doubleValue
            } else {
                invalid("value", "Invalid value: \"\(text)\": must be a finite number or a quantity such as 1500m")
            }
        case let other?: invalid("value", "Invalid value: \(other.typeName): must be a number")
        }

        var target = MetricPush.Target.external
        switch fields["pod"] {
        case nil, .null?: break
        case .string(let pod)?:
            if let problem = NameValidation.dns1123Subdomain(pod).first {
                invalid("pod", "Invalid value: \"\(pod)\": \(problem)")
            }
            target = .pod(pod)
        case let other?: invalid("pod", "Invalid value: \(other.typeName): must be a pod name")
        }
        switch fields["selector"] {
        case nil, .null?: break
        case .string(let text)?:
            if case .pod = target {
                causes.append(
                    StatusError.Cause(
                        reason: "FieldValueForbidden", message: "Forbidden: may not be set together with pod",
                        field: "selector"))
            } else if text.trimmingCharacters(in: .whitespaces).isEmpty {
                invalid("selector", "Invalid value: \"\": must select some pods (use pod for one pod)")
            } else {
                do {
                    target = .selector(try LabelSelector.parse(text))
                } catch let error as StatusError {
                    invalid("selector", "Invalid value: \"\(text)\": \(error.message)")
                }
            }
        case let other?: invalid("selector", "Invalid value: \(other.typeName): must be a label selector string")
        }

        var labels: [String: String] = [:]
        switch fields["labels"] {
        case nil, .null?: break
        case .object(let entries)?:
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                guard let text = entry.stringValue else {
                    invalid("labels.\(key)", "Invalid value: \(entry.typeName): must be a string")
                    continue
                }
                if let problem = NameValidation.qualifiedName(key).first {
                    invalid("labels", "Invalid value: \"\(key)\": \(problem)")
                }
                if let problem = NameValidation.labelValue(text).first {
                    invalid("labels.\(key)", "Invalid value: \"\(text)\": \(problem)")
                }
                labels[key] = text
            }
        case let other?: invalid("labels", "Invalid value: \(other.typeName): must be an object of strings")
        }

        if !causes.isEmpty {
            let list = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
            let subject = name.isEmpty ? "sample" : "sample \"\(name)\""
            throw StatusError(
                reason: .invalid, code: 422, message: "\(subject) is invalid: \(list)", name: name.isEmpty ? nil : name,
                group: MetricSamplesRequest.kctlGroup, kind: "samples", causes: causes)
        }
        return MetricPush(namespace: namespace, name: name, value: value, target: target, labels: labels)
    }
}

/// Prometheus metric names (`[a-zA-Z_:][a-zA-Z0-9_:]*`), which are also what the HPA can name.
public enum MetricName {
    /// Why `name` is not a metric name (empty: it is one).
    public static func problems(_ name: String) -> [String] {
        guard !name.isEmpty else { return ["must not be empty"] }
        guard name.utf8.count <= 253 else { return ["must be no more than 253 characters"] }
        for (index, byte) in name.utf8.enumerated() {
            let letter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ":")
            let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if !(letter || (digit && index > 0)) {
                return [
                    "a metric name must consist of letters, digits, '_' and ':', and must not start with a digit (e.g. 'queue_depth', regex used for validation is '[a-zA-Z_:][a-zA-Z0-9_:]*')"
                ]
            }
        }
        return []
    }
}

/// The JSON the metric-sample endpoints write.
enum MetricSamplesFormat {
    static func sampleList(_ records: [MetricSampleRecord]) -> JSONValue {
        [
            "kind": "MetricSampleList",
            "apiVersion": .string("\(MetricSamplesRequest.kctlGroup)/\(MetricSamplesRequest.kctlVersion)"),
            "metadata": [:], "items": .array(records.map(sample)),
        ]
    }

    /// One series' latest sample: the value as a JSON number (kctl's own API), the rest as
    /// the Kubernetes lists name them.
    static func sample(_ record: MetricSampleRecord) -> JSONValue {
        var item: [String: JSONValue] = [
            "namespace": .string(record.namespace), "name": .string(record.name), "kind": .string(record.kind.rawValue),
            "value": .double(record.value), "timestamp": .string(Timestamp.format(record.timestamp)),
            "source": .string(record.origin.rawValue),
        ]
        if let pod = record.pod { item["pod"] = .string(pod) }
        if !record.labels.isEmpty { item["labels"] = .object(record.labels.mapValues { .string($0) }) }
        if let seconds = windowSeconds(record.window) { item["windowSeconds"] = .int(seconds) }
        return .object(item)
    }

    static func listOrder(_ a: MetricSampleRecord, _ b: MetricSampleRecord) -> Bool {
        let left = [a.namespace, a.name, a.kind.rawValue, a.pod ?? "", labelText(a.labels)]
        let right = [b.namespace, b.name, b.kind.rawValue, b.pod ?? "", labelText(b.labels)]
        return left.lexicographicallyPrecedes(right)
    }

    static func labelText(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    static func customItem(_ record: MetricSampleRecord, metricSelector: LabelSelector?) -> JSONValue {
        var metric: [String: JSONValue] = ["name": .string(record.name)]
        if let metricSelector { metric["selector"] = selector(metricSelector) }
        var item: [String: JSONValue] = [
            "describedObject": [
                "kind": "Pod", "namespace": .string(record.namespace), "name": .string(record.pod ?? ""),
                "apiVersion": "v1",
            ],
            "metric": .object(metric), "timestamp": .string(Timestamp.format(record.timestamp)),
            "value": .string(quantity(record.value)),
        ]
        if let seconds = windowSeconds(record.window) { item["windowSeconds"] = .int(seconds) }
        return .object(item)
    }

    static func externalList(_ records: [MetricSampleRecord]) -> JSONValue {
        let items: [JSONValue] = records.sorted(by: listOrder).map { record in
            var item: [String: JSONValue] = [
                "metricName": .string(record.name), "metricLabels": .object(record.labels.mapValues { .string($0) }),
                "timestamp": .string(Timestamp.format(record.timestamp)), "value": .string(quantity(record.value)),
            ]
            if let seconds = windowSeconds(record.window) { item["windowSeconds"] = .int(seconds) }
            return .object(item)
        }
        return [
            "kind": "ExternalMetricValueList",
            "apiVersion": .string("\(MetricSamplesRequest.externalGroup)/\(MetricSamplesRequest.externalVersion)"),
            "metadata": [:], "items": .array(items),
        ]
    }

    /// The APIResourceList of the custom (`pods/NAME`) or external (`NAME`) metrics group:
    /// one entry per metric that has samples now, as the metrics adapters list them.
    static func resourceList(kind: MetricSampleKind, names: [String]) -> JSONValue {
        let custom = kind == .pods
        let groupVersion =
            custom
            ? "\(MetricSamplesRequest.customGroup)/\(MetricSamplesRequest.customVersion)"
            : "\(MetricSamplesRequest.externalGroup)/\(MetricSamplesRequest.externalVersion)"
        return [
            "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion),
            "resources": .array(
                names.map { name in
                    [
                        "name": .string(custom ? "pods/\(name)" : name), "singularName": "", "namespaced": true,
                        "kind": custom ? "MetricValueList" : "ExternalMetricValueList", "verbs": ["get"],
                    ]
                }),
        ]
    }

    static func selector(_ selector: LabelSelector) -> JSONValue {
        var object: [String: JSONValue] = [:]
        if let labels = selector.matchLabels, !labels.isEmpty { object["matchLabels"] = .object(labels.mapValues { .string($0) }) }
        if let expressions = selector.matchExpressions, !expressions.isEmpty {
            object["matchExpressions"] = .array(
                expressions.map { requirement in
                    var entry: [String: JSONValue] = [
                        "key": .string(requirement.key), "operator": .string(requirement.operator.rawValue),
                    ]
                    if let values = requirement.values { entry["values"] = .array(values.map { .string($0) }) }
                    return .object(entry)
                })
        }
        return .object(object)
    }

    static func windowSeconds(_ window: Duration) -> Int64? {
        let seconds = window.components.seconds
        return seconds > 0 ? seconds : nil
    }

    /// A value as a Kubernetes quantity: whole numbers plain (`12`), else thousandths (`1500m`),
    /// and finer units only for values too small to show in thousandths (`250u`).
    static func quantity(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        if abs(value) >= 9e15 { return String(format: "%.0f", value) }
        let milli = (value * 1000).rounded()
        if milli != 0 || value == 0 { return Quantity(milli: Int64(milli)).canonicalString }
        let nanos = (value * 1e9).rounded()
        guard let quantity = try? Quantity("\(Int64(nanos))n") else { return "0" }
        return quantity.canonicalString
    }
}
