import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import Testing

/// The recorder's queue: posted events are written in batches without blocking the caller,
/// repeats meeting in the queue aggregate, and a full queue drops rather than waits.
@Suite struct EventBatchingTests {
    static let logger = Logger(label: "test")

    func object(_ name: String) -> KubeObject {
        var object = KubeObject(["apiVersion": "apps/v1", "kind": "ReplicaSet"])
        object.name = name
        object.namespace = "default"
        object.uid = "uid-\(name)"
        return object
    }

    @Test func postedEventsAreWrittenWithoutWaiting() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "test", logger: Self.logger)
            for i in 0..<50 { recorder.post(object("rs-\(i)"), type: .normal, reason: "SuccessfulCreate", message: "Created pod: p-\(i)") }
            await recorder.flush()
            let events = try await store.list(.event, namespace: "default").items
            #expect(events.count == 50)
            #expect(Set(events.compactMap { $0["involvedObject"]?["name"]?.stringValue }).count == 50)
            #expect(events.allSatisfy { $0["count"] == 1 && $0["source"]?["component"] == "test" })
        }
    }

    @Test func repeatsAggregateWhetherQueuedOrWritten() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "test", logger: Self.logger)
            let rs = object("web")
            for _ in 0..<5 { recorder.post(rs, type: .warning, reason: "FailedCreate", message: "quota") }
            await recorder.flush()
            await recorder.warning(rs, reason: "FailedCreate", message: "quota")
            let events = try await store.list(.event, namespace: "default").items
            #expect(events.count == 1)
            #expect(events.first?["count"] == 6)
            #expect(events.first?["type"] == "Warning")
        }
    }

    /// With the store stalled, `post` still returns at once; past the queue's limit new events
    /// are dropped, and what was queued is written once the store moves again.
    @Test func aFullQueueDropsInsteadOfBlocking() async throws {
        try await withStore { store in
            let gated = GatedStore(store)
            let recorder = EventRecorder(store: gated, component: "test", logger: Self.logger, queueLimit: 3)
            recorder.post(object("first"), type: .normal, reason: "R", message: "m")
            try await eventually("the first batch to reach the store") { gated.waiting > 0 }
            for i in 0..<10 { recorder.post(object("later-\(i)"), type: .normal, reason: "R", message: "m") }
            gated.open()
            await recorder.flush()
            let names = try await store.list(.event, namespace: "default").items.compactMap { $0["involvedObject"]?["name"]?.stringValue }
            #expect(names.sorted() == ["first", "later-0", "later-1", "later-2"])
        }
    }

    /// `record` returns once its own event is stored, even when others' events are queued too.
    @Test func recordWaitsForItsOwnEvent() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "test", logger: Self.logger)
            await withTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        recorder.post(object("posted-\(i)"), type: .normal, reason: "R", message: "m")
                        await recorder.normal(object("recorded-\(i)"), reason: "R", message: "m")
                        let stored = try? await store.list(.event, namespace: "default").items
                        #expect(stored?.contains { $0["involvedObject"]?["name"]?.stringValue == "recorded-\(i)" } == true)
                    }
                }
            }
        }
    }
}

/// A store whose batch writes wait until `open()`; everything else goes straight through.
final class GatedStore: Store, @unchecked Sendable {
    private let store: SQLiteStore
    private let state = Locked((open: false, waiters: [CheckedContinuation<Void, Never>]()))

    init(_ store: SQLiteStore) { self.store = store }

    var waiting: Int { state.withLock { $0.waiters.count } }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func write(_ writes: [StoreWrite]) async -> [StoreWriteResult] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
        return await store.write(writes)
    }

    func create(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        try await store.create(object, as: type)
    }
    func get(_ type: ResourceType, namespace: String?, name: String) async throws -> KubeObject {
        try await store.get(type, namespace: namespace, name: name)
    }
    func list(_ type: ResourceType, namespace: String?) async throws -> ListResult {
        try await store.list(type, namespace: namespace)
    }
    func update(_ object: KubeObject, as type: ResourceType, subresource: Subresource) async throws -> KubeObject {
        try await store.update(object, as: type, subresource: subresource)
    }
    func update(
        _ type: ResourceType, namespace: String?, name: String, subresource: Subresource,
        mutate: @Sendable (inout KubeObject) throws -> Void
    ) async throws -> KubeObject {
        try await store.update(type, namespace: namespace, name: name, subresource: subresource, mutate: mutate)
    }
    func delete(
        _ type: ResourceType, namespace: String?, name: String, preconditions: Preconditions, gracePeriodSeconds: Int64?
    ) async throws -> DeleteResult {
        try await store.delete(
            type, namespace: namespace, name: name, preconditions: preconditions, gracePeriodSeconds: gracePeriodSeconds)
    }
    func watch(_ type: ResourceType?, namespace: String?, from revision: Int64) async throws
        -> AsyncThrowingStream<WatchEvent, any Error>
    {
        try await store.watch(type, namespace: namespace, from: revision)
    }
    func currentRevision() async throws -> Int64 { try await store.currentRevision() }
    func attach(_ attachment: ObjectAttachment, to type: ResourceType, namespace: String?, name: String) async throws {
        try await store.attach(attachment, to: type, namespace: namespace, name: name)
    }
    func attachment(_ attachment: String, of type: ResourceType, namespace: String?, name: String) async throws
        -> [UInt8]?
    {
        try await store.attachment(attachment, of: type, namespace: namespace, name: name)
    }
}
