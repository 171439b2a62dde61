import Foundation
import KctlModel
import KctlStore
import Hummingbird

/// Lists `kubectl describe` reads for kinds kctld does not store, so it prints what users know
/// instead of an error: a namespace's resource quotas and limit ranges (always none here), and
/// a service's EndpointSlices (derived, read-only, from its Endpoints), which `describe ingress`
/// shows as each backend's addresses. None of these is in discovery: kubectl reaches them
/// through its typed clients, which need no discovery.
enum DescribeLookup: Equatable {
    /// `resourcequotas`/`limitranges` in a namespace or all: the list kind.
    case empty(kind: String, apiVersion: String)
    /// `discovery.k8s.io/v1` `endpointslices`, in one namespace (nil: all).
    case endpointSlices(namespace: String?)

    /// The lookup a GET path asks for, or nil when the path is not one of these.
    static func parse(path: String) -> DescribeLookup? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 3 where parts[0] == "api" && parts[1] == "v1", 5 where parts[0] == "api" && parts[1] == "v1" && parts[2] == "namespaces":
            switch parts.last {
            case "resourcequotas": return .empty(kind: "ResourceQuotaList", apiVersion: "v1")
            case "limitranges": return .empty(kind: "LimitRangeList", apiVersion: "v1")
            default: return nil
            }
        case 4 where parts[0] == "apis" && parts[1] == "discovery.k8s.io" && parts[2] == "v1" && parts[3] == "endpointslices":
            return .endpointSlices(namespace: nil)
        case 6 where parts[0] == "apis" && parts[1] == "discovery.k8s.io" && parts[2] == "v1" && parts[3] == "namespaces"
            && parts[5] == "endpointslices":
            return .endpointSlices(namespace: parts[4])
        default:
            return nil
        }
    }

    /// One EndpointSlice per subset of an Endpoints object, labelled with its service's name
    /// as the EndpointSlice controller does.
    static func endpointSlices(from source: KubeObject) -> [JSONValue] {
        let subsets = source.value["subsets"]?.arrayValue ?? []
        return subsets.enumerated().map { index, subset in
            func endpoints(_ key: String, ready: Bool) -> [JSONValue] {
                (subset[key]?.arrayValue ?? []).map { address in
                    var endpoint: [String: JSONValue] = [
                        "addresses": .array([address["ip"] ?? ""]),
                        "conditions": ["ready": .bool(ready), "serving": .bool(ready), "terminating": false],
                    ]
                    if let node = address["nodeName"] { endpoint["nodeName"] = node }
                    if let target = address["targetRef"] { endpoint["targetRef"] = target }
                    return .object(endpoint)
                }
            }
            var metadata: [String: JSONValue] = [
                "name": .string("\(source.name)-\(index)"),
                "labels": [
                    "kubernetes.io/service-name": .string(source.name),
                    "endpointslice.kubernetes.io/managed-by": "kctld",
                ],
            ]
            if let namespace = source.namespace { metadata["namespace"] = .string(namespace) }
            if let revision = source.resourceVersion { metadata["resourceVersion"] = .string(revision) }
            if let created = source.creationTimestamp { metadata["creationTimestamp"] = .string(created) }
            let isIPv6 = (subset["addresses"]?.arrayValue?.first?["ip"]?.stringValue ?? "").contains(":")
            return [
                "kind": "EndpointSlice",
                "apiVersion": "discovery.k8s.io/v1",
                "metadata": .object(metadata),
                "addressType": isIPv6 ? "IPv6" : "IPv4",
                "endpoints": .array(endpoints("addresses", ready: true) + endpoints("notReadyAddresses", ready: false)),
                "ports": subset["ports"] ?? [],
            ]
        }
    }
}

extension APIServer {
    func describeLookup(_ lookup: DescribeLookup, query: Query) async throws -> Response {
        switch lookup {
        case .empty(let kind, let apiVersion):
            let revision = try await store.currentRevision()
            return Self.json([
                "kind": .string(kind), "apiVersion": .string(apiVersion),
                "metadata": ["resourceVersion": .string(String(revision))], "items": [],
            ])
        case .endpointSlices(let namespace):
            let selectors = try Selectors(query)
            let endpoints = try await store.list(.endpoints, namespace: namespace)
            let slices = endpoints.items.flatMap(DescribeLookup.endpointSlices(from:))
                .compactMap { try? KubeObject(json: $0) }
                .filter { selectors.matches($0) }
            return Self.json([
                "kind": "EndpointSliceList", "apiVersion": "discovery.k8s.io/v1",
                "metadata": ["resourceVersion": .string(String(endpoints.revision))], "items": .array(slices.map(\.value)),
            ])
        }
    }
}
