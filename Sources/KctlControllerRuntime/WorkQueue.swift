import KctlModel

/// The queue between informers and a controller's workers, as client-go's rate-limited work queue:
///
/// - a key queued twice is queued once (de-duplication);
/// - a key handed to a worker is never handed to another until the first calls `done`; a key added
///   while it is being processed is queued again on `done`;
/// - `addAfter` queues a key after a delay, `addRateLimited` after a per-key exponential back-off
///   (`forget` resets it).
///
/// Adds are synchronous, so informer event handlers (which are synchronous) enqueue directly, in
/// order, without a task per event. Only `get()` suspends. Delays use the injected clock.
///
///     let queue = WorkQueue(name: "deployment")
///     queue.add(ObjectKey(namespace: "default", name: "web"))
///     while let key = await queue.get() {
///         defer { queue.done(key) }
///         ...
///     }
public final class WorkQueue: Sendable {
    /// Per-key exponential back-off: `base * 2^(failures-1)`, at most `max` (client-go: 5 ms to 1000 s).
    public struct BackOff: Sendable, Hashable {
        public var base: Duration
        public var max: Duration

        public init(base: Duration = .milliseconds(5), max: Duration = .seconds(1000)) {
            self.base = base
            self.max = max
        }

        /// The delay before retry number `failures` (1 for the first failure).
        public func delay(failures: Int) -> Duration {
            guard failures > 0 else { return .zero }
            var delay = base
            for _ in 1..<failures {
                if delay >= max { break }
                delay = delay * 2
            }
            return Swift.min(delay, max)
        }
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<ObjectKey?, Never>
    }

    private struct Timer {
        /// When the key is due, as `ClockBox.elapsed` time.
        var due: Duration
        var task: Task<Void, Never>
    }

    private struct State {
        var queue: [ObjectKey] = []
        var head = 0
        var dirty: Set<ObjectKey> = []
        var processing: Set<ObjectKey> = []
        var failures: [ObjectKey: Int] = [:]
        var timers: [ObjectKey: Timer] = [:]
        var waiters: [Waiter] = []
        var cancelledWaiters: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        var shuttingDown = false
        /// When each queued key was queued, for the wait-time metric.
        var enqueuedAt: [ObjectKey: ContinuousClock.Instant] = [:]
        var metrics: QueueMetrics?

        var queuedCount: Int { queue.count - head }

        mutating func append(_ key: ObjectKey) {
            queue.append(key)
            enqueuedAt[key] = .now
            metrics?.added(depth: queuedCount)
        }

        mutating func pop() -> ObjectKey? {
            guard head < queue.count else { return nil }
            let key = queue[head]
            head += 1
            if head > 64 && head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            dirty.remove(key)
            processing.insert(key)
            let waited = enqueuedAt.removeValue(forKey: key).map { $0.duration(to: .now) } ?? .zero
            metrics?.taken(depth: queuedCount, waited: waited)
            return key
        }

        /// Queues `key` and returns the waiter to hand it to, if one is waiting.
        mutating func enqueue(_ key: ObjectKey) -> (Waiter, ObjectKey)? {
            guard !shuttingDown, !dirty.contains(key) else { return nil }
            dirty.insert(key)
            if processing.contains(key) { return nil }
            append(key)
            guard !waiters.isEmpty else { return nil }
            let waiter = waiters.removeFirst()
            return pop().map { (waiter, $0) }
        }
    }

    public let name: String
    private let clock: ClockBox
    public let backOff: BackOff
    private let state = Locked(State())

    public init(name: String = "", clock: any Clock<Duration> = ContinuousClock(), backOff: BackOff = BackOff()) {
        self.name = name
        self.clock = ClockBox(clock)
        self.backOff = backOff
        if !name.isEmpty { state.withLock { $0.metrics = QueueMetrics(queue: name) } }
    }

    /// Queues a key (no-op when already queued or after shutdown).
    public func add(_ key: ObjectKey) {
        if let (waiter, key) = state.withLock({ $0.enqueue(key) }) { waiter.continuation.resume(returning: key) }
    }

