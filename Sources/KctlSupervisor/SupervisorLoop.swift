import CKctlSpawn
import Glibc
import Logging

/// The supervisor thread: forks on request, notices exits through pidfds, finishes a process once
/// its group is empty, and (as subreaper) reaps orphans. Everything here runs on that one thread;
/// only `SupervisorCore` and `SupervisedProcess` are shared.
final class SupervisorLoop: @unchecked Sendable {  // confined to the supervisor thread
    private let core: SupervisorCore
    private let logger: Logger
    private let subreaper: Bool
    private let epollFD = kctl_epoll_create()
    private let clock = ContinuousClock()

    /// A process whose group is not gone yet, by pid.
    private var entries: [Int32: Entry] = [:]
    /// Entries waiting for a timed check (a group draining after its main process exited).
    private var pendingChecks: Set<Int32> = []
    private var shuttingDown = false
    private var shutdownWaiters: [CheckedContinuation<Void, Never>] = []
    private var abandoned = false
    private var nextSweep: ContinuousClock.Instant
    /// Untracked zombie children seen by the last sweep; reaped if still there at the next one,
    /// which leaves Foundation's `Process` time to reap its own.
    private var zombiesSeen: Set<Int32> = []

    private static let sweepInterval = Duration.seconds(1)
    /// How long a draining group may hold only zombies that are not ours (PID 1 reaps them when
    /// it likes) before it counts as empty.
    private static let zombieGrace = Duration.milliseconds(5)

    private final class Entry {
        let process: SupervisedProcess
        var pidfd: Int32
        var leaderStatus: ExitStatus?
        var drainingSince: ContinuousClock.Instant?
        var nextCheck: ContinuousClock.Instant
        var checkInterval = Duration.milliseconds(1)
        var captureFD: Int32
        let captureLimit: Int
        var captured: [UInt8] = []

        init(process: SupervisedProcess, pidfd: Int32, captureFD: Int32, captureLimit: Int, now: ContinuousClock.Instant) {
            self.process = process
            self.pidfd = pidfd
            self.captureFD = captureFD
            self.captureLimit = captureLimit
            self.nextCheck = now
        }
    }

    private enum Tag: UInt64 {
        case wake = 1, pidfd = 2, capture = 3

        func with(_ pid: Int32) -> UInt64 { rawValue << 32 | UInt64(UInt32(bitPattern: pid)) }
    }

    init(core: SupervisorCore, logger: Logger, subreaper: Bool) {
        self.core = core
        self.logger = logger
        self.subreaper = subreaper
        self.nextSweep = clock.now + Self.sweepInterval
    }

    func run() {
        kctl_block_all_signals()
        _ = kctl_epoll_add(epollFD, core.wakeFD, Tag.wake.with(0))
        var tags = [UInt64](repeating: 0, count: 64)
        while !abandoned {
            let timeout = timeoutMilliseconds()
            let count = tags.withUnsafeMutableBufferPointer { kctl_epoll_wait(epollFD, $0.baseAddress, 64, timeout) }
            if count < 0 {
                logger.error("epoll_wait failed", metadata: ["error": "\(errorText(errno))"])
                usleep(10_000)
                continue
            }
            for tag in tags.prefix(Int(count)) {
                let pid = Int32(bitPattern: UInt32(truncatingIfNeeded: tag))
                switch Tag(rawValue: tag >> 32) {
                case .wake: handleRequests()
                case .pidfd: mainProcessExited(pid)
                case .capture: if let entry = entries[pid] { readCapture(entry) }
                case nil: break
                }
                if abandoned { break }
            }
            if abandoned { break }
            runChecks()
            if subreaper, clock.now >= nextSweep {
                sweepOrphans()
                nextSweep = clock.now + Self.sweepInterval
            }
            if shuttingDown, entries.isEmpty { break }
        }
        finish()
    }

    // MARK: - Requests

