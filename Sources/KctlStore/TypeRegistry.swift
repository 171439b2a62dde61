import KctlModel

/// Maps the `resource` column of the change log back to the `ResourceType` a watch event
/// carries: the built-in kinds, plus every kind this store has been asked to write.
final class TypeRegistry: Sendable {
    private let types: Locked<[String: ResourceType]>

    init() {
        types = Locked(Dictionary(ResourceType.all.map { ($0.groupResource, $0) }, uniquingKeysWith: { a, _ in a }))
    }

    func register(_ type: ResourceType) {
        types.withLock { types in
            if types[type.groupResource] == nil { types[type.groupResource] = type }
        }
    }

    /// The kind stored as `resource`; for a kind not seen since start-up, one rebuilt from the
    /// object's `apiVersion` and `kind`.
    func type(for resource: String, object: KubeObject, namespace: String) -> ResourceType {
        if let known = types.withLock({ $0[resource] }) { return known }
        let plural = resource.split(separator: ".", maxSplits: 1).first.map(String.init) ?? resource
        let group = resource.count > plural.count ? String(resource.dropFirst(plural.count + 1)) : ""
        let version = object.apiVersion.split(separator: "/").last.map(String.init) ?? ""
        return ResourceType(
            group: group, version: version, kind: object.kind, plural: plural, singular: object.kind.lowercased(),
            namespaced: !namespace.isEmpty)
    }
}
