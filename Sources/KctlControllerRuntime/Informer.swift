import KctlModel
import KctlStore
import Logging

/// A local, always-current copy of one kind (optionally in one namespace): lists it, then watches
/// from the list's revision, keeping an in-memory cache keyed `namespace/name` and telling its
/// handlers about every change. When the watch is too old (Expired, 410) or ends, it lists again
/// and turns the difference with its cache into events, so handlers never miss a deletion.
///
/// Register handlers and indexes before `run()`. Handlers run synchronously on the informer's
/// task, in revision order, after the cache has changed: keep them short (enqueue a key).
///
///     let pods = Informer(store: store, resource: .pod)
///     pods.addHandler { event in queue.add(event.key) }
///     group.addTask { try await pods.run() }
///     await pods.waitForSync()
///     let running = pods.list(namespace: "default")
public final class Informer: Sendable {
    public typealias Handler = @Sendable (InformerEvent) -> Void
    public typealias IndexFunction = @Sendable (KubeObject) -> [String]

    private struct State {
        /// namespace ("" for cluster-scoped) -> name -> object
        var objects: [String: [String: KubeObject]] = [:]
        var count = 0
        var handlers: [Handler] = []
        var indexers: [String: IndexFunction] = [:]
        /// index name -> index value -> keys
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        var synced = false
        var syncWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var revision: Int64 = 0

        func get(_ key: ObjectKey) -> KubeObject? { objects[key.namespace ?? ""]?[key.name] }

        mutating func put(_ object: KubeObject) -> KubeObject? {
            let key = ObjectKey(object)
            let old = objects[key.namespace ?? "", default: [:]].updateValue(object, forKey: key.name)
            if old == nil { count += 1 }
            reindex(key, old: old, new: object)
            return old
        }

        mutating func remove(_ key: ObjectKey) -> KubeObject? {
            let namespace = key.namespace ?? ""
            guard let old = objects[namespace]?.removeValue(forKey: key.name) else { return nil }
            if objects[namespace]?.isEmpty == true { objects[namespace] = nil }
            count -= 1
            reindex(key, old: old, new: nil)
            return old
        }

        mutating func reindex(_ key: ObjectKey, old: KubeObject?, new: KubeObject?) {
            for (name, function) in indexers {
                let before = old.map(function) ?? []
                let after = new.map(function) ?? []
                if before == after { continue }
                for value in before { indexes[name]?[value]?.remove(key) }
                for value in after { indexes[name, default: [:]][value, default: []].insert(key) }
                for value in before where indexes[name]?[value]?.isEmpty == true { indexes[name]?[value] = nil }
            }
        }
    }

    public let resource: ResourceType
    public let namespace: String?
    /// Whether a `SharedInformers` lists and watches for this informer (then `run()` only waits).
    public let isShared: Bool
    private let store: any Store
    private let logger: Logger
    private let clock: ClockBox
    private let state = Locked(State())

    /// - Parameters:
    ///   - namespace: watch one namespace only (nil: all).
    ///   - clock: paces retries after store errors.
    public convenience init(
        store: any Store, resource: ResourceType, namespace: String? = nil, logger: Logger = Logger(label: "kctl.informer"),
        clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.init(store: store, resource: resource, namespace: namespace, logger: logger, clock: clock, shared: false)
    }

    init(
        store: any Store, resource: ResourceType, namespace: String?, logger: Logger, clock: any Clock<Duration>,
        shared: Bool
    ) {
        self.store = store
        self.resource = resource
        self.namespace = namespace
        self.isShared = shared
        self.logger = logger
        self.clock = ClockBox(clock)
    }

    // MARK: Set-up

    /// Adds a handler for every later change. Register before `run()`: events before are not replayed.
    public func addHandler(_ handler: @escaping Handler) {
        state.withLock { $0.handlers.append(handler) }
    }

    /// Adds an index: `function` gives the values an object is found under by `list(index:value:)`
    /// (for example the uid of its controller). Register before `run()`.
    public func addIndex(_ name: String, _ function: @escaping IndexFunction) {
        state.withLock { s in
            s.indexers[name] = function
            var index: [String: Set<ObjectKey>] = [:]
            for objects in s.objects.values {
                for object in objects.values {
                    for value in function(object) { index[value, default: []].insert(ObjectKey(object)) }
                }
            }
            s.indexes[name] = index
        }
    }

    // MARK: Running

    /// Lists and watches until cancelled. Store errors are logged and retried with back-off;
    /// only cancellation ends it. On an informer of a `SharedInformers`, which lists and watches
    /// for all its consumers, it only waits until cancelled.
    public func run() async throws {
        if isShared {
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
            return
        }
        try await listAndWatch()
    }

