import KctlModel
import Logging

/// The ingress requests held while a Service with no ready endpoint is woken, by Service.
///
/// The first request held for a Service asks the `ServiceWaker` once; requests arriving while it
/// works, or while the woken replica starts, join the same wait. Each held request is told when
/// the Service's Endpoints change (it then looks for a ready endpoint itself) or that there was
/// nothing to wake. Its timeout and its client going away are the connection's business: it
/// releases its place. No more than `limit` requests wait per Service.
final class HeldRequests: Sendable {
    enum Notice: Sendable, Equatable {
        /// The Service's Endpoints changed, or a wake-up finished: look again.
        case changed
        /// Nothing backs the Service that waking could start.
        case nothingToWake
    }

    typealias Waiter = @Sendable (Notice) -> Void

    private struct Wait {
        var waiters: [UInt64: Waiter] = [:]
        /// The waker is at work for this Service.
        var waking = false
    }

    private struct State {
        var waits: [String: Wait] = [:]
        var nextID: UInt64 = 0
    }

    struct Wake: Sendable, Hashable {
        var namespace: String
        var service: String
        var key: String { "\(namespace)/\(service)" }
    }

    let limit: Int
    private let state = Locked(State())
    private let wakes: AsyncStream<Wake>
    private let wakeRequests: AsyncStream<Wake>.Continuation

    init(limit: Int) {
        self.limit = max(1, limit)
        (wakes, wakeRequests) = AsyncStream.makeStream(of: Wake.self)
    }

    /// Holds a request for `namespace/service`; the first one of a wait asks for a wake-up.
    /// Returns the request's id for `release`, or nil when `limit` requests already wait.
    func hold(namespace: String, service: String, waiter: @escaping Waiter) -> UInt64? {
        let wake = Wake(namespace: namespace, service: service)
        let (id, first) = state.withLock { state -> (UInt64?, Bool) in
            var wait = state.waits[wake.key, default: Wait()]
            guard wait.waiters.count < limit else { return (nil, false) }
            state.nextID += 1
            wait.waiters[state.nextID] = waiter
            let first = !wait.waking && wait.waiters.count == 1
            if first { wait.waking = true }
            state.waits[wake.key] = wait
            return (state.nextID, first)
        }
        if first { wakeRequests.yield(wake) }
        return id
    }

    /// Ends a request's wait (answered, timed out, or its client left).
    func release(service key: String, id: UInt64) {
        state.withLock { state in
            guard var wait = state.waits[key] else { return }
            wait.waiters[id] = nil
            state.waits[key] = wait.waiters.isEmpty && !wait.waking ? nil : wait
        }
    }

    /// Tells every request waiting for `namespace/service` to look again.
    func endpointsChanged(_ key: String) {
        let waiters = state.withLock { $0.waits[key].map { Array($0.waiters.values) } ?? [] }
        for waiter in waiters { waiter(.changed) }
    }

    /// How many requests wait for a Service (for tests).
    func count(service key: String) -> Int {
        state.withLock { $0.waits[key]?.waiters.count ?? 0 }
    }

    /// Runs the wake-ups asked for, each Service's concurrently with the others', until cancelled.
    func run(waker: any ServiceWaker, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            // The stream ends when this task is cancelled.
            for await wake in wakes {
                group.addTask {
                    let result = await waker.wake(namespace: wake.namespace, service: wake.service)
                    logger.log(
                        level: result == .nothingToWake ? .debug : .info,
                        "ingress: wake-up of service \(wake.key): \(result)")
                    self.finished(wake, result)
                }
            }
        }
    }

    private func finished(_ wake: Wake, _ result: ServiceWakeResult) {
        let waiters = state.withLock { state -> [Waiter] in
            guard var wait = state.waits[wake.key] else { return [] }
            wait.waking = false
            let waiters = Array(wait.waiters.values)
            // With nothing to wake the wait is over: the next request asks again.
            if result == .nothingToWake || wait.waiters.isEmpty {
                state.waits[wake.key] = nil
            } else {
                state.waits[wake.key] = wait
            }
            return waiters
        }
        let notice: Notice = result == .nothingToWake ? .nothingToWake : .changed
        for waiter in waiters { waiter(notice) }
    }
}
