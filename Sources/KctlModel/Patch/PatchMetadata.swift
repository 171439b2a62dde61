/// How a strategic merge patch treats one field and the fields below it: Kubernetes declares this
/// with `patchStrategy` and `patchMergeKey` tags on its Go types, and kubectl computes its patches
/// from the same tags: kctld reads a patch and `kctl apply` computes one by exactly these rules.
///
/// Fields without metadata take the defaults of a JSON merge patch: objects merge key by key,
/// lists are replaced whole.
public struct PatchMeta: Sendable, Hashable {
    public enum Strategy: Sendable, Hashable {
        /// Objects merge, lists are replaced (atomic).
        case plain
        /// `patchStrategy:"merge"`: a list of objects merges element by element, matched by
        /// `key`; a list of scalars (no key) merges as a set.
        case merge(key: String?)
        /// `patchStrategy:"replace"`: the patch's value replaces the field's.
        case replace
    }

    public var strategy: Strategy
    /// `retainKeys` in the tag: the client sends `$retainKeys` so that keys it dropped are
    /// cleared. The server honours `$retainKeys` wherever it appears, so this is informational.
    public var retainKeys: Bool
    /// The fields of an object value, or of a list's elements.
    public var fields: [String: PatchMeta]

    public init(strategy: Strategy = .plain, retainKeys: Bool = false, fields: [String: PatchMeta] = [:]) {
        self.strategy = strategy
        self.retainKeys = retainKeys
        self.fields = fields
    }

    /// No metadata: JSON merge patch semantics here and below.
    public static let plain = PatchMeta()

    /// An object with some fields that have metadata.
    public static func object(_ fields: [String: PatchMeta], retainKeys: Bool = false) -> PatchMeta {
        PatchMeta(retainKeys: retainKeys, fields: fields)
    }

    /// A list merged by `key` (objects) or as a set (`key` nil, scalars).
    public static func list(mergeKey key: String?, retainKeys: Bool = false, element: [String: PatchMeta] = [:]) -> PatchMeta {
        PatchMeta(strategy: .merge(key: key), retainKeys: retainKeys, fields: element)
    }

    /// The metadata of field `name` (of this object or of this list's elements).
    public func field(_ name: String) -> PatchMeta { fields[name] ?? .plain }

    /// The merge key of a merging list of objects.
    public var mergeKey: String? {
        if case .merge(let key) = strategy { return key }
        return nil
    }

    public var mergesLists: Bool {
        if case .merge = strategy { return true }
        return false
    }
}

extension PatchMeta {
    /// The metadata of a whole object of `kind`, from the Go types of k8s.io/api (core/v1,
    /// apps/v1, networking/v1, autoscaling/v2, coordination/v1) and apimachinery's ObjectMeta.
    /// Lists Kubernetes leaves untagged stay atomic here too: tolerations, node taints, Ingress
    /// rules and TLS, Endpoints subsets, HPA metrics, `envFrom`, `args`, `command`.
    public static func of(kind: String) -> PatchMeta {
        var fields: [String: PatchMeta] = ["metadata": objectMeta]
        switch kind {
        case "Pod":
            fields["spec"] = podSpec
            fields["status"] = podStatus
        case "Deployment":
            fields["spec"] = .object(["template": podTemplateSpec, "strategy": PatchMeta(retainKeys: true)])
            fields["status"] = conditionsStatus
        case "ReplicaSet":
            fields["spec"] = .object(["template": podTemplateSpec])
            fields["status"] = conditionsStatus
        case "Service":
            fields["spec"] = .object(["ports": .list(mergeKey: "port")])
            fields["status"] = conditionsStatus
        case "Node":
            fields["spec"] = .object(["podCIDRs": .list(mergeKey: nil)])
            fields["status"] = .object([
                "conditions": .list(mergeKey: "type"),
                "addresses": .list(mergeKey: "type"),
            ])
        case "Namespace", "HorizontalPodAutoscaler":
            fields["status"] = conditionsStatus
        default:
            // ConfigMap, Secret, Endpoints, Event, Ingress, Lease: only ObjectMeta has tags.
            break
        }
        return .object(fields)
    }

    /// The metadata for objects of `type`.
    public static func of(_ type: ResourceType) -> PatchMeta { of(kind: type.kind) }

    static let objectMeta = PatchMeta.object([
        "ownerReferences": .list(mergeKey: "uid"),
        "finalizers": .list(mergeKey: nil),
    ])

    static let conditionsStatus = PatchMeta.object(["conditions": .list(mergeKey: "type")])

    /// Container and EphemeralContainer share these tags.
    static let container: [String: PatchMeta] = [
        "ports": .list(mergeKey: "containerPort"),
        "env": .list(mergeKey: "name"),
        "volumeMounts": .list(mergeKey: "mountPath"),
        "volumeDevices": .list(mergeKey: "devicePath"),
    ]

    static let podSpec = PatchMeta.object([
        "volumes": .list(mergeKey: "name", retainKeys: true),
        "initContainers": .list(mergeKey: "name", element: container),
        "containers": .list(mergeKey: "name", element: container),
        "ephemeralContainers": .list(mergeKey: "name", element: container),
        "imagePullSecrets": .list(mergeKey: "name"),
        "hostAliases": .list(mergeKey: "ip"),
        "topologySpreadConstraints": .list(mergeKey: "topologyKey"),
        "schedulingGates": .list(mergeKey: "name"),
        "resourceClaims": .list(mergeKey: "name", retainKeys: true),
    ])

    static let podTemplateSpec = PatchMeta.object(["metadata": objectMeta, "spec": podSpec])

    static let podStatus = PatchMeta.object([
        "conditions": .list(mergeKey: "type"),
        "podIPs": .list(mergeKey: "ip"),
        "hostIPs": .list(mergeKey: "ip"),
        "resourceClaimStatuses": .list(mergeKey: "name", retainKeys: true),
    ])
}