    /// What `run()` does on an informer of its own.
    func listAndWatch() async throws {
        var failures = 0
        var resumeFrom: Int64?
        while !Task.isCancelled {
            do {
                let from: Int64
                if let revision = resumeFrom {
                    from = revision
                } else {
                    let list = try await store.list(resource, namespace: namespace)
                    replace(with: list.items, revision: list.revision)
                    from = list.revision
                }
                resumeFrom = nil
                let events = try await store.watch(resource, namespace: namespace, from: from)
                failures = 0
                for try await event in events {
                    apply(event)
                }
                // The stream ended without an error (the store is closing, or it ended us):
                // resume from where we are; a too-old revision leads to a relist below.
                resumeFrom = state.withLock { $0.revision }
                try Task.checkCancellation()
                try await clock.sleepFor(.milliseconds(50))
            } catch is CancellationError {
                return
            } catch let error as StatusError where error.code == 410 {
                logger.info("informer \(resource): watch expired (\(error.message)); relisting")
                resumeFrom = nil
            } catch {
                if Task.isCancelled { return }
                failures += 1
                resumeFrom = nil
                let delay = WorkQueue.BackOff(base: .milliseconds(100), max: .seconds(10)).delay(failures: failures)
                logger.warning("informer \(resource): \(error); retrying in \(delay)")
                do { try await clock.sleepFor(delay) } catch { return }
            }
        }
    }

    /// Returns once the first list is in the cache (or the waiting task is cancelled).
    public func waitForSync() async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if s.synced || Task.isCancelled { return true }
                    s.syncWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Whether the first list has been loaded.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// The store revision the cache reflects.
    public var revision: Int64 { state.withLock { $0.revision } }

    // MARK: Reading the cache

    public func get(namespace: String?, name: String) -> KubeObject? {
        let key = ObjectKey(namespace: resource.namespaced ? namespace : nil, name: name)
        return state.withLock { $0.get(key) }
    }

    public func get(_ key: ObjectKey) -> KubeObject? {
        get(namespace: key.namespace, name: key.name)
    }

    /// Every cached object (in one namespace, or all when nil), sorted by namespace and name.
    public func list(namespace: String? = nil) -> [KubeObject] {
        let objects = state.withLock { s -> [KubeObject] in
            if let namespace, resource.namespaced { return Array(s.objects[namespace]?.values ?? [:].values) }
            return s.objects.values.flatMap(\.values)
        }
        return objects.sorted { ObjectKey($0) < ObjectKey($1) }
    }

    /// Cached objects whose labels match `selector`.
    public func list(namespace: String?, selector: LabelSelector) -> [KubeObject] {
        list(namespace: namespace).filter { selector.matches($0.labels) }
    }

    /// Cached objects filed under `value` in the index `name` (see `addIndex`), sorted.
    public func list(index name: String, value: String) -> [KubeObject] {
        let objects = state.withLock { s -> [KubeObject] in
            (s.indexes[name]?[value] ?? []).compactMap { s.get($0) }
        }
        return objects.sorted { ObjectKey($0) < ObjectKey($1) }
    }

    /// How many objects the cache holds.
    public var count: Int { state.withLock { $0.count } }

    /// Every cached key.
    public func keys() -> [ObjectKey] {
        state.withLock { s in s.objects.values.flatMap { $0.values.map(ObjectKey.init) } }.sorted()
    }

    // MARK: Applying changes

    private func apply(_ event: WatchEvent) {
        let (handlers, informerEvent) = state.withLock { s -> ([Handler], InformerEvent?) in
            s.revision = max(s.revision, event.revision)
            switch event.type {
            case .added, .modified:
                if let old = s.put(event.object) {
                    return (s.handlers, .updated(old: old, new: event.object))
                }
                return (s.handlers, .added(event.object))
            case .deleted:
                let old = s.remove(ObjectKey(event.object))
                return (s.handlers, old == nil ? nil : .deleted(event.object))
            }
        }
        guard let informerEvent else { return }
        for handler in handlers { handler(informerEvent) }
    }

    /// Replaces the cache with a fresh list, turning the differences into events.
    private func replace(with items: [KubeObject], revision: Int64) {
        let (handlers, events, waiters) = state.withLock {
            s -> ([Handler], [InformerEvent], [CheckedContinuation<Void, Never>]) in
            var events: [InformerEvent] = []
            var seen = Set<ObjectKey>()
            for object in items {
                let key = ObjectKey(object)
                seen.insert(key)
                let old = s.put(object)
                if let old {
                    if old != object { events.append(.updated(old: old, new: object)) }
                } else {
                    events.append(.added(object))
                }
            }
            let gone = s.objects.values.flatMap { $0.values.map(ObjectKey.init) }.filter { !seen.contains($0) }
            for key in gone.sorted() {
                if let old = s.remove(key) { events.append(.deleted(old)) }
            }
            s.revision = revision
            s.synced = true
            let waiters = Array(s.syncWaiters.values)
            s.syncWaiters = [:]
            return (s.handlers, events, waiters)
        }
        for event in events {
            for handler in handlers { handler(event) }
        }
        for waiter in waiters { waiter.resume() }
    }
}
