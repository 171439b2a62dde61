/// Events per second over a sliding window (the chat's `messages_per_second`, which the HPA
/// scales on). A pure value: the caller passes the time, so tests need no clock.
struct RateWindow {
    let window: Duration
    let start: ContinuousClock.Instant
    private var events: [ContinuousClock.Instant] = []
    private var head = 0

    init(window: Duration = .seconds(10), start: ContinuousClock.Instant) {
        self.window = window
        self.start = start
    }

    mutating func record(at now: ContinuousClock.Instant) {
        prune(now)
        events.append(now)
    }

    /// Events in the last `window`, divided by the window (or by the time since start when that is
    /// shorter, but at least a second, so a fresh process does not report a burst as a huge rate).
    mutating func rate(at now: ContinuousClock.Instant) -> Double {
        prune(now)
        let span = min(window, max(.seconds(1), now - start))
        return Double(events.count - head) / span.seconds
    }

    private mutating func prune(_ now: ContinuousClock.Instant) {
        while head < events.count, now - events[head] >= window { head += 1 }
        if head > 1024, head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
