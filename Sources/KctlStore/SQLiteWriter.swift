import CSQLite
import Foundation
import KctlModel

/// Where one object lives in the tables.
struct ObjectKey: Sendable, Hashable {
    var resource: String
    var namespace: String
    var name: String

    init(_ type: ResourceType, namespace: String?, name: String) {
        self.resource = type.groupResource
        self.namespace = ObjectRules.storageNamespace(namespace, for: type)
        self.name = name
    }
}

/// The one connection that writes. Every write in the process goes through it, so SQLite never
/// reports "database is locked" to us. Writes commit in groups (see `CommitQueue`): a writer that
/// finds the connection idle commits its write at once, on its own thread; writers that arrive
/// while a commit is running wait (suspended, not blocking a thread), and the next commit takes
/// all of them in one transaction. Each write still gets its own revision, its own result and
/// its own event, published right after the commit, under the lock, in revision order.
///
/// A lock rather than an actor: a write is a few tens of microseconds of synchronous SQLite work,
/// and running it on the caller's thread avoids two executor hops (and thread wake-ups) per
/// write, which cost more than the write itself. Nothing awaits while holding the lock.
///
/// The writer keeps the committed value of recently written objects (`current`), so an update
/// or delete does not read and parse the row it is about to replace. The cache is written only
/// after a commit, so it never holds a value that was rolled back; a write later in the same
/// transaction reads what the earlier ones wrote from `uncommitted`. It relies on what the
/// revision counter already relies on: this connection is the only writer of the file.
final class SQLiteWriter: @unchecked Sendable {
    /// One write, as the writer runs it.
    enum Operation: Sendable {
        case create(KubeObject, key: ObjectKey, type: ResourceType)
        case update(KubeObject, key: ObjectKey, type: ResourceType, subresource: Subresource)
        case mutate(
            key: ObjectKey, type: ResourceType, subresource: Subresource, attachment: ObjectAttachment?,
            mutate: @Sendable (inout KubeObject) throws -> Void)
        case delete(key: ObjectKey, type: ResourceType, preconditions: Preconditions, gracePeriodSeconds: Int64?, now: String)
    }

    /// What a successful write returns to its caller.
    enum Output: Sendable {
        case object(KubeObject)
        case deletion(DeleteResult)

        var object: KubeObject {
            switch self {
            case .object(let object): return object
            case .deletion(let result): return result.object
            }
        }

        var deletion: DeleteResult {
            switch self {
            case .object(let object): return .pending(object)
            case .deletion(let result): return result
            }
        }
    }

    private static let eventResource = ResourceType.event.groupResource

    /// Most writes one transaction takes; the rest wait for the next commit.
    static let maxGroup = 512

    private let lock = NSLock()
    private let db: SQLiteConnection
    private let hub: WatchHub
    private let busyTimeout: Duration
    /// The newest committed revision (guarded by `lock`).
    private var _revision: Int64
    /// Committed objects, parsed and as stored (guarded by `lock`).
    private var current: CurrentObjects
    /// Objects written by the open transaction, nil for removed (guarded by `lock`; empty
    /// between transactions).
    private var uncommitted: [ObjectKey: KubeObject?] = [:]
    /// Whether the write `commit` runs has changed a row yet: a failure after that point cannot
    /// be undone by the write alone.
    private var wroteRows = false
    /// Whether the open transaction stored an attachment (which makes no revision, but still
    /// needs the transaction committed).
    private var attached = false
    private let checkpointer: Checkpointer
    private let queue = CommitQueue()

    var revision: Int64 { locked { _revision } }

    init(path: String, options: StoreOptions, hub: WatchHub) throws {
        let db = try SQLiteConnection(path: path, readOnly: false, busyTimeout: options.busyTimeout)
        try db.configureWriter(options)
        self.db = db
        self.hub = hub
        self.busyTimeout = options.busyTimeout
        self._revision = try db.scalar(Schema.currentRevision) ?? 0
        self.current = CurrentObjects(capacity: options.writerCacheSize)
        self.checkpointer = try Checkpointer(path: path, busyTimeout: options.busyTimeout)
        checkpointer.attach(to: db)
        hub.start(at: _revision)
    }

    func close() {
        locked {
            current.removeAll()
            if db.isOpen { checkpointer.detach(from: db) }
            db.close()
        }
    }

    /// The keys in the writer's cache (for tests).
    var cachedKeys: Int { locked { current.count } }

    private func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    // MARK: Writes

    /// Runs one write (committed with whatever else is waiting) and returns what it wrote.
    func perform(_ operation: Operation) async throws -> Output {
        try await queue.submit([operation]) { self.commit($0) }[0].get()
    }

    /// Runs `operations` in order, at consecutive revisions, committed together (and with
    /// whatever else is waiting); each has its own result.
    func perform(_ operations: [Operation]) async -> [Result<Output, any Error>] {
        guard !operations.isEmpty else { return [] }
        return await queue.submit(operations) { self.commit($0) }
    }

