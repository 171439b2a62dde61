import Foundation
import Glibc

/// Every process the agent benchmark starts or learns of (the daemons, and each announced child),
/// so that nothing outlives the run: `stopAll()` ends them on the way out, and the same list is
/// kept in `<work-dir>/pids` for `scripts/bench-agent`'s trap, should this process die first.
final class ProcessLedger: @unchecked Sendable {  // all state behind `lock`
    enum Kind: String { case daemon, child }

    private let lock = NSLock()
    private let file: String
    private var daemons: [LaunchedProcess] = []
    private var children: Set<Int32> = []

    init(file: String) {
        self.file = file
        _ = FileManager.default.createFile(atPath: file, contents: nil)
    }

    /// Starts a daemon (see `LaunchedProcess.spawn`) and lists it.
    func launch(_ name: String, executable: String, arguments: [String], log: String) throws -> LaunchedProcess {
        let process = try LaunchedProcess.spawn(name, executable: executable, arguments: arguments, log: log)
        lock.withLock {
            daemons.append(process)
            append(process.pid, .daemon)
        }
        return process
    }

    func child(_ pid: Int32) {
        lock.withLock {
            if children.insert(pid).inserted { append(pid, .child) }
        }
    }

    private func append(_ pid: Int32, _ kind: Kind) {
        guard let handle = FileHandle(forWritingAtPath: file) else { return }
        handle.seekToEndOfFile()
        handle.write(Data("\(pid) \(kind.rawValue)\n".utf8))
        try? handle.close()
    }

    /// SIGTERM to one daemon (it stops its own children), SIGKILL after `grace`; returns the
    /// children that outlived it, killed now.
    @discardableResult
    func stop(_ process: LaunchedProcess, grace: Duration = .seconds(30)) async -> [Int32] {
        if process.isRunning { kill(process.pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            kill(process.pid, SIGKILL)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        }
        lock.withLock { daemons.removeAll { $0 === process } }
        return killStrayChildren()
    }

    /// Stops whatever is left; for the way out, failure included. Empties the pid file.
    func stopAll() async {
        let left = lock.withLock { daemons }
        for process in left { await stop(process, grace: .seconds(10)) }
        _ = killStrayChildren()
        try? Data().write(to: URL(fileURLWithPath: file))
    }

    /// Children still alive after their supervisor is gone (they should be none), killed.
    private func killStrayChildren() -> [Int32] {
        let pids = lock.withLock { children }
        var stray: [Int32] = []
        for pid in pids where Self.isBenchChild(pid) {
            stray.append(pid)
            kill(pid, SIGKILL)
        }
        lock.withLock { children.subtract(pids.subtracting(stray)) }
        return stray
    }

    /// Alive and still our program (`sleep`, after its `exec`), not a reused pid; a zombie waiting
    /// for its parent does not count.
    static func isBenchChild(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
        let comm = stat[stat.index(after: open)..<close]
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return comm == "sleep" && state != "Z"
    }
}

/// A daemon the benchmark started (and so reaps).
final class LaunchedProcess: @unchecked Sendable {  // `status` behind `lock`
    let name: String
    let pid: Int32
    private let lock = NSLock()
    private var status: Int32?

    init(name: String, pid: Int32) {
        self.name = name
        self.pid = pid
    }

    /// Starts `executable` with its output appended to `log`, stdin from /dev/null, as a shell
    /// would: no signal blocked, every disposition at its default. (Foundation's `Process` passes
    /// on the calling thread's mask, where SIGTERM and SIGCHLD are blocked: supervisord would
    /// then never see them.) glibc's posix_spawn forks with CLONE_VM|CLONE_VFORK, as kctld does.
    static func spawn(_ name: String, executable: String, arguments: [String], log: String) throws -> LaunchedProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw BenchError("spawn \(executable): \(String(cString: strerror(rc)))") }
        return LaunchedProcess(name: name, pid: pid)
    }

    /// False once it has exited (and is reaped).
    var isRunning: Bool {
        lock.withLock {
            if status != nil { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
            return status == nil
        }
    }
}

/// CPU time and resident memory of one process, from /proc.
struct ProcessUsage {
    /// utime + stime of every thread, in seconds.
    var cpuSeconds: Double
    var rssBytes: Int

    static func read(pid: Int32) throws -> ProcessUsage {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("unreadable /proc/\(pid)/stat") }
        // Fields from 3 (state) on; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let utime = Double(fields[11]), let stime = Double(fields[12]) else {
            throw BenchError("unreadable /proc/\(pid)/stat")
        }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let rssLine = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        let kib = rssLine.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        return ProcessUsage(cpuSeconds: (utime + stime) / ticks, rssBytes: kib * 1024)
    }

    /// The share of one core `pid` used over `window`, and its RSS at the end.
    static func measure(pid: Int32, over window: Duration) async throws -> (corePercent: Double, rssMiB: Double) {
        let before = try read(pid: pid)
        let start = Monotonic.now()
        try await Task.sleep(for: window)
        let after = try read(pid: pid)
        let seconds = Monotonic.milliseconds(from: start, to: Monotonic.now()) / 1000
        return ((after.cpuSeconds - before.cpuSeconds) / seconds * 100, Double(after.rssBytes) / 1_048_576)
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (for kctld's `--listen`).
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw BenchError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard ok else { throw BenchError("bind: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}
