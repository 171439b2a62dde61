/// Where a kind lives in the API: its group/version, its REST name and the short names users type.
/// One table of these drives discovery, routing, the store's keys and the CLI's name lookup.
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    public let group: String
    public let version: String
    public let kind: String
    public let plural: String
    public let singular: String
    public let shortNames: [String]
    public let namespaced: Bool
    /// Whether the kind has a `/status` subresource whose writes change only `status`.
    public let hasStatus: Bool
    /// Whether the kind has a `/scale` subresource.
    public let hasScale: Bool
    public let categories: [String]

    public init(
        group: String, version: String, kind: String, plural: String, singular: String,
        shortNames: [String] = [], namespaced: Bool = true, hasStatus: Bool = false, hasScale: Bool = false,
        categories: [String] = []
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.shortNames = shortNames
        self.namespaced = namespaced
        self.hasStatus = hasStatus
        self.hasScale = hasScale
        self.categories = categories
    }

    /// `v1` for the core group, else `group/version`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `deployments.apps`, `pods`: how Kubernetes names the resource in error messages.
    public var groupResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// `deployment.apps`, `pod`: how kubectl prints an object's type in `created`/`configured` lines.
    public var groupSingular: String { group.isEmpty ? singular : "\(singular).\(group)" }
    /// The collection path, e.g. `/apis/apps/v1/namespaces/default/deployments`.
    public func collectionPath(namespace: String?) -> String {
        let base = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace { return "\(base)/namespaces/\(namespace)/\(plural)" }
        return "\(base)/\(plural)"
    }
    public func itemPath(namespace: String?, name: String) -> String {
        "\(collectionPath(namespace: namespace))/\(name)"
    }
    public var description: String { groupResource }
}

extension ResourceType {
    public static let namespace = ResourceType(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", singular: "namespace",
        shortNames: ["ns"], namespaced: false, hasStatus: true)
    public static let node = ResourceType(
        group: "", version: "v1", kind: "Node", plural: "nodes", singular: "node",
        shortNames: ["no"], namespaced: false, hasStatus: true)
    public static let pod = ResourceType(
        group: "", version: "v1", kind: "Pod", plural: "pods", singular: "pod",
        shortNames: ["po"], hasStatus: true, categories: ["all"])
    public static let service = ResourceType(
        group: "", version: "v1", kind: "Service", plural: "services", singular: "service",
        shortNames: ["svc"], hasStatus: true, categories: ["all"])
    public static let endpoints = ResourceType(
        group: "", version: "v1", kind: "Endpoints", plural: "endpoints", singular: "endpoints",
        shortNames: ["ep"])
    public static let secret = ResourceType(
        group: "", version: "v1", kind: "Secret", plural: "secrets", singular: "secret")
    public static let configMap = ResourceType(
        group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", singular: "configmap",
        shortNames: ["cm"])
    public static let event = ResourceType(
        group: "", version: "v1", kind: "Event", plural: "events", singular: "event", shortNames: ["ev"])
    public static let deployment = ResourceType(
        group: "apps", version: "v1", kind: "Deployment", plural: "deployments", singular: "deployment",
        shortNames: ["deploy"], hasStatus: true, hasScale: true, categories: ["all"])
    public static let replicaSet = ResourceType(
        group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", singular: "replicaset",
        shortNames: ["rs"], hasStatus: true, hasScale: true, categories: ["all"])
    public static let ingress = ResourceType(
        group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", singular: "ingress",
        shortNames: ["ing"], hasStatus: true)
    public static let horizontalPodAutoscaler = ResourceType(
        group: "autoscaling", version: "v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler", shortNames: ["hpa"], hasStatus: true, categories: ["all"])
    public static let lease = ResourceType(
        group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", singular: "lease")

    /// Every kind kctld serves, in the order discovery lists them.
    public static let all: [ResourceType] = [
        .namespace, .node, .pod, .service, .endpoints, .secret, .configMap, .event,
        .deployment, .replicaSet, .ingress, .horizontalPodAutoscaler, .lease,
    ]

    /// Finds a kind by what a user types: plural, singular, short name or kind, optionally
    /// qualified by group (`deployments.apps`, `deploy`, `Deployment`), case-insensitive.
    public static func lookup(_ name: String) -> ResourceType? {
        let lower = name.lowercased()
        var base = lower
        var group: String?
        if let dot = lower.firstIndex(of: ".") {
            base = String(lower[..<dot])
            group = String(lower[lower.index(after: dot)...])
        }
        return all.first { type in
            if let group, type.group != group && !type.group.hasPrefix(group + ".") && !group.hasPrefix(type.group) {
                return false
            }
            return type.plural == base || type.singular == base || type.kind.lowercased() == base
                || type.shortNames.contains(base)
        }
    }

    /// The kind an object names with `apiVersion` and `kind`.
    public static func forObject(apiVersion: String, kind: String) -> ResourceType? {
        all.first { $0.apiVersion == apiVersion && $0.kind == kind }
    }

    /// The kind served at a group/version under a plural name.
    public static func forPath(group: String, version: String, plural: String) -> ResourceType? {
        all.first { $0.group == group && $0.version == version && $0.plural == plural }
    }
}