    /// Runs `operations` in one transaction, each at the next revision, then commits, updates the
    /// cache and publishes the events in revision order. A write that fails before it wrote a row
    /// (NotFound, Conflict, AlreadyExists, a rule or its mutation refusing) fails alone and
    /// changes nothing, so no savepoint is needed around each; one that fails after (SQLite
    /// itself failing mid-write: I/O, a full disk) leaves its rows half-written, so the whole
    /// transaction is rolled back and every write of the group fails, as when a commit fails.
    private func commit(_ operations: [Operation]) -> [Result<Output, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        guard db.isOpen else {
            return operations.map { _ in .failure(StatusError.internalError("sqlite: the store is closed")) }
        }
        var results: [Result<Output, any Error>] = []
        results.reserveCapacity(operations.count)
        var commits: [Commit] = []
        defer { uncommitted.removeAll(keepingCapacity: true) }
        do {
            try db.statement(Schema.begin).run()
        } catch {
            return operations.map { _ in .failure(error) }
        }
        var next = _revision + 1
        attached = false
        for operation in operations {
            wroteRows = false
            do {
                let (output, commit) = try run(operation, revision: next)
                if let commit {
                    uncommitted[commit.key] = commit.event.type == .deleted ? .some(nil) : commit.event.object
                    commits.append(commit)
                    next += 1
                }
                results.append(.success(output))
            } catch {
                if wroteRows {
                    try? db.statement(Schema.rollback).run()
                    return operations.map { _ in .failure(error) }
                }
                results.append(.failure(error))
            }
        }
        do {
            if commits.isEmpty && !attached {
                try db.statement(Schema.rollback).run()
            } else {
                try db.statement(Schema.commit).run()
            }
        } catch {
            try? db.statement(Schema.rollback).run()
            return operations.map { _ in .failure(error) }
        }
        for commit in commits {
            _revision = commit.event.revision
            if commit.event.type == .deleted {
                current.remove(commit.key)
            } else if commit.event.type == .added && commit.key.resource == Self.eventResource {
                // Events are written once and seldom changed (a repeat's count): caching each new
                // one would push out the pods and sets that controllers update next.
            } else {
                current.insert(commit.key, commit.event.object)
            }
            hub.publish(commit.event, resource: commit.key.resource, namespace: commit.key.namespace)
        }
        return results
    }

    /// Does the SQL of one write at `revision`: returns its output and what it wrote (nil when
    /// it wrote nothing).
    private func run(_ operation: Operation, revision: Int64) throws -> (Output, Commit?) {
        switch operation {
        case .create(let prepared, let key, let type):
            var object = prepared
            ObjectRules.stamp(&object, revision: revision)
            let value = object.serialized()
            let insert = try db.statement(Schema.insertObject)
            bind(insert, key)
            insert.bind(4, revision)
            try insert.run()
            if db.changes == 0 { throw StatusError.alreadyExists(type, key.name) }
            wroteRows = true
            try logChange(revision, key, .added, value)
            let event = WatchEvent(type: .added, object: object, objectJSON: value, revision: revision, resource: type)
            return (.object(object), Commit(event: event, key: key))
        case .update(let incoming, let key, let type, let subresource):
            guard let stored = try load(key) else { throw StatusError.notFound(type, key.name) }
            let outcome = try ObjectRules.update(
                stored: stored, incoming: incoming, as: type, subresource: subresource, checkVersion: true)
            let (object, commit) = try apply(outcome, key: key, type: type, revision: revision)
            return (.object(object), commit)
        case .mutate(let key, let type, let subresource, let attachment, let mutate):
            guard let stored = try load(key) else { throw StatusError.notFound(type, key.name) }
            var changed = stored
            try mutate(&changed)
            let outcome = try ObjectRules.update(
                stored: stored, incoming: changed, as: type, subresource: subresource, checkVersion: false)
            let (object, commit) = try apply(outcome, key: key, type: type, revision: revision)
            // Not when this very write removed the object (its last finalizer cleared).
            if let attachment, commit?.event.type != .deleted { try put(attachment, key) }
            return (.object(object), commit)
        case .delete(let key, let type, let preconditions, let gracePeriodSeconds, let now):
            guard let stored = try load(key) else { throw StatusError.notFound(type, key.name) }
            let outcome = try ObjectRules.delete(
                stored: stored, as: type, preconditions: preconditions, gracePeriodSeconds: gracePeriodSeconds,
                now: now)
            switch outcome {
            case .alreadyMarked(let object):
                return (.deletion(.pending(object)), nil)
            case .mark(let object):
                let (written, commit) = try apply(.write(object), key: key, type: type, revision: revision)
                return (.deletion(.pending(written)), commit)
            case .remove(let object):
                let (removed, commit) = try apply(.remove(object), key: key, type: type, revision: revision)
                return (.deletion(.deleted(removed)), commit)
            }
        }
    }

    // MARK: Maintenance

