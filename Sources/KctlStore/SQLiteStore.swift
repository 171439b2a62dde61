import Foundation
import KctlModel
import Logging
import Synchronization

/// The embedded store: one SQLite file in WAL mode, written by one lock-serialized connection and
/// read through a pool of read-only connections, with watches fed right after each commit.
/// Calls run their (short, synchronous) SQLite work on the caller's executor, then yield.
///
/// ```swift
/// let store = try SQLiteStore(path: "/var/lib/kctl/state.db")
/// let pod = try await store.create(object, as: .pod)
/// for try await event in try await store.watch(.pod, namespace: "default", from: 0) { ... }
/// ```
///
/// Run `runMaintenance()` as a service so the change log is compacted and the WAL checkpointed.
public final class SQLiteStore: Store {
    public let path: String
    public let options: StoreOptions
    let writer: SQLiteWriter
    let readers: ReaderPool
    let hub: WatchHub
    let types = TypeRegistry()
    let clock = TimestampSource()
    let policy: Locked<CompactionPolicy>
    let logger: Logger
    /// Calls since the last `Task.yield()`; see `yielding`.
    private let callsSinceYield = Atomic<Int>(0)

    /// Opens the database at `path`, creating the file and the schema when missing, and resumes
    /// from the revision stored there.
    public init(path: String, options: StoreOptions = .init(), logger: Logger = Logger(label: "kctl.store")) throws {
        self.path = path
        self.options = options
        self.logger = logger
        let hub = WatchHub(maxBacklog: options.maxWatchBacklog)
        self.hub = hub
        self.writer = try SQLiteWriter(path: path, options: options, hub: hub)
        self.readers = ReaderPool(path: path, size: options.readerPoolSize, busyTimeout: options.busyTimeout)
        var policy = CompactionPolicy(keepRevisions: options.keepRevisions, retention: options.retention)
        policy.record(revision: hub.lastRevision, at: .now)
        self.policy = Locked(policy)
    }

    /// Ends every watch and closes the connections; later calls fail. Safe to call twice.
    /// Open watches, for `/metrics`.
    public var watcherCount: Int { hub.watcherCount }

    public func close() {
        hub.finishAll()
        readers.close()
        writer.close()
    }

    deinit { close() }

    // MARK: Store

    public nonisolated(nonsending) func create(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        StoreMetrics.operation(.create)
        types.register(type)
        let prepared = try ObjectRules.prepareForCreate(
            object, as: type, uid: ObjectUID.make(), now: clock.now())
        let key = ObjectKey(type, namespace: prepared.namespace, name: prepared.name)
        let created = try await writer.perform(.create(prepared, key: key, type: type)).object
        await maybeYield()
        return created
    }

    public nonisolated(nonsending) func get(_ type: ResourceType, namespace: String?, name: String) async throws -> KubeObject {
        StoreMetrics.operation(.get)
        let key = ObjectKey(type, namespace: namespace, name: name)
        let object = try readers.withReader { db -> KubeObject? in
            let select = try db.statement(Schema.selectObject)
            defer { select.reset() }
            select.bind(1, key.resource)
            select.bind(2, key.namespace)
            select.bind(3, key.name)
            guard try select.step() else { return nil }
            return try select.withBlob(0) { try KubeObject(data: $0) }
        }
        guard let object else { throw StatusError.notFound(type, name) }
        return object
    }

    public nonisolated(nonsending) func list(_ type: ResourceType, namespace: String?) async throws -> ListResult {
        StoreMetrics.operation(.list)
        let scanned = try await yielding(try scan(type, namespace: namespace) { value in try KubeObject(data: value) })
        return ListResult(items: scanned.items, revision: scanned.revision)
    }

    public nonisolated(nonsending) func listJSON(_ type: ResourceType, namespace: String?) async throws -> RawListResult {
        StoreMetrics.operation(.list)
        let scanned = try await yielding(try scan(type, namespace: namespace) { value in [UInt8](value) })
        return RawListResult(items: scanned.items, revision: scanned.revision)
    }

    /// Reads one collection in one snapshot, turning each stored value into an item with `item`.
    private func scan<Item>(
        _ type: ResourceType, namespace: String?, _ item: (UnsafeRawBufferPointer) throws -> Item
    ) throws -> (items: [Item], revision: Int64) {
        try readers.withSnapshot { db in
            let revision = try db.scalar(Schema.currentRevision) ?? 0
            let select: SQLiteStatement
            if let namespace, type.namespaced {
                select = try db.statement(Schema.listNamespace)
                select.bind(2, namespace)
            } else {
                select = try db.statement(Schema.listAll)
            }
            defer { select.reset() }
            select.bind(1, type.groupResource)
            var items: [Item] = []
            while try select.step() {
                items.append(try select.withBlob(0, item))
            }
            return (items, revision)
        }
    }

