/// When a node agent renews its Lease and when it rewrites its Node's status: pure, no I/O, no
/// clock of its own. Times are `Duration`s on the agent's clock, so tests drive it directly.
///
/// The agent renews the Lease at every heartbeat; the Node object is written only when its status
/// must change or when `statusReportInterval` passed since the last report, as the kubelet does, so
/// that heartbeats cost one small Lease write instead of a whole Node.
///
///     var machine = HeartbeatStateMachine(heartbeatInterval: .seconds(10), statusReportInterval: .seconds(60))
///     machine.shouldReportStatus(at: now, statusChanged: false)   // true: never reported yet
///     machine.statusReported(at: now)
///     machine.heartbeatSucceeded()                                // .seconds(10): sleep, then beat again
struct HeartbeatStateMachine: Sendable, Hashable {
    let heartbeatInterval: Duration
    let statusReportInterval: Duration
    /// The first retry after a failed renewal; each further failure doubles it, up to the interval.
    let retryBase: Duration

    private(set) var lastStatusReport: Duration?
    private(set) var consecutiveFailures = 0

    init(heartbeatInterval: Duration, statusReportInterval: Duration, retryBase: Duration = .milliseconds(200)) {
        self.heartbeatInterval = heartbeatInterval
        self.statusReportInterval = statusReportInterval
        self.retryBase = retryBase
    }

    /// Whether the Node status is to be written at `now`: when it changed, when it was never
    /// written, or when the last report is `statusReportInterval` old.
    func shouldReportStatus(at now: Duration, statusChanged: Bool) -> Bool {
        guard !statusChanged, let last = lastStatusReport else { return true }
        return now - last >= statusReportInterval
    }

    mutating func statusReported(at now: Duration) {
        lastStatusReport = now
    }

    /// A heartbeat (Lease renewal and, when due, the status report) went through: the delay
    /// until the next one.
    mutating func heartbeatSucceeded() -> Duration {
        consecutiveFailures = 0
        return heartbeatInterval
    }

    /// A heartbeat failed: the delay until the retry, doubling from `retryBase` up to the interval.
    /// Deliberately no give-up: an agent keeps trying for as long as it runs, as a kubelet does.
    mutating func heartbeatFailed() -> Duration {
        consecutiveFailures += 1
        var delay = retryBase
        for _ in 1..<min(consecutiveFailures, 30) {
            delay = delay * 2
            if delay >= heartbeatInterval { return heartbeatInterval }
        }
        return min(delay, heartbeatInterval)
    }
}
