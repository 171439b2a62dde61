import KctlModel
import Foundation

/// A clock that moves only when told to, so tests of back-off, requeue-after and expiry run
/// without sleeping. Sleepers wake when `advance(by:)` passes their deadline; a sleeper whose
/// deadline has already passed returns at once, so advancing before a task starts to sleep is safe.
///
///     let clock = ManualClock()
///     let queue = WorkQueue(clock: clock)
///     queue.addAfter(key, delay: .seconds(5))
///     clock.advance(by: .seconds(5))          // the key is queued now
///
/// It also keeps a wall-clock date that advances with it (`date`), for code that stamps times.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, CustomStringConvertible {
        /// Time since the clock's start.
        public var offset: Duration

        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
        public var description: String { "+\(offset)" }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [UInt64: Sleeper] = [:]
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    private let state = Locked(State())
    private let startDate: Date

    /// - Parameter date: the wall-clock time at the clock's start (for `date`).
    public init(date: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
        self.startDate = date
    }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .zero }

    /// The wall-clock time: the start date plus how far the clock has been advanced.
    public var date: Date {
        startDate.addingTimeInterval(now.offset.seconds)
    }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let action: Result<Void, any Error>? = state.withLock { s in
                    if s.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= s.now { return .success(()) }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let action { continuation.resume(with: action) }
            }
        } onCancel: {
            let continuation = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                if let sleeper = s.sleepers.removeValue(forKey: id) { return sleeper.continuation }
                s.cancelled.insert(id)
                return nil
            }
            continuation?.resume(throwing: CancellationError())
        }
        // A cancellation that arrived after the sleep ended left its mark behind; clear it.
        _ = state.withLock { $0.cancelled.remove(id) }
    }

    /// Moves time forward and wakes every sleeper whose deadline is reached, earliest first.
    public func advance(by duration: Duration) {
        let woken = state.withLock { s -> [CheckedContinuation<Void, any Error>] in
            s.now = s.now.advanced(by: duration)
            let due = s.sleepers.filter { $0.value.deadline <= s.now }.sorted { $0.value.deadline < $1.value.deadline }
            for (id, _) in due { s.sleepers[id] = nil }
            return due.compactMap(\.value.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    /// Waits (yielding, not sleeping) until at least `count` tasks sleep on this clock: lets a test
    /// advance time only once the code under test is waiting on it.
    public func waitForSleepers(_ count: Int = 1) async {
        while sleeperCount < count && !Task.isCancelled { await Task.yield() }
    }
}