    public nonisolated(nonsending) func update(_ object: KubeObject, as type: ResourceType, subresource: Subresource) async throws
        -> KubeObject
    {
        StoreMetrics.operation(.update)
        types.register(type)
        let key = ObjectKey(type, namespace: object.namespace, name: object.name)
        let updated = try await writer.perform(.update(object, key: key, type: type, subresource: subresource)).object
        await maybeYield()
        return updated
    }

    public nonisolated(nonsending) func update(
        _ type: ResourceType, namespace: String?, name: String, subresource: Subresource,
        mutate: @Sendable (inout KubeObject) throws -> Void
    ) async throws -> KubeObject {
        StoreMetrics.operation(.update)
        types.register(type)
        let key = ObjectKey(type, namespace: namespace, name: name)
        // The writer runs `mutate` before `perform` returns and keeps no reference to it after.
        let updated = try await withoutActuallyEscaping(mutate) { mutate in
            try await writer.perform(
                .mutate(key: key, type: type, subresource: subresource, attachment: nil, mutate: mutate)
            ).object
        }
        await maybeYield()
        return updated
    }

    public nonisolated(nonsending) func delete(
        _ type: ResourceType, namespace: String?, name: String, preconditions: Preconditions,
        gracePeriodSeconds: Int64?
    ) async throws -> DeleteResult {
        StoreMetrics.operation(.delete)
        types.register(type)
        let key = ObjectKey(type, namespace: namespace, name: name)
        let deleted = try await writer.perform(
            .delete(
                key: key, type: type, preconditions: preconditions, gracePeriodSeconds: gracePeriodSeconds,
                now: clock.now())
        ).deletion
        await maybeYield()
        return deleted
    }

    public nonisolated(nonsending) func write(_ writes: [StoreWrite]) async -> [StoreWriteResult] {
        var operations: [SQLiteWriter.Operation] = []
        operations.reserveCapacity(writes.count)
        /// Writes that failed before reaching the writer (a create without a name), by index.
        var refused: [Int: any Error] = [:]
        for (index, write) in writes.enumerated() {
            do {
                operations.append(try operation(for: write))
            } catch {
                refused[index] = error
            }
        }
        var outcomes = await writer.perform(operations).makeIterator()
        await maybeYield()
        return writes.indices.map { index in
            if let error = refused[index] { return .failed(error) }
            switch outcomes.next()! {
            case .failure(let error): return .failed(error)
            case .success(.deletion(let result)): return .deleted(result)
            case .success(.object(let object)): return .written(object)
            }
        }
    }

    /// The writer's operation for one write of a batch (what the single-write calls do first).
    private func operation(for write: StoreWrite) throws -> SQLiteWriter.Operation {
        switch write {
        case .create(let object, let type):
            StoreMetrics.operation(.create)
            types.register(type)
            let prepared = try ObjectRules.prepareForCreate(
                object, as: type, uid: ObjectUID.make(), now: clock.now())
            return .create(prepared, key: ObjectKey(type, namespace: prepared.namespace, name: prepared.name), type: type)
        case .update(let object, let type, let subresource):
            StoreMetrics.operation(.update)
            types.register(type)
            return .update(
                object, key: ObjectKey(type, namespace: object.namespace, name: object.name), type: type,
                subresource: subresource)
        case .mutate(let type, let namespace, let name, let subresource, let attachment, let mutate):
            StoreMetrics.operation(.update)
            types.register(type)
            return .mutate(
                key: ObjectKey(type, namespace: namespace, name: name), type: type, subresource: subresource,
                attachment: attachment, mutate: mutate)
        case .delete(let type, let namespace, let name, let preconditions, let grace):
            StoreMetrics.operation(.delete)
            types.register(type)
            return .delete(
                key: ObjectKey(type, namespace: namespace, name: name), type: type, preconditions: preconditions,
                gracePeriodSeconds: grace, now: clock.now())
        }
    }

    public nonisolated(nonsending) func attach(
        _ attachment: ObjectAttachment, to type: ResourceType, namespace: String?, name: String
    ) async throws {
        types.register(type)
        let key = ObjectKey(type, namespace: namespace, name: name)
        // A mutation that changes nothing, carrying the attachment.
        _ = try await writer.perform(
            .mutate(key: key, type: type, subresource: .main, attachment: attachment, mutate: { _ in }))
        await maybeYield()
    }

