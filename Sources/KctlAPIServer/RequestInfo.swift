import KctlModel

/// What a request path addresses, parsed the way Kubernetes' request-info factory does:
/// `/api/v1/namespaces/NS/pods/NAME/status`, `/apis/apps/v1/deployments`, `/api/v1/watch/...`.
enum RequestTarget: Equatable {
    case apiVersions                       // /api
    case apiGroupList                      // /apis
    case resourceList(group: String, version: String)   // /api/v1, /apis/apps/v1
    case version
    case metrics                           // /metrics, Prometheus text
    case health(String)                    // /healthz, /readyz, /livez
    case resource(ResourceRequest)
    case resourceMetrics(MetricsRequest)   // /apis/metrics.k8s.io/v1beta1/...
    case nodeAdmin(node: String, action: NodeAdminAction)   // /apis/kctl.dev/v1/nodes/NAME/stop
}

struct ResourceRequest: Equatable {
    var type: ResourceType
    /// The namespace in the path; nil for cluster-scoped kinds and all-namespace collections.
    var namespace: String?
    var name: String?
    var subresource: String?
    /// The legacy `/watch/` path prefix.
    var watchPrefix: Bool

    var isCollection: Bool { name == nil }
}

enum RequestInfoParser {
    static func parse(path: String) throws -> RequestTarget {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let first = parts.first else { throw notFound(path) }
        switch first {
        case "healthz", "readyz", "livez":
            return .health(first)
        case "version":
            return .version
        case "metrics" where parts.count == 1:
            return .metrics
        case "api":
            if parts.count == 1 { return .apiVersions }
            guard parts[1] == "v1" else { throw notFound(path) }
            if parts.count == 2 { return .resourceList(group: "", version: "v1") }
            return .resource(try resource(group: "", version: "v1", rest: Array(parts[2...]), path: path))
        case "apis":
            if parts.count == 1 { return .apiGroupList }
            guard parts.count >= 3 else { throw notFound(path) }
            let group = parts[1]
            let version = parts[2]
            if group == MetricsRequest.group { return try MetricsRequest.target(version: version, rest: Array(parts[3...]), path: path) }
            if group == NodeAdminAction.group { return try NodeAdminAction.target(version: version, rest: Array(parts[3...]), path: path) }
            guard ResourceType.all.contains(where: { $0.group == group && $0.version == version }) else {
                throw notFound(path)
            }
            if parts.count == 3 { return .resourceList(group: group, version: version) }
            return .resource(try resource(group: group, version: version, rest: Array(parts[3...]), path: path))
        default:
            throw notFound(path)
        }
    }

    private static func resource(group: String, version: String, rest: [String], path: String) throws -> ResourceRequest {
        var rest = rest
        var watchPrefix = false
        if rest.first == "watch" {
            watchPrefix = true
            rest.removeFirst()
        }
        guard !rest.isEmpty else { throw notFound(path) }
        func type(_ plural: String) throws -> ResourceType {
            guard let t = ResourceType.forPath(group: group, version: version, plural: plural) else {
                throw StatusError(
                    reason: .notFound, code: 404,
                    message: "the server could not find the requested resource (\(plural)\(group.isEmpty ? "" : "." + group))")
            }
            return t
        }
        // /namespaces/NS/<plural>[/NAME[/SUB]] addresses a namespaced kind.
        if rest[0] == "namespaces", rest.count >= 3, group != "" || rest[2] != "status" && rest[2] != "finalize" {
            let t = try type(rest[2])
            guard t.namespaced else { throw notFound(path) }
            guard rest.count <= 5 else { throw notFound(path) }
            return ResourceRequest(
                type: t, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                subresource: rest.count > 4 ? rest[4] : nil, watchPrefix: watchPrefix)
        }
        guard rest.count <= 3 else { throw notFound(path) }
        let t = try type(rest[0])
        if t.namespaced && rest.count > 1 {
            // A namespaced kind by name needs its namespace in the path.
            throw notFound(path)
        }
        return ResourceRequest(
            type: t, namespace: nil, name: rest.count > 1 ? rest[1] : nil,
            subresource: rest.count > 2 ? rest[2] : nil, watchPrefix: watchPrefix)
    }

    static func notFound(_ path: String) -> StatusError {
        StatusError(reason: .notFound, code: 404, message: "the server could not find the requested resource (\(path))")
    }
}
