import KctlModel

/// Fans committed changes out to watchers, in commit order, right after each commit.
///
/// A new watcher first replays history from the change log, then goes live. To leave no gap and
/// no duplicate between the two, it is registered before the replay at the hub's last published
/// revision R: the replay covers (from, R], and every event published after registration (all
/// above R) is held in the watcher's buffer until the replay is done, then flushed in order.
///
/// The hub never blocks a writer on a slow consumer: each stream buffers up to `maxBacklog`
/// events; a watcher that falls further behind is ended with Expired so its client relists.
final class WatchHub: Sendable {
    /// Which changes a watcher wants; nil matches everything.
    struct Filter: Sendable, Hashable {
        var resource: String?
        var namespace: String?

        func matches(resource: String, namespace: String) -> Bool {
            (self.resource == nil || self.resource == resource) && (self.namespace == nil || self.namespace == namespace)
        }
    }

    /// Where a watcher's events go: a stream of events, or one that may also carry `nil` ticks
    /// (`Store.tickingWatch`).
    enum Continuation: Sendable {
        case events(AsyncThrowingStream<WatchEvent, any Error>.Continuation)
        case ticking(AsyncThrowingStream<WatchEvent?, any Error>.Continuation)

        enum Outcome { case enqueued, dropped, terminated }

        func yield(_ event: WatchEvent) -> Outcome {
            switch self {
            case .events(let c):
                switch c.yield(event) {
                case .enqueued: return .enqueued
                case .dropped: return .dropped
                default: return .terminated
                }
            case .ticking(let c):
                switch c.yield(event) {
                case .enqueued: return .enqueued
                case .dropped: return .dropped
                default: return .terminated
                }
            }
        }

        func finish(throwing error: (any Error)? = nil) {
            switch self {
            case .events(let c): c.finish(throwing: error)
            case .ticking(let c): c.finish(throwing: error)
            }
        }

        fileprivate func onTermination(_ body: @escaping @Sendable () -> Void) {
            switch self {
            case .events(let c): c.onTermination = { _ in body() }
            case .ticking(let c): c.onTermination = { _ in body() }
            }
        }
    }

    struct Registration {
        var id: UInt64
        var continuation: Continuation
        /// The last revision published before the watcher was registered: replay up to here.
        var startRevision: Int64
    }

    private struct Watcher {
        var filter: Filter
        var continuation: Continuation
        /// Live events held back while the watcher is still replaying history.
        var pending: [WatchEvent]? = []
    }

    private struct State {
        var watchers: [UInt64: Watcher] = [:]
        /// Watchers of one resource, by resource; watchers of every resource under nil. A change
        /// is offered only to the watchers of its resource and those of all, not to every one.
        var byResource: [String?: Set<UInt64>] = [:]
        var nextID: UInt64 = 1
        var lastRevision: Int64
        var closed = false

        mutating func add(_ id: UInt64, _ watcher: Watcher) {
            watchers[id] = watcher
            byResource[watcher.filter.resource, default: []].insert(id)
        }

        @discardableResult
        mutating func remove(_ id: UInt64) -> Watcher? {
            guard let watcher = watchers.removeValue(forKey: id) else { return nil }
            let resource = watcher.filter.resource
            byResource[resource]?.remove(id)
            if byResource[resource]?.isEmpty == true { byResource[resource] = nil }
            return watcher
        }
    }

    private let state: Locked<State>
    let maxBacklog: Int

    init(maxBacklog: Int) {
        self.state = Locked(State(lastRevision: 0))
        self.maxBacklog = maxBacklog
    }

    /// Sets the revision the store opened at, before any watcher registers.
    func start(at revision: Int64) {
        state.withLock { $0.lastRevision = revision }
    }

    /// The last revision published: every write at or below it has been committed and sent.
    var lastRevision: Int64 { state.withLock { $0.lastRevision } }

    var watcherCount: Int { state.withLock { $0.watchers.count } }