    /// Deletes change rows up to `target` (at most `batch` revisions, to keep the transaction
    /// short) and records the compacted revision. Returns the compacted revision afterwards.
    func compactStep(upTo target: Int64, batch: Int64) throws -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        let compacted = try db.scalar(Schema.compacted) ?? 0
        let upTo = min(target, _revision, compacted + max(1, batch))
        guard upTo > compacted else { return compacted }
        try db.statement(Schema.begin).run()
        do {
            let delete = try db.statement(Schema.deleteChangesUpTo)
            delete.bind(1, upTo)
            try delete.run()
            let record = try db.statement(Schema.setCompacted)
            record.bind(1, upTo)
            try record.run()
            try db.statement(Schema.commit).run()
        } catch {
            try? db.statement(Schema.rollback).run()
            throw error
        }
        return upTo
    }

    func compactedRevision() throws -> Int64 {
        try locked { try db.scalar(Schema.compacted) ?? 0 }
    }

    /// Returns free pages to the file system (the database uses `auto_vacuum = INCREMENTAL`).
    func reclaimSpace() throws {
        try locked { try db.execute("PRAGMA incremental_vacuum") }
    }

    /// Copies the WAL into the database. `truncate` also empties the WAL file, waiting at most
    /// `wait` for readers still on an older snapshot. Returns false when it could not finish.
    func checkpoint(truncate: Bool, wait: Duration) throws -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let handle = db.handle else { throw StatusError.internalError("sqlite: the store is closed") }
        db.setBusyTimeout(wait)
        defer { db.setBusyTimeout(busyTimeout) }
        var logFrames: Int32 = 0
        var checkpointed: Int32 = 0
        let mode = truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE
        let rc = sqlite3_wal_checkpoint_v2(handle, nil, mode, &logFrames, &checkpointed)
        if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { return false }
        guard rc == SQLITE_OK else { throw db.error(rc, context: "wal_checkpoint") }
        return logFrames == checkpointed
    }

    // MARK: Plumbing

    /// What a write committed: the event to publish, for the object at `key`.
    private struct Commit {
        var event: WatchEvent
        var key: ObjectKey
    }

    /// Persists an update outcome at `revision`.
    private func apply(_ outcome: ObjectRules.UpdateOutcome, key: ObjectKey, type: ResourceType, revision: Int64)
        throws -> (KubeObject, Commit?)
    {
        switch outcome {
        case .unchanged(let stored):
            return (stored, nil)
        case .write(var object):
            ObjectRules.stamp(&object, revision: revision)
            let value = object.serialized()
            let update = try db.statement(Schema.updateObject)
            bind(update, key)
            update.bind(4, revision)
            try update.run()
            wroteRows = true
            try logChange(revision, key, .modified, value)
            let event = WatchEvent(type: .modified, object: object, objectJSON: value, revision: revision, resource: type)
            return (object, Commit(event: event, key: key))
        case .remove(var object):
            ObjectRules.stamp(&object, revision: revision)
            let value = object.serialized()
            let delete = try db.statement(Schema.deleteObject)
            bind(delete, key)
            try delete.run()
            wroteRows = true
            let detach = try db.statement(Schema.deleteAttachments)
            bind(detach, key)
            try detach.run()
            try logChange(revision, key, .deleted, value)
            let event = WatchEvent(type: .deleted, object: object, objectJSON: value, revision: revision, resource: type)
            return (object, Commit(event: event, key: key))
        }
    }

    private func put(_ attachment: ObjectAttachment, _ key: ObjectKey) throws {
        let put = try db.statement(Schema.putAttachment)
        bind(put, key)
        put.bind(4, attachment.name)
        put.bind(5, attachment.value)
        wroteRows = true
        try put.run()
        attached = true
    }

    private func logChange(_ revision: Int64, _ key: ObjectKey, _ type: WatchEvent.EventType, _ value: [UInt8]) throws {
        let insert = try db.statement(Schema.insertChange)
        insert.bind(1, revision)
        insert.bind(2, key.resource)
        insert.bind(3, key.namespace)
        insert.bind(4, key.name)
        insert.bind(5, type.code)
        insert.bind(6, value)
        try insert.run()
    }

    /// The object at `key` as this transaction sees it: written earlier in it, else committed
    /// (from the cache, else read and then cached).
    private func load(_ key: ObjectKey) throws -> KubeObject? {
        if let written = uncommitted[key] { return written }
        if let hit = current[key] { return hit }
        let select = try db.statement(Schema.selectObject)
        defer { select.reset() }
        bind(select, key)
        guard try select.step() else { return nil }
        let object = try select.withBlob(0) { try KubeObject(data: $0) }
        current.insert(key, object)
        return object
    }

    private func bind(_ statement: SQLiteStatement, _ key: ObjectKey) {
        statement.bind(1, key.resource)
        statement.bind(2, key.namespace)
        statement.bind(3, key.name)
    }
}

extension WatchEvent.EventType {
    /// The `type` column of the change log.
    var code: Int64 {
        switch self {
        case .added: return 0
        case .modified: return 1
        case .deleted: return 2
        }
    }

    init?(code: Int64) {
        switch code {
        case 0: self = .added
        case 1: self = .modified
        case 2: self = .deleted
        default: return nil
        }
    }
}