    private func handleRequests() {
        var value: UInt64 = 0
        _ = read(core.wakeFD, &value, 8)
        for request in core.takeRequests() {
            switch request {
            case .spawn(let job):
                if shuttingDown {
                    job.continuation?.resume(throwing: SpawnError.shutDown)
                } else {
                    spawn(job)
                }
            case .shutdown(let continuation):
                if let continuation { shutdownWaiters.append(continuation) }
                if !shuttingDown {
                    shuttingDown = true
                    logger.debug("supervisor shutting down", metadata: ["running": "\(entries.count)"])
                    for entry in entries.values { entry.process.signal(SIGKILL) }
                }
            case .abandon(let continuation):
                shutdownWaiters.append(continuation)
                abandoned = true
            }
        }
    }

    private func spawn(_ job: SpawnJob) {
        guard let continuation = job.continuation else { return }
        job.continuation = nil
        let pid: Int32
        switch job.fork(dieWithParent: job.spec.dieWithSupervisor) {
        case .failure(let error):
            continuation.resume(throwing: error)
            return
        case .success(let forked):
            pid = forked
        }
        let pidfd = kctl_pidfd_open(pid)
        if pidfd < 0 {
            // Out of fds: without a pidfd the exit would go unnoticed, so undo the spawn.
            let code = errno
            _ = kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            continuation.resume(throwing: SpawnError(reason: .other, errno: code, description: "pidfd_open: \(errorText(code))"))
            return
        }
        let process = SupervisedProcess(pid: pid, startTime: ProcSampler.startTime(pid: pid) ?? 0, pipes: job.parentPipes)
        job.parentPipes = nil
        let entry = Entry(
            process: process, pidfd: pidfd, captureFD: job.captureFD, captureLimit: job.captureLimit, now: clock.now)
        job.captureFD = -1
        entries[pid] = entry
        _ = kctl_epoll_add(epollFD, pidfd, Tag.pidfd.with(pid))
        if entry.captureFD >= 0 { _ = kctl_epoll_add(epollFD, entry.captureFD, Tag.capture.with(pid)) }
        core.state.withLock { $0.running += 1 }
        logger.debug("spawned", metadata: ["pid": "\(pid)", "executable": "\(job.spec.executable)"])
        continuation.resume(returning: process)
    }

    // MARK: - Exits

    private func mainProcessExited(_ pid: Int32) {
        guard let entry = entries[pid], entry.pidfd >= 0 else { return }
        var kind: Int32 = 0
        var value: Int32 = 0
        let reaped = kctl_reap(pid, &kind, &value)
        if reaped == 0 {
            // Readable but not reapable yet: retry on a timer rather than spin on the pidfd.
            _ = kctl_epoll_remove(epollFD, entry.pidfd)
            entry.nextCheck = clock.now + .milliseconds(1)
            pendingChecks.insert(pid)
            return
        }
        if reaped < 0 {
            logger.warning(
                "main process was reaped elsewhere; its status is unknown",
                metadata: ["pid": "\(pid)", "error": "\(errorText(errno))"])
            entry.leaderStatus = .exited(255)
        } else {
            entry.leaderStatus = kind == Int32(KCTL_SIGNALED.rawValue) ? .signaled(value) : .exited(value)
        }
        _ = kctl_epoll_remove(epollFD, entry.pidfd)
        close(entry.pidfd)
        entry.pidfd = -1
        entry.drainingSince = clock.now
        checkGroup(entry)
    }

    /// After the main process: kill what is left of the group, and finish once nothing lives in it.
    private func checkGroup(_ entry: Entry) {
        let pgid = entry.process.pid
        // Members re-parented to this process (as subreaper, ours or another supervisor's) are
        // ours to reap; the main process already is, so this takes nothing tracked elsewhere.
        _ = kctl_reap_group(pgid)
        var empty = kill(-pgid, 0) != 0 && errno == ESRCH
        if !empty {
            _ = kill(-pgid, SIGKILL)
            if let since = entry.drainingSince, clock.now - since >= Self.zombieGrace {
                empty = !ProcSampler.groupExists(pgid)
            }
        }
        if empty {
            _ = kctl_reap_group(pgid)  // zombies only: those that are ours go now
            finishEntry(entry)
        } else {
            entry.nextCheck = clock.now + entry.checkInterval
            entry.checkInterval = min(entry.checkInterval * 2, .milliseconds(50))
            pendingChecks.insert(pgid)
        }
    }

