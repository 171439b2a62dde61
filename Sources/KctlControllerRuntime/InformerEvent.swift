import KctlModel

/// A change an informer saw, delivered to its handlers after its cache has been updated.
public enum InformerEvent: Sendable, Hashable {
    case added(KubeObject)
    case updated(old: KubeObject, new: KubeObject)
    case deleted(KubeObject)

    /// The object as of this event (the last state for `.deleted`).
    public var object: KubeObject {
        switch self {
        case .added(let o), .deleted(let o): return o
        case .updated(_, let new): return new
        }
    }

    /// The key of the object the event is about.
    public var key: ObjectKey { ObjectKey(object) }
}
