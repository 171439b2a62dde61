import KctlModel

/// What a work queue holds and a reconciler receives: the namespace and name of one object,
/// never the object itself (the reconciler reads the current state from its caches).
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// nil (or empty) for cluster-scoped objects.
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = (namespace?.isEmpty ?? true) ? nil : namespace
        self.name = name
    }

    /// The key of an object.
    public init(_ object: KubeObject) {
        self.init(namespace: object.namespace, name: object.name)
    }

    /// `namespace/name`, or `name` for cluster-scoped objects.
    public var description: String {
        if let namespace { return "\(namespace)/\(name)" }
        return name
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.namespace ?? "", a.name) < (b.namespace ?? "", b.name)
    }
}
