/// An `any Clock<Duration>` opened once, so that deadlines can be kept as plain `Duration`s since
/// the box was made: comparable and storable whatever the clock's `Instant` type is.
struct ClockBox: Sendable {
    /// Time since the box was made, by the clock.
    let elapsed: @Sendable () -> Duration
    /// Sleeps until `elapsed()` reaches the given value (returns at once when it already has).
    let sleepUntil: @Sendable (Duration) async throws -> Void
    /// Sleeps for a duration.
    let sleepFor: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) {
        self = ClockBox.open(clock)
    }

    private init(
        elapsed: @escaping @Sendable () -> Duration, sleepUntil: @escaping @Sendable (Duration) async throws -> Void,
        sleepFor: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.elapsed = elapsed
        self.sleepUntil = sleepUntil
        self.sleepFor = sleepFor
    }

    private static func open<C: Clock<Duration>>(_ clock: C) -> ClockBox {
        let start = clock.now
        return ClockBox(
            elapsed: { start.duration(to: clock.now) },
            sleepUntil: { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) },
            sleepFor: { try await clock.sleep(until: clock.now.advanced(by: $0), tolerance: nil) })
    }
}
