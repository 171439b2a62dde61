import KctlModel

/// The discovery documents clients read before anything else, built from the one table of kinds.
enum Discovery {
    static let version: JSONValue = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-kctl", "gitCommit": "", "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "swift6", "compiler": "swiftc", "platform": "linux/amd64",
    ]

    static func apiVersions(host: String) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(host)]],
        ]
    }

    static var groupVersions: [(group: String, version: String)] {
        var seen: [String] = []
        var out: [(String, String)] = []
        for t in ResourceType.all where !t.group.isEmpty && !seen.contains(t.apiVersion) {
            seen.append(t.apiVersion)
            out.append((t.group, t.version))
        }
        return out
    }

    /// - Parameters:
    ///   - resourceMetrics: also list `metrics.k8s.io` (served only with a metrics source).
    ///   - metricSamples: also list the custom and external metrics groups (served only with samples).
    static func apiGroupList(resourceMetrics: Bool, metricSamples: Bool = false) -> JSONValue {
        var extra = resourceMetrics ? [(group: MetricsRequest.group, version: MetricsRequest.version)] : []
        if metricSamples { extra += MetricSamplesRequest.discoveryGroups }
        return .object([
            "kind": "APIGroupList", "apiVersion": "v1",
            "groups": .array(
                (groupVersions + extra).map { gv in
                    let v: JSONValue = ["groupVersion": .string("\(gv.group)/\(gv.version)"), "version": .string(gv.version)]
                    return ["name": .string(gv.group), "versions": [v], "preferredVersion": v]
                }),
        ])
    }

    static let verbs: JSONValue = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    static func resourceList(group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        for t in ResourceType.all where t.group == group && t.version == version {
            var entry: [String: JSONValue] = [
                "name": .string(t.plural), "singularName": .string(t.singular), "namespaced": .bool(t.namespaced),
                "kind": .string(t.kind), "verbs": verbs,
            ]
            if !t.shortNames.isEmpty { entry["shortNames"] = .array(t.shortNames.map { .string($0) }) }
            if !t.categories.isEmpty { entry["categories"] = .array(t.categories.map { .string($0) }) }
            resources.append(.object(entry))
            if t == .pod {
                resources.append([
                    "name": "pods/binding", "singularName": "", "namespaced": true, "kind": "Binding", "verbs": ["create"],
                ])
                resources += podAgentSubresources
            }
            if t.hasStatus {
                resources.append([
                    "name": .string("\(t.plural)/status"), "singularName": "", "namespaced": .bool(t.namespaced),
                    "kind": .string(t.kind), "verbs": ["get", "patch", "update"],
                ])
            }
            if ScaleSubresource.serves(t) {
                resources.append([
                    "name": .string("\(t.plural)/scale"), "singularName": "", "namespaced": .bool(t.namespaced),
                    "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"],
                ])
            }
        }
        if group == MetricsRequest.group && version == MetricsRequest.version { resources = MetricsRequest.discovery }
        let gv = group.isEmpty ? version : "\(group)/\(version)"
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(gv), "resources": .array(resources)]
    }
}