    private func runChecks() {
        guard !pendingChecks.isEmpty else { return }
        let now = clock.now
        for pid in pendingChecks {
            guard let entry = entries[pid] else {
                pendingChecks.remove(pid)
                continue
            }
            guard entry.nextCheck <= now else { continue }
            pendingChecks.remove(pid)
            if entry.pidfd >= 0 {
                // A main process whose pidfd was readable before it could be reaped.
                _ = kctl_epoll_add(epollFD, entry.pidfd, Tag.pidfd.with(pid))
                mainProcessExited(pid)
            } else {
                checkGroup(entry)
            }
        }
    }

    private func finishEntry(_ entry: Entry) {
        let pid = entry.process.pid
        if entry.captureFD >= 0 {
            readCapture(entry)  // everything the group wrote is in the pipe by now
            closeCapture(entry)
        }
        entries[pid] = nil
        pendingChecks.remove(pid)
        core.state.withLock { $0.running -= 1 }
        let status = entry.leaderStatus ?? .exited(255)
        logger.debug("exited", metadata: ["pid": "\(pid)", "status": "\(status)"])
        entry.process.finish(status, output: entry.captured)
    }

    // MARK: - Output capture

    private func readCapture(_ entry: Entry) {
        guard entry.captureFD >= 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(entry.captureFD, $0.baseAddress, $0.count) }
            if count > 0 {
                let room = entry.captureLimit - entry.captured.count
                if room > 0 { entry.captured += buffer.prefix(min(room, count)) }
                continue  // beyond the limit: keep draining so the child never blocks on a full pipe
            }
            if count < 0, errno == EINTR { continue }
            if count == 0 { closeCapture(entry) }  // EOF: every writer is gone
            return
        }
    }

    private func closeCapture(_ entry: Entry) {
        _ = kctl_epoll_remove(epollFD, entry.captureFD)
        close(entry.captureFD)
        entry.captureFD = -1
    }

    // MARK: - Orphans (subreaper only)

    /// Reaps zombie children that no pidfd covers: members of our groups re-parented to us, and,
    /// one sweep later, any other orphan.
    private func sweepOrphans() {
        guard kctl_peek_exited_child() != 0 else {
            zombiesSeen = []
            return
        }
        var seen: Set<Int32> = []
        for child in ProcSampler.zombieChildren() {
            if let entry = entries[child.pid], entry.pidfd >= 0 { continue }  // a main process: its pidfd handles it
            if entries[child.pgrp] != nil || zombiesSeen.contains(child.pid) {
                var kind: Int32 = 0
                var value: Int32 = 0
                _ = kctl_reap(child.pid, &kind, &value)
            } else {
                seen.insert(child.pid)
            }
        }
        zombiesSeen = seen
    }

    // MARK: - Timing and the end

    private func timeoutMilliseconds() -> Int32 {
        var deadline: ContinuousClock.Instant?
        for pid in pendingChecks {
            if let entry = entries[pid], deadline.map({ entry.nextCheck < $0 }) ?? true { deadline = entry.nextCheck }
        }
        if subreaper { deadline = min(deadline ?? nextSweep, nextSweep) }
        guard let deadline else { return -1 }
        let left = clock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: milliseconds)
    }

    private func finish() {
        core.state.withLock { $0.ended = true }
        for request in core.takeRequests() {
            switch request {
            case .spawn(let job): job.continuation?.resume(throwing: SpawnError.shutDown)
            case .shutdown(let continuation): continuation?.resume()
            case .abandon(let continuation): continuation.resume()
            }
        }
        for entry in entries.values {
            if entry.pidfd >= 0 { close(entry.pidfd) }
            if entry.captureFD >= 0 { close(entry.captureFD) }
        }
        close(epollFD)
        if subreaper { SubreaperClaims.release() }
        logger.debug("supervisor thread ended")
        for waiter in shutdownWaiters { waiter.resume() }
    }
}
