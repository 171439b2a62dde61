import Foundation
import KctlControllerRuntime
import KctlModel

/// An injected `any Clock<Duration>` opened once: instants become plain `Duration`s since the box
/// was made, so state machines can store and compare them whatever the clock's `Instant` type is.
/// It also gives the wall-clock time that objects are stamped with: the real date, or the
/// `ManualClock`'s own date in tests, so that stamps move with the test's time.
struct AgentClock: Sendable {
    /// Time since the box was made.
    let elapsed: @Sendable () -> Duration
    /// Sleeps for a duration on the clock.
    let sleep: @Sendable (Duration) async throws -> Void
    /// The wall-clock time, for timestamps written into objects.
    let date: @Sendable () -> Date

    init(_ clock: any Clock<Duration>) {
        self = AgentClock.open(clock)
    }

    private init(
        elapsed: @escaping @Sendable () -> Duration, sleep: @escaping @Sendable (Duration) async throws -> Void,
        date: @escaping @Sendable () -> Date
    ) {
        self.elapsed = elapsed
        self.sleep = sleep
        self.date = date
    }

    private static func open<C: Clock<Duration>>(_ clock: C) -> AgentClock {
        let start = clock.now
        let manual = clock as? ManualClock
        return AgentClock(
            elapsed: { start.duration(to: clock.now) },
            sleep: { try await clock.sleep(until: clock.now.advanced(by: $0), tolerance: nil) },
            date: { manual?.date ?? Date() })
    }
}

/// Time stamps as the API writes them.
enum Stamp {
    /// RFC 3339 in whole seconds (`2024-05-01T10:00:00Z`): conditions, `startTime`.
    static func time(_ date: Date) -> String { Timestamp.format(date) }

    /// RFC 3339 with microseconds (`2024-05-01T10:00:00.123456Z`), Kubernetes' MicroTime: Lease
    /// `renewTime`, so that every renewal is a visible change even several times a second.
    static func microTime(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        let micros = min(Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded(.down)), 999_999)
        let base = Timestamp.format(Date(timeIntervalSince1970: seconds))
        return String(base.dropLast()) + "." + String(format: "%06d", micros) + "Z"
    }
}
