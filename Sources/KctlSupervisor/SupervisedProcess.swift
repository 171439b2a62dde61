import Glibc

/// A running child and its process group (pgid == pid). It ends, as a Kubernetes container does,
/// when its main process exits: whatever is left in the group is then killed, and `exitStatus` is
/// set only once the group is empty and reaped.
public final class SupervisedProcess: Sendable {
    /// Also the process group id.
    public let pid: Int32
    /// /proc/<pid>/stat field 22 (clock ticks since boot): with `pid`, names this process across
    /// a daemon restart, when the pid alone may have been reused.
    public let startTime: UInt64
    /// When the supervisor started it.
    let startedAt = ContinuousClock.now

    private let state = Locked(State())

    private struct State {
        var exitStatus: ExitStatus?
        /// When the supervisor saw the group end.
        var endedAt: ContinuousClock.Instant?
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        /// Waiters whose task was cancelled before they registered.
        var cancelled: Set<UInt64> = []
        var termSent = false
        var output: [UInt8] = []
    }

    private enum Waiter {
        case plain(CheckedContinuation<ExitStatus, Never>)
        case cancellable(CheckedContinuation<ExitStatus?, Never>)

        func resume(_ status: ExitStatus?) {
            switch self {
            case .plain(let continuation):
                if let status { continuation.resume(returning: status) }
            case .cancellable(let continuation):
                continuation.resume(returning: status)
            }
        }
    }

    /// The parent's ends of its stdio, when spawned with `ProcessOutput.pipes`.
    public let pipes: ProcessPipes?

    init(pid: Int32, startTime: UInt64, pipes: ProcessPipes? = nil) {
        self.pid = pid
        self.startTime = startTime
        self.pipes = pipes
    }

    /// Set once the main process has exited and its group is empty and reaped.
    public var exitStatus: ExitStatus? { state.withLock { $0.exitStatus } }

    /// Returns at once when already exited; any number of waiters. Not ended by cancellation (use
    /// `waitForExit(timeout:)` or `stop`): a process always ends, at the latest on `shutdown()`.
    public func waitForExit() async -> ExitStatus {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> ExitStatus? in
                if let status = state.exitStatus { return status }
                state.waiters[state.nextWaiter] = .plain(continuation)
                state.nextWaiter += 1
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// The exit status, or nil when `timeout` passed first or the task was cancelled.
    public func waitForExit(timeout: Duration) async -> ExitStatus? {
        if let status = exitStatus { return status }
        return await withTaskGroup(of: ExitStatus?.self) { group in
            group.addTask { await self.waitForExitUnlessCancelled() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? exitStatus
        }
    }

    /// The exit status when the process ended within `timeout`; otherwise (or when the task is
    /// cancelled) the whole group is killed and reaped, and the result is nil. "Within" is how
    /// long it ran as the supervisor thread saw it: a timer that fires late on a busy machine must
    /// not turn an overrun into a success.
    public func exit(within timeout: Duration) async -> ExitStatus? {
        let status = await waitForExit(timeout: timeout)
        if let status, let ran = runningTime, ran <= timeout { return status }
        if status == nil {
            signal(SIGKILL)
            _ = await waitForExit()
        }
        return nil
    }

    /// Sends `signal` to the whole group; a no-op once the process is gone, so a late signal
    /// never reaches a new group that reused the id.
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if state.exitStatus == nil { _ = kill(-pid, signal) }
        }
    }

    /// SIGTERM to the group, up to `gracePeriod` for the main process to exit, then SIGKILL to
    /// the group; returns once the group is empty and reaped. Concurrent and repeated calls send
    /// SIGTERM once and each waits its own grace period; a zero grace period kills at once. A
    /// cancelled task skips the rest of the grace period.
    public func stop(gracePeriod: Duration) async -> ExitStatus {
        if gracePeriod > .zero {
            state.withLock { state in
                if state.exitStatus == nil, !state.termSent {
                    state.termSent = true
                    _ = kill(-pid, SIGTERM)
                }
            }
            if let status = await waitForExit(timeout: gracePeriod) { return status }
        }
        signal(SIGKILL)
        return await waitForExit()
    }

    private func waitForExitUnlessCancelled() async -> ExitStatus? {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ExitStatus?, Never>) in
                enum Outcome { case status(ExitStatus), cancelled, waiting }
                let outcome = state.withLock { state -> Outcome in
                    if let status = state.exitStatus { return .status(status) }
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    state.waiters[id] = .cancellable(continuation)
                    return .waiting
                }
                switch outcome {
                case .status(let status): continuation.resume(returning: status)
                case .cancelled: continuation.resume(returning: nil)
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                // Not registered yet (and not finished): tell the registration.
                if state.exitStatus == nil { state.cancelled.insert(id) }
                return nil
            }
            waiter?.resume(nil)
        }
    }

    // MARK: - For the supervisor thread

    /// Records the end and wakes every waiter.
    func finish(_ status: ExitStatus, output: [UInt8]) {
        let waiters = state.withLock { state -> [Waiter] in
            state.exitStatus = status
            state.endedAt = .now
            state.output = output
            state.cancelled = []
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(status) }
    }

    /// How long it ran, as the supervisor saw it (not when a waiter's task got to run); nil while running.
    var runningTime: Duration? { state.withLock { $0.endedAt.map { $0 - startedAt } } }

    /// What `run` captured (empty for spawned processes).
    var capturedOutput: [UInt8] { state.withLock { $0.output } }
}
