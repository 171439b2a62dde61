import CKctlSpawn
import Foundation
import Logging

/// Starts and watches the node agents' child processes. One dedicated thread forks every child
/// (PR_SET_PDEATHSIG fires when the forking *thread* exits, and the cooperative pool's threads may
/// come and go) and runs an epoll loop over a pidfd per child, so an exit is noticed at once, with
/// no polling interval, and reaped by pid: `waitpid(-1)` is never used on tracked paths, because
/// other code in the process (Foundation's `Process`) has children of its own.
public final class ProcessSupervisor: Sendable {
    private let core: SupervisorCore
    private let logger: Logger

    /// - Parameter becomeSubreaper: make this process the reaper of its orphaned descendants
    ///   (PR_SET_CHILD_SUBREAPER), as kctld does, so that a container's daemonized grandchildren
    ///   are reaped here instead of by PID 1. Reset when the last such supervisor shuts down.
    public init(logger: Logger, becomeSubreaper: Bool = false) {
        self.logger = logger
        let core = SupervisorCore()
        self.core = core
        let subreaper = becomeSubreaper && SubreaperClaims.claim(logger: logger)
        let loop = SupervisorLoop(core: core, logger: logger, subreaper: subreaper)
        let thread = Thread { loop.run() }
        thread.name = "kctl-supervisor"
        thread.start()
    }

    deinit {
        _ = core.submit(.shutdown(nil))
    }

    /// Starts `spec` in its own process group; throws `SpawnError` (not found, permission denied,
    /// working directory, ...) before returning when the child could not exec.
    public func spawn(_ spec: ProcessSpec) async throws -> SupervisedProcess {
        try await spawn(spec, capture: nil)
    }

    /// Runs `spec` to completion (exec probes, preStop hooks) with stdout and stderr captured
    /// together, up to `outputLimit` bytes; `spec.output` is ignored. On timeout the whole group
    /// is killed and reaped, and the result has `timedOut` set and no status (see
    /// `SupervisedProcess.exit(within:)`). A cancelled task
    /// kills the group too, then throws `CancellationError`.
    public func run(_ spec: ProcessSpec, timeout: Duration, outputLimit: Int = 10_240) async throws -> RunResult {
        let process = try await spawn(spec, capture: outputLimit)
        if let status = await process.exit(within: timeout) {
            return RunResult(status: status, timedOut: false, output: String(decoding: process.capturedOutput, as: UTF8.self))
        }
        try Task.checkCancellation()
        return RunResult(status: nil, timedOut: true, output: String(decoding: process.capturedOutput, as: UTF8.self))
    }

    /// Tracked groups not yet gone.
    public var runningCount: Int { core.state.withLock { $0.running } }

    /// SIGKILLs every group still tracked, reaps them, ends the thread. Idempotent; `spawn` throws
    /// afterwards.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !core.submit(.shutdown(continuation)) { continuation.resume() }
        }
    }

    /// Ends the thread at once without killing or reaping anything, as a crash of the daemon
    /// would: children with `dieWithSupervisor` then get SIGKILL from the kernel. For tests.
    func abandon() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if !core.submit(.abandon(continuation)) { continuation.resume() }
        }
    }

    private func spawn(_ spec: ProcessSpec, capture: Int?) async throws -> SupervisedProcess {
        let job = try SpawnJob(spec, capture: capture)
        return try await withCheckedThrowingContinuation { continuation in
            job.continuation = continuation
            if !core.submit(.spawn(job)) {
                job.continuation = nil
                continuation.resume(throwing: SpawnError.shutDown)
            }
        }
    }
}

/// The result of `ProcessSupervisor.run`.
public struct RunResult: Sendable, Hashable {
    /// nil when timed out.
    public var status: ExitStatus?
    public var timedOut: Bool
    /// stdout and stderr as they interleaved, cut at the output limit (invalid UTF-8 repaired).
    public var output: String

    public init(status: ExitStatus?, timedOut: Bool, output: String) {
        self.status = status
        self.timedOut = timedOut
        self.output = output
    }
}

/// What the callers and the supervisor thread share: the request queue, its wake-up eventfd, and
/// the running count.
final class SupervisorCore: Sendable {
    enum Request {
        case spawn(SpawnJob)
        case shutdown(CheckedContinuation<Void, Never>?)
        case abandon(CheckedContinuation<Void, Never>)
    }

    struct State {
        var requests: [Request] = []
        var running = 0
        /// The thread has ended: requests are refused.
        var ended = false
    }

    let state = Locked(State())
    let wakeFD: Int32 = kctl_eventfd()

    deinit { close(wakeFD) }

    /// Queues `request` and wakes the thread; false once the thread has ended.
    func submit(_ request: Request) -> Bool {
        state.withLock { state in
            guard !state.ended else { return false }
            state.requests.append(request)
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
            return true
        }
    }

    func takeRequests() -> [Request] {
        state.withLock { state in
            defer { state.requests = [] }
            return state.requests
        }
    }
}

/// PR_SET_CHILD_SUBREAPER is per process: the first supervisor that asks sets it, and the last one
/// to end resets it unless it was already set before.
enum SubreaperClaims {
    private static let claims = Locked((count: 0, wasSet: false))

    static func claim(logger: Logger) -> Bool {
        claims.withLock { claims in
            if claims.count == 0 {
                claims.wasSet = kctl_get_child_subreaper() == 1
                if !claims.wasSet, kctl_set_child_subreaper(1) != 0 {
                    logger.warning("cannot become child subreaper", metadata: ["error": "\(errorText(errno))"])
                    return false
                }
            }
            claims.count += 1
            return true
        }
    }

    static func release() {
        claims.withLock { claims in
            claims.count -= 1
            if claims.count == 0, !claims.wasSet { _ = kctl_set_child_subreaper(0) }
        }
    }
}