    /// Adds a watcher in the replaying state. Its stream ends (and unregisters) when dropped.
    func register(_ filter: Filter) -> (Registration, AsyncThrowingStream<WatchEvent, any Error>) {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: WatchEvent.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(maxBacklog))
        return (register(filter, .events(continuation)), stream)
    }

    /// `register`, for a stream that can also carry `nil` ticks.
    func registerTicking(_ filter: Filter) -> (Registration, AsyncThrowingStream<WatchEvent?, any Error>) {
        let (stream, continuation) = AsyncThrowingStream.makeStream(
            of: WatchEvent?.self, throwing: (any Error).self, bufferingPolicy: .bufferingOldest(maxBacklog))
        return (register(filter, .ticking(continuation)), stream)
    }

    private func register(_ filter: Filter, _ continuation: Continuation) -> Registration {
        let (id, revision, closed) = state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            if !state.closed { state.add(id, Watcher(filter: filter, continuation: continuation)) }
            return (id, state.lastRevision, state.closed)
        }
        continuation.onTermination { [weak self] in self?.remove(id) }
        if closed { continuation.finish() }
        return Registration(id: id, continuation: continuation, startRevision: revision)
    }

    /// Delivers one replayed event; false when the watcher is gone or overflowed (stop replaying).
    func deliverReplayed(_ event: WatchEvent, to registration: Registration) -> Bool {
        switch registration.continuation.yield(event) {
        case .enqueued: return true
        case .terminated: return false
        case .dropped:
            end(registration.id, registration.continuation, throwing: overflowError())
            return false
        }
    }

    /// Ends the replay: flushes the events held back meanwhile, then delivers live.
    func goLive(_ id: UInt64) {
        var overflowed: Continuation?
        state.withLock { state in
            guard var watcher = state.watchers[id], let pending = watcher.pending else { return }
            for event in pending {
                if case .dropped = watcher.continuation.yield(event) {
                    state.remove(id)
                    overflowed = watcher.continuation
                    return
                }
            }
            watcher.pending = nil
            state.watchers[id] = watcher
        }
        overflowed?.finish(throwing: overflowError())
    }

    /// Ends a watcher with an error (or normally, with nil).
    func end(_ id: UInt64, _ continuation: Continuation, throwing error: (any Error)?) {
        remove(id)
        continuation.finish(throwing: error)
    }

    func remove(_ id: UInt64) {
        _ = state.withLock { $0.remove(id) }
    }

    /// Sends a committed change to every matching watcher. The writer calls it after each commit,
    /// in revision order, so every watcher sees changes in order.
    func publish(_ event: WatchEvent, resource: String, namespace: String) {
        var ended: [Continuation] = []
        state.withLock { state in
            state.lastRevision = event.revision
            var gone: [UInt64] = []
            var held: [UInt64] = []
            func offer(_ id: UInt64) {
                guard let watcher = state.watchers[id], watcher.filter.matches(resource: resource, namespace: namespace)
                else { return }
                if let pending = watcher.pending {
                    if pending.count >= maxBacklog {
                        gone.append(id)
                        ended.append(watcher.continuation)
                    } else {
                        held.append(id)
                    }
                    return
                }
                switch watcher.continuation.yield(event) {
                case .enqueued: break
                case .dropped:
                    gone.append(id)
                    ended.append(watcher.continuation)
                case .terminated: gone.append(id)
                }
            }
            for id in state.byResource[resource] ?? [] { offer(id) }
            for id in state.byResource[nil] ?? [] { offer(id) }
            // Mutate only after the loops, so the sets are not copied under the iterators.
            for id in held { state.watchers[id]?.pending?.append(event) }
            for id in gone { state.remove(id) }
        }
        // Outside the lock: finishing runs onTermination, which takes it again.
        for continuation in ended { continuation.finish(throwing: overflowError()) }
    }

    /// Ends every stream normally (the store is closing); later registrations end at once.
    func finishAll() {
        let all = state.withLock { state in
            state.closed = true
            defer {
                state.watchers.removeAll()
                state.byResource.removeAll()
            }
            return state.watchers.values.map(\.continuation)
        }
        for continuation in all { continuation.finish() }
    }

    private func overflowError() -> StatusError {
        StatusError(
            reason: .expired, code: 410,
            message: "the watch fell more than \(maxBacklog) events behind and was closed; list and watch again")
    }
}
