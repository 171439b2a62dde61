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
    public var object: KubeObject {
        didSet { objectJSON = object.serialized() }
    }
    /// `object` as compact JSON (`KubeObject.serialized()`): the bytes the store committed, so
    /// that a server fanning one event out to many watchers encodes it once, not per watcher.
    public private(set) var objectJSON: [UInt8]
    public var revision: Int64
    public var resource: ResourceType

    public init(type: EventType, object: KubeObject, revision: Int64, resource: ResourceType) {
        self.init(type: type, object: object, objectJSON: object.serialized(), revision: revision, resource: resource)
    }

    /// An event whose object is already serialized: `objectJSON` must be `object.serialized()`.
    public init(type: EventType, object: KubeObject, objectJSON: [UInt8], revision: Int64, resource: ResourceType) {
        self.type = type
        self.object = object
        self.objectJSON = objectJSON
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

/// A consistent snapshot of one collection as the stored JSON bytes, unparsed: for callers that
/// only pass the objects on (an API list with no selector).
public struct RawListResult: Sendable {
    /// Each object as compact JSON (`KubeObject.serialized()`), sorted as `Store.list` sorts.
    public var items: [[UInt8]]
    public var revision: Int64
    public init(items: [[UInt8]], revision: Int64) {
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
    /// Both in one write: what a binding does (`spec.nodeName` and the `PodScheduled` condition
    /// at one revision), so watchers see one change instead of two.
    case all
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

    /// `list`, as each object's JSON bytes instead of parsed objects.
    func listJSON(_ type: ResourceType, namespace: String?) async throws -> RawListResult

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

    /// Runs `writes` in order, each at its own revision and checked against the state the earlier
    /// ones left, exactly as calling them one by one would; a failing write changes nothing and
    /// does not stop the others. `SQLiteStore` commits them in one transaction and returns every
    /// result after that commit, so an acknowledged write is as durable as a single one; the
    /// storage itself failing (I/O, a full disk) fails them all, as a failed commit does.
    func write(_ writes: [StoreWrite]) async -> [StoreWriteResult]

    /// Deletes an object, or, while it has finalizers, sets `deletionTimestamp` and keeps it.
    /// A Pod bound to a node is deleted gracefully, as Kubernetes does: with a grace period above
    /// zero (`gracePeriodSeconds`, else the pod's `terminationGracePeriodSeconds`, else 30) it is
    /// only marked (`deletionTimestamp`, `deletionGracePeriodSeconds`) so that its node agent can
    /// stop its processes first; the agent then deletes it with a grace period of 0.
    func delete(
        _ type: ResourceType, namespace: String?, name: String, preconditions: Preconditions,
        gracePeriodSeconds: Int64?
    ) async throws -> DeleteResult

    /// Every change after `revision` to objects of `type` (all kinds when nil) in `namespace`
    /// (all when nil), exactly once and in revision order, then live changes until the stream is
    /// dropped. Throws Expired (410) when `revision` is older than the compacted log.
    func watch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>

    /// `watch`, as a stream that `TickingWatch.tick()` can also wake with a `nil`: one task can
    /// then forward events and write keep-alives on a timer, with no task between it and the store.
    func tickingWatch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws -> TickingWatch

    /// The revision of the newest write.
    func currentRevision() async throws -> Int64

    /// Stores `attachment` with an object, replacing one of the same name (see `ObjectAttachment`).
    /// Throws NotFound when the object does not exist.
    func attach(_ attachment: ObjectAttachment, to type: ResourceType, namespace: String?, name: String) async throws

    /// The value of an object's attachment, or nil when it has none of that name. Throws
    /// NotFound when the object does not exist.
    func attachment(_ attachment: String, of type: ResourceType, namespace: String?, name: String) async throws
        -> [UInt8]?
}

/// A watch whose stream also yields `nil` after each `tick()` (see `Store.tickingWatch`).
public struct TickingWatch: Sendable {
    public let events: AsyncThrowingStream<WatchEvent?, any Error>
    /// Wakes the consumer with a `nil` element; safe to call from any task.
    public let tick: @Sendable () -> Void
    /// Ends the stream normally (after what it already holds) and releases the watch.
    public let finish: @Sendable () -> Void

    public init(
        events: AsyncThrowingStream<WatchEvent?, any Error>, tick: @escaping @Sendable () -> Void,
        finish: @escaping @Sendable () -> Void
    ) {
        self.events = events
        self.tick = tick
        self.finish = finish
    }
}

extension Store {
    /// Forwards `watch` through a task into a stream that ticks can join: correct for any store,
    /// at the cost of a hand-off per event that a store feeding the stream itself avoids.
    public func tickingWatch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws
        -> TickingWatch
    {
        let source = try await watch(type, namespace: namespace, from: revision)
        let (events, continuation) = AsyncThrowingStream.makeStream(of: WatchEvent?.self, throwing: (any Error).self)
        let pump = Task {
            do {
                for try await event in source { continuation.yield(event) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in pump.cancel() }
        return TickingWatch(events: events, tick: { continuation.yield(nil) }, finish: { continuation.finish() })
    }

    /// Serializes what `list` returns; a store that keeps the JSON bytes returns them instead.
    public func listJSON(_ type: ResourceType, namespace: String?) async throws -> RawListResult {
        let result = try await list(type, namespace: namespace)
        return RawListResult(items: result.items.map { $0.serialized() }, revision: result.revision)
    }

    public func update(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        try await update(object, as: type, subresource: .main)
    }

    public func delete(_ type: ResourceType, namespace: String?, name: String) async throws -> DeleteResult {
        try await delete(type, namespace: namespace, name: name, preconditions: Preconditions(), gracePeriodSeconds: nil)
    }

    /// Deletes with the default grace period (see the protocol's `delete`).
    public func delete(_ type: ResourceType, namespace: String?, name: String, preconditions: Preconditions)
        async throws -> DeleteResult
    {
        try await delete(type, namespace: namespace, name: name, preconditions: preconditions, gracePeriodSeconds: nil)
    }
}
