import Foundation
import Hummingbird
import KctlModel
import KctlStore

/// A read of the resource metrics API (`metrics.k8s.io/v1beta1`), which `kubectl top` and the
/// HPA use. In Kubernetes metrics-server serves it behind the API server; here the node agents'
/// samples are joined with the Pods and Nodes in the store, whose labels the selectors match.
struct MetricsRequest: Equatable {
    static let group = "metrics.k8s.io"
    static let version = "v1beta1"

    enum Kind: Equatable { case nodes, pods }
    var kind: Kind
    /// nil: every namespace (pods) or cluster-scoped (nodes).
    var namespace: String?
    var name: String?

    /// `/apis/metrics.k8s.io/v1beta1[/nodes[/NAME] | /pods | /namespaces/NS/pods[/NAME]]`.
    static func target(version: String, rest: [String], path: String) throws -> RequestTarget {
        guard version == Self.version else { throw RequestInfoParser.notFound(path) }
        switch rest.count {
        case 0: return .resourceList(group: group, version: version)
        case 1 where rest[0] == "nodes": return .resourceMetrics(.init(kind: .nodes))
        case 1 where rest[0] == "pods": return .resourceMetrics(.init(kind: .pods))
        case 2 where rest[0] == "nodes": return .resourceMetrics(.init(kind: .nodes, name: rest[1]))
        case 3 where rest[0] == "namespaces" && rest[2] == "pods", 4 where rest[0] == "namespaces" && rest[2] == "pods":
            return .resourceMetrics(.init(kind: .pods, namespace: rest[1], name: rest.count == 4 ? rest[3] : nil))
        default: throw RequestInfoParser.notFound(path)
        }
    }

    /// The group's APIResourceList entries.
    static let discovery: [JSONValue] = [
        ["name": "nodes", "singularName": "", "namespaced": false, "kind": "NodeMetrics", "verbs": ["get", "list"]],
        ["name": "pods", "singularName": "", "namespaced": true, "kind": "PodMetrics", "verbs": ["get", "list"]],
    ]
}

extension APIServer {
    func resourceMetrics(_ target: MetricsRequest, query: Query) async throws -> Response {
        guard let source = resourceMetrics else {
            throw StatusError(
                reason: .serviceUnavailable, code: 503,
                message: "the server is currently unable to handle the request (no resource metrics are collected)")
        }
        let selectors = try Selectors(query)
        let apiVersion = JSONValue.string("\(MetricsRequest.group)/\(MetricsRequest.version)")
        var items: [JSONValue] = []
        switch target.kind {
        case .nodes:
            let samples = Dictionary(await source.nodes().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for node in try await store.list(.node, namespace: nil).items {
                guard target.name == nil || node.name == target.name, selectors.matches(node),
                    let sample = samples[node.name]
                else { continue }
                items.append(ResourceMetricsFormat.node(sample, labels: node.labels))
            }
            if let name = target.name {
                guard var item = items.first else {
                    throw StatusError(
                        reason: .notFound, code: 404, message: "nodemetrics.metrics.k8s.io \"\(name)\" not found",
                        name: name, group: MetricsRequest.group, kind: "nodes")
                }
                item["kind"] = "NodeMetrics"
                item["apiVersion"] = apiVersion
                return Self.json(item)
            }
            return Self.json(["kind": "NodeMetricsList", "apiVersion": apiVersion, "metadata": [:], "items": .array(items)])
        case .pods:
            let samples = Dictionary(
                await source.pods().map { ("\($0.namespace)/\($0.name)", $0) }, uniquingKeysWith: { a, _ in a })
            for pod in try await store.list(.pod, namespace: target.namespace).items {
                guard target.name == nil || pod.name == target.name, selectors.matches(pod),
                    let sample = samples["\(pod.namespace ?? "")/\(pod.name)"]
                else { continue }
                items.append(ResourceMetricsFormat.pod(sample, labels: pod.labels))
            }
            if let name = target.name {
                guard var item = items.first else {
                    throw StatusError(
                        reason: .notFound, code: 404,
                        message: "podmetrics.metrics.k8s.io \"\(target.namespace ?? "")/\(name)\" not found",
                        name: name, group: MetricsRequest.group, kind: "pods")
                }
                item["kind"] = "PodMetrics"
                item["apiVersion"] = apiVersion
                return Self.json(item)
            }
            return Self.json(["kind": "PodMetricsList", "apiVersion": apiVersion, "metadata": [:], "items": .array(items)])
        }
    }
}

/// NodeMetrics and PodMetrics as metrics-server writes them: CPU in the largest exact unit of
/// nanocores (`12m`, `1234567n`), memory in bytes with a binary suffix when exact (`12345Ki`),
/// `window` as a Go duration (`30s`, `1m0s`).
enum ResourceMetricsFormat {
    static func node(_ sample: NodeUsage, labels: [String: String]) -> JSONValue {
        [
            "metadata": metadata(name: sample.name, namespace: nil, labels: labels, at: sample.timestamp),
            "timestamp": .string(Timestamp.format(sample.timestamp)), "window": .string(GoDuration.format(sample.window)),
            "usage": usage(cpuCores: sample.cpuCores, memoryBytes: sample.memoryBytes),
        ]
    }

    static func pod(_ sample: PodUsage, labels: [String: String]) -> JSONValue {
        [
            "metadata": metadata(name: sample.name, namespace: sample.namespace, labels: labels, at: sample.timestamp),
            "timestamp": .string(Timestamp.format(sample.timestamp)), "window": .string(GoDuration.format(sample.window)),
            "containers": .array(
                sample.containers.map {
                    ["name": .string($0.name), "usage": usage(cpuCores: $0.cpuCores, memoryBytes: $0.memoryBytes)]
                }),
        ]
    }

    private static func metadata(name: String, namespace: String?, labels: [String: String], at date: Date) -> JSONValue {
        var meta: [String: JSONValue] = ["name": .string(name), "creationTimestamp": .string(Timestamp.format(date))]
        if let namespace { meta["namespace"] = .string(namespace) }
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        return .object(meta)
    }

    static func usage(cpuCores: Double, memoryBytes: UInt64) -> JSONValue {
        ["cpu": .string(cpu(cpuCores)), "memory": .string(memory(memoryBytes))]
    }

    /// Cores as a quantity of nanocores in its largest exact decimal unit.
    static func cpu(_ cores: Double) -> String {
        let nanos = cores.isFinite && cores > 0 ? UInt64(min((cores * 1e9).rounded(), 9e18)) : 0
        for (divisor, suffix) in [(UInt64(1_000_000_000), ""), (1_000_000, "m"), (1_000, "u")] where nanos % divisor == 0 {
            return "\(nanos / divisor)\(suffix)"
        }
        return "\(nanos)n"
    }

    /// Bytes with the largest exact binary suffix, else the largest exact decimal one.
    static func memory(_ bytes: UInt64) -> String {
        guard bytes > 0 else { return "0" }
        for (shift, suffix) in [(60, "Ei"), (50, "Pi"), (40, "Ti"), (30, "Gi"), (20, "Mi"), (10, "Ki")]
        where bytes % (UInt64(1) << UInt64(shift)) == 0 {
            return "\(bytes >> UInt64(shift))\(suffix)"
        }
        var value = bytes
        var index = 0
        let suffixes = ["", "k", "M", "G", "T", "P", "E"]
        while value % 1000 == 0 && index < suffixes.count - 1 {
            value /= 1000
            index += 1
        }
        return "\(value)\(suffixes[index])"
    }

    /// A duration as Go's `time.Duration.String()` writes it: `30s`, `1m0s`, `1.5s`, `250ms`.
}
