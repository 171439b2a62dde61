import KctlModel

/// One change to one object, at the store revision that made it.
public struct WatchEvent: Sendable, Hashable {
    public enum EventType: String, Sendable, Hashable {
        case added = "ADDED"
        case modified = "MODIFIED"
        case deleted = "DELETED"
    }

    public var type: EventType
    /// The object as of this change; for DELETED, its last state with `resourceVersion` = `revision`.
    public var object: KubeObject
    public var revision: Int64
    public var resource: ResourceType

    public init(type: EventType, object: KubeObject, revision: Int64, resource: ResourceType) {
        self.type = type
        self.object = object
        self.revision = revision
        self.resource = resource
    }
}

/// A consistent snapshot of one collection and the revision it was read at.
public struct ListResult: Sendable {
    public var items: [KubeObject]
    public var revision: Int64
    public init(items: [KubeObject], revision: Int64) {
        self.items = items
        self.revision = revision
    }
}

/// What a delete did: removed the object, or only marked it (finalizers still pending).
public enum DeleteResult: Sendable {
    case deleted(KubeObject)
    case pending(KubeObject)

    public var object: KubeObject {
        switch self {
        case .deleted(let o), .pending(let o): return o
        }
    }
}

/// Conditions a delete must meet, as Kubernetes' DeleteOptions.preconditions.
public struct Preconditions: Sendable, Hashable {
    public var uid: String?
    public var resourceVersion: String?
    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// The part of an object an update writes.
public enum Subresource: Sendable, Hashable {
    /// Everything but `status` (for kinds with a status subresource; all of it otherwise).
    case main
    /// Only `status`; never bumps `generation`.
    case status
}

/// Desired state, versioned by one global revision. Every write is atomic and lands in the change
/// log that watches read from. Implementations own the Kubernetes object rules that must hold
/// for every client: AlreadyExists/NotFound/Conflict, uid and creationTimestamp, `generation`
/// bumped by spec changes only, and finalizers delaying deletion.
///
/// Errors are `StatusError`s (NotFound, AlreadyExists, Conflict, Expired, Invalid, InternalError).
public protocol Store: Sendable {
    /// Stores a new object (name and, for namespaced kinds, namespace set by the caller). Sets
    /// `uid`, `creationTimestamp`, `generation` 1 and `resourceVersion`.
    func create(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject

    func get(_ type: ResourceType, namespace: String?, name: String) async throws -> KubeObject

    /// All objects of a kind (in one namespace, or all when nil), read in one snapshot, sorted by
    /// namespace then name.
    func list(_ type: ResourceType, namespace: String?) async throws -> ListResult

    /// Replaces an object. A non-empty `metadata.resourceVersion` must match the stored one
    /// (else Conflict). `.main` keeps the stored status for kinds with a status subresource;
    /// `.status` keeps everything but the status. An update that changes nothing writes nothing.
    /// An update that clears the last finalizer of an object being deleted removes it.
    func update(_ object: KubeObject, as type: ResourceType, subresource: Subresource) async throws -> KubeObject

    /// Reads, changes and writes one object atomically (no Conflict possible from other writers).
    func update(
        _ type: ResourceType, namespace: String?, name: String, subresource: Subresource,
        mutate: @Sendable (inout KubeObject) throws -> Void
    ) async throws -> KubeObject

    /// Deletes an object, or, while it has finalizers, sets `deletionTimestamp` and keeps it.
    func delete(
        _ type: ResourceType, namespace: String?, name: String, preconditions: Preconditions
    ) async throws -> DeleteResult

    /// Every change after `revision` to objects of `type` (all kinds when nil) in `namespace`
    /// (all when nil), exactly once and in revision order, then live changes until the stream is
    /// dropped. Throws Expired (410) when `revision` is older than the compacted log.
    func watch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>

    /// The revision of the newest write.
    func currentRevision() async throws -> Int64
}

extension Store {
    public func update(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        try await update(object, as: type, subresource: .main)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String) async throws -> DeleteResult {
        try await delete(type, namespace: namespace, name: name, preconditions: Preconditions())
    }
}