    public nonisolated(nonsending) func attachment(
        _ attachment: String, of type: ResourceType, namespace: String?, name: String
    ) async throws -> [UInt8]? {
        let key = ObjectKey(type, namespace: namespace, name: name)
        let found = try readers.withReader { db -> [UInt8]?? in
            let select = try db.statement(Schema.selectAttachment)
            defer { select.reset() }
            select.bind(1, key.resource)
            select.bind(2, key.namespace)
            select.bind(3, key.name)
            select.bind(4, attachment)
            guard try select.step() else { return nil }
            if select.isNull(0) { return .some(nil) }
            return .some(select.withBlob(0) { [UInt8]($0) })
        }
        guard let found else { throw StatusError.notFound(type, name) }
        return found
    }

    public nonisolated(nonsending) func watch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        let filter = watchFilter(type, namespace: namespace)
        let (registration, stream) = hub.register(filter)
        try start(registration, filter: filter, from: revision)
        return stream
    }

    public nonisolated(nonsending) func tickingWatch(_ type: ResourceType?, namespace: String?, from revision: Int64)
        async throws -> TickingWatch
    {
        let filter = watchFilter(type, namespace: namespace)
        let (registration, stream) = hub.registerTicking(filter)
        try start(registration, filter: filter, from: revision)
        guard case .ticking(let continuation) = registration.continuation else { preconditionFailure() }
        return TickingWatch(
            events: stream, tick: { _ = continuation.yield(nil) }, finish: { continuation.finish() })
    }

    private func watchFilter(_ type: ResourceType?, namespace: String?) -> WatchHub.Filter {
        if let type { types.register(type) }
        // A namespace says nothing about a cluster-scoped kind.
        let namespaceFilter = (type.map { !$0.namespaced } ?? false) ? nil : namespace
        return WatchHub.Filter(resource: type?.groupResource, namespace: namespaceFilter)
    }

    /// Replays the history a new watcher asked for, then lets it receive live events.
    private func start(_ registration: WatchHub.Registration, filter: WatchHub.Filter, from revision: Int64) throws {
        do {
            if revision < registration.startRevision {
                try replay(into: registration, filter: filter, after: revision)
            }
        } catch {
            hub.end(registration.id, registration.continuation, throwing: nil)
            throw error
        }
        hub.goLive(registration.id)
    }

    public nonisolated(nonsending) func currentRevision() async throws -> Int64 {
        hub.lastRevision
    }

    /// Runs the synchronous SQLite work of one call on the caller's executor (no hop to another
    /// thread: that would cost more than the write), yielding after every `yieldEvery`-th call,
    /// so that a task writing in a tight loop still lets watchers and other tasks run on the
    /// small cooperative pool. Not after every call: a yield re-enqueues the task and wakes a
    /// thread, which costs as much as a quarter of a write.
    private nonisolated(nonsending) func yielding<R>(_ work: @autoclosure () throws -> R) async rethrows -> R {
        let result = try work()
        await maybeYield()
        return result
    }

    private nonisolated(nonsending) func maybeYield() async {
        if callsSinceYield.wrappingAdd(1, ordering: .relaxed).newValue % Self.yieldEvery == 0 {
            await Task.yield()
        }
    }

    /// A writer in a tight loop gives up its thread about every 0.2 ms.
    private static let yieldEvery = 8

    // MARK: Watch replay

    /// Sends the logged changes in (`revision`, registration's start] that match `filter`, read in
    /// one snapshot; throws Expired when part of that range was compacted away.
    private func replay(into registration: WatchHub.Registration, filter: WatchHub.Filter, after revision: Int64)
        throws
    {
        try readers.withSnapshot { db in
            let compacted = try db.scalar(Schema.compacted) ?? 0
            if revision < compacted { throw StatusError.expired(requested: revision, oldest: compacted) }
            let select = try db.statement(Schema.replay)
            defer { select.reset() }
            select.bind(1, revision)
            select.bind(2, registration.startRevision)
            if let resource = filter.resource { select.bind(3, resource) } else { select.bindNull(3) }
            if let namespace = filter.namespace { select.bind(4, namespace) } else { select.bindNull(4) }
            while try select.step() {
                let value = select.withBlob(4) { [UInt8]($0) }
                let object = try KubeObject(data: value)
                let resource = select.text(1)
                let namespace = select.text(2)
                guard let type = WatchEvent.EventType(code: select.int64(3)) else {
                    throw StatusError.internalError("sqlite: unknown change type \(select.int64(3))")
                }
                let event = WatchEvent(
                    type: type, object: object, objectJSON: value, revision: select.int64(0),
                    resource: types.type(for: resource, object: object, namespace: namespace))
                guard hub.deliverReplayed(event, to: registration) else { return }
            }
        }
    }
}