    /// Queues a key once `delay` has passed. A pending delayed add of the same key keeps the earlier time.
    public func addAfter(_ key: ObjectKey, delay: Duration) {
        guard delay > .zero else { return add(key) }
        let due = clock.elapsed() + delay
        let clock = self.clock
        state.withLock { s in
            guard !s.shuttingDown else { return }
            if let existing = s.timers[key], existing.due <= due { return }
            s.timers[key]?.task.cancel()
            // One short task per delayed key: it sleeps on the injected clock and is cancelled on
            // shutdown or when an earlier add replaces it.
            let task = Task { [weak self] in
                do { try await clock.sleepUntil(due) } catch { return }
                self?.fire(key, due: due)
            }
            s.timers[key] = Timer(due: due, task: task)
        }
    }

    private func fire(_ key: ObjectKey, due: Duration) {
        let current = state.withLock { s -> Bool in
            guard let timer = s.timers[key], timer.due == due else { return false }
            s.timers[key] = nil
            return true
        }
        if current { add(key) }
    }

    /// Queues a key after its back-off, and counts one more failure for it.
    public func addRateLimited(_ key: ObjectKey) {
        let failures = state.withLock { s -> Int in
            let n = (s.failures[key] ?? 0) + 1
            s.failures[key] = n
            return n
        }
        addAfter(key, delay: backOff.delay(failures: failures))
    }

    /// Resets a key's back-off (after a success).
    public func forget(_ key: ObjectKey) {
        _ = state.withLock { $0.failures.removeValue(forKey: key) }
    }

    /// How many times in a row a key has failed.
    public func failures(_ key: ObjectKey) -> Int {
        state.withLock { $0.failures[key] ?? 0 }
    }

    /// The next key to process, waiting for one; nil once the queue is shut down or the task is
    /// cancelled. Every key returned must be given back with `done`.
    public func get() async -> ObjectKey? {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ObjectKey?, Never>) in
                let immediate: ObjectKey?? = state.withLock { s in
                    if s.shuttingDown || s.cancelledWaiters.remove(id) != nil { return .some(nil) }
                    if let key = s.pop() { return .some(key) }
                    s.waiters.append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                if let index = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: index) }
                s.cancelledWaiters.insert(id)
                return nil
            }
            waiter?.continuation.resume(returning: nil)
        }
    }

    /// Marks a key as processed; if it was added meanwhile, it is queued again now.
    public func done(_ key: ObjectKey) {
        let handoff = state.withLock { s -> (Waiter, ObjectKey)? in
            s.processing.remove(key)
            guard s.dirty.contains(key), !s.shuttingDown else { return nil }
            s.append(key)
            guard !s.waiters.isEmpty else { return nil }
            let waiter = s.waiters.removeFirst()
            return s.pop().map { (waiter, $0) }
        }
        if let (waiter, key) = handoff { waiter.continuation.resume(returning: key) }
    }

    /// Stops the queue: waiting and later `get()`s return nil, adds are ignored, timers cancelled.
    public func shutDown() {
        let (waiters, timers) = state.withLock { s -> ([Waiter], [Timer]) in
            s.shuttingDown = true
            let waiters = s.waiters
            let timers = Array(s.timers.values)
            s.waiters = []
            s.timers = [:]
            return (waiters, timers)
        }
        for timer in timers { timer.task.cancel() }
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
    }

    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Keys queued and not yet handed out.
    public var count: Int { state.withLock { $0.queuedCount } }

    /// Keys being processed (handed out, not yet `done`).
    public var processingCount: Int { state.withLock { $0.processing.count } }

    /// Keys waiting on a delay (`addAfter`, `addRateLimited`).
    public var delayedCount: Int { state.withLock { $0.timers.count } }

    /// How long until a delayed key is queued, by the queue's clock (zero or less once due and
    /// not yet queued; nil when the key waits on no delay): lets a test state when something
    /// will happen instead of waiting to see that it has not happened yet.
    public func timeUntilDue(_ key: ObjectKey) -> Duration? {
        guard let due = state.withLock({ $0.timers[key]?.due }) else { return nil }
        return due - clock.elapsed()
    }
}
