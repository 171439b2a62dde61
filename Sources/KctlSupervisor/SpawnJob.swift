import CKctlSpawn
import Glibc

/// A NULL-terminated array of C strings that owns its memory, so that nothing is allocated
/// between fork and exec.
final class CStringArray: @unchecked Sendable {  // immutable after init
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() {
            pointer[index] = strdup(string)
        }
        pointer[strings.count] = nil
    }

    deinit {
        for index in 0..<count { free(pointer[index]) }
        pointer.deallocate()
    }

    var constPointer: UnsafePointer<UnsafePointer<CChar>?> {
        UnsafeRawPointer(pointer).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
    }
}

/// Everything one spawn needs, prepared on the caller's task (strings, PATH candidates, the
/// opened output files) so that the supervisor thread only forks.
final class SpawnJob: @unchecked Sendable {  // handed over once, through the request queue
    let spec: ProcessSpec
    let candidates: [String]
    let paths: CStringArray
    let argv: CStringArray
    let envp: CStringArray
    let cwd: UnsafeMutablePointer<CChar>?
    private(set) var stdinFD: Int32 = -1
    private(set) var stdoutFD: Int32 = -1
    private(set) var stderrFD: Int32 = -1
    /// The read end of the output pipe of `run`, non-blocking; taken by the supervisor thread.
    var captureFD: Int32 = -1
    /// The parent's ends for `ProcessOutput.pipes`; taken by the supervisor thread.
    var parentPipes: ProcessPipes?
    let captureLimit: Int
    var continuation: CheckedContinuation<SupervisedProcess, any Error>?

    /// Throws `SpawnError` for what can be known without forking: an empty name, no PATH
    /// candidate, a NUL byte in a string, an output file that cannot be opened.
    init(_ spec: ProcessSpec, capture: Int?) throws {
        self.spec = spec
        self.captureLimit = max(0, capture ?? 0)
        let name = spec.executable
        let all = [name] + spec.arguments + spec.environment.keys + spec.environment.values + [spec.workingDirectory ?? ""]
        if all.contains(where: { $0.utf8.contains(0) }) {
            throw SpawnError(reason: .other, errno: EINVAL, description: "exec: \"\(name)\": invalid argument: contains a NUL byte")
        }
        if let bad = spec.environment.keys.first(where: { $0.isEmpty || $0.contains("=") }) {
            throw SpawnError(reason: .other, errno: EINVAL, description: "exec: \"\(name)\": invalid environment variable name \"\(bad)\"")
        }
        candidates = Self.candidates(for: name, path: spec.environment["PATH"] ?? getenv("PATH").map { String(cString: $0) })
        if candidates.isEmpty {
            throw SpawnError(reason: .notFound, errno: ENOENT, description: "exec: \"\(name)\": executable file not found in $PATH")
        }
        paths = CStringArray(candidates)
        argv = CStringArray([name] + spec.arguments)
        envp = CStringArray(spec.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        cwd = spec.workingDirectory.map { strdup($0) }
        try openFDs(capture: capture != nil)
    }

    deinit {
        closeChildFDs()
        if captureFD >= 0 { close(captureFD) }
        free(cwd)
    }

    /// A bare name's candidates in PATH order (empty entries, meaning ".", are skipped as Go
    /// does for safety); a name with a slash is used as is.
    static func candidates(for name: String, path: String?) -> [String] {
        if name.isEmpty { return [] }
        if name.contains("/") { return [name] }
        let search = path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        return search.split(separator: ":", omittingEmptySubsequences: true).map { dir in
            dir.hasSuffix("/") ? "\(dir)\(name)" : "\(dir)/\(name)"
        }
    }

    private func openFDs(capture: Bool) throws {
        if spec.output == .pipes, !capture {
            try openPipes()
            return
        }
        if spec.output == .terminal, !capture {
            try openTerminal()
            return
        }
        stdinFD = try Self.open(spec.standardInput ?? "/dev/null", O_RDONLY)
        if capture {
            var ends: [Int32] = [-1, -1]
            guard kctl_capture_pipe(&ends) == 0 else { throw Self.setupError("pipe", Glibc.errno) }
            captureFD = ends[0]
            stdoutFD = ends[1]
            stderrFD = ends[1]
            return
        }
        switch spec.output {
        case .discard:
            stdoutFD = try Self.open("/dev/null", O_WRONLY)
            stderrFD = stdoutFD
        case .file(let path):
            stdoutFD = try Self.open(path, O_WRONLY | O_APPEND | O_CREAT)
            stderrFD = stdoutFD
        case .files(let out, let err):
            stdoutFD = try Self.open(out, O_WRONLY | O_APPEND | O_CREAT)
            stderrFD = try Self.open(err, O_WRONLY | O_APPEND | O_CREAT)
        case .pipes, .terminal:
            break  // handled above
        }
    }

    /// A pseudo-terminal: its slave is the child's stdio, its master the caller's.
    private func openTerminal() throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard kctl_open_pty(&master, &slave) == 0 else { throw Self.setupError("pty", Glibc.errno) }
        stdinFD = slave
        stdoutFD = slave
        stderrFD = slave
        parentPipes = ProcessPipes(terminal: master)
    }

    /// Three pipes: the child's ends become its stdio at exec, the parent's are kept for the caller.
    private func openPipes() throws {
        var pairs: [[Int32]] = []  // stdin, stdout, stderr: [read end, write end]
        for _ in 0..<3 {
            var ends: [Int32] = [-1, -1]
            guard kctl_pipe(&ends) == 0 else {
                let code = Glibc.errno
                pairs.joined().forEach { _ = close($0) }
                throw Self.setupError("pipe", code)
            }
            pairs.append(ends)
        }
        stdinFD = pairs[0][0]
        stdoutFD = pairs[1][1]
        stderrFD = pairs[2][1]
        parentPipes = ProcessPipes(stdin: pairs[0][1], stdout: pairs[1][0], stderr: pairs[2][0])
    }

    /// Closes the parent's copies of the child's stdio once it has forked (or failed to).
    func closeChildFDs() {
        for fd in Set([stdinFD, stdoutFD, stderrFD]) where fd >= 0 { close(fd) }
        stdinFD = -1
        stdoutFD = -1
        stderrFD = -1
    }

    private static func open(_ path: String, _ flags: Int32) throws -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = Glibc.errno
            throw SpawnError(reason: .other, errno: code, description: "open \"\(path)\": \(errorText(code))")
        }
        return fd
    }

    private static func setupError(_ step: String, _ code: Int32) -> SpawnError {
        SpawnError(reason: .other, errno: code, description: "spawn: \(step): \(errorText(code))")
    }

    /// Forks and execs; runs on the supervisor thread. Returns the pid or the error to throw.
    func fork(dieWithParent: Bool) -> Result<Int32, SpawnError> {
        var request = kctl_spawn_request(
            paths: paths.constPointer, argv: UnsafePointer(argv.pointer), envp: UnsafePointer(envp.pointer),
            cwd: UnsafePointer(cwd), stdin_fd: stdinFD, stdout_fd: stdoutFD, stderr_fd: stderrFD,
            die_with_parent: dieWithParent ? 1 : 0, controlling_tty: spec.output == .terminal ? 1 : 0)
        var result = kctl_spawn_result()
        let rc = kctl_spawn(&request, &result)
        closeChildFDs()
        if rc == 0 { return .success(result.pid) }
        return .failure(error(for: result))
    }

    func error(for result: kctl_spawn_result) -> SpawnError {
        let code = result.error
        let name = spec.executable
        switch Int(result.stage) {
        case Int(KCTL_STAGE_EXEC.rawValue):
            let index = Int(result.path_index)
            let path = candidates.indices.contains(index) ? candidates[index] : name
            let bare = !name.contains("/")
            switch code {
            case ENOENT where bare:
                return SpawnError(reason: .notFound, errno: code, description: "exec: \"\(name)\": executable file not found in $PATH")
            case ENOENT:
                return SpawnError(reason: .notFound, errno: code, description: "fork/exec \(path): \(errorText(code))")
            case EACCES:
                return SpawnError(reason: .permissionDenied, errno: code, description: "fork/exec \(path): \(errorText(code))")
            default:
                return SpawnError(reason: .other, errno: code, description: "fork/exec \(path): \(errorText(code))")
            }
        case Int(KCTL_STAGE_CHDIR.rawValue):
            return SpawnError(
                reason: .workingDirectory, errno: code,
                description: "chdir \"\(spec.workingDirectory ?? "")\": \(errorText(code))")
        case Int(KCTL_STAGE_FORK.rawValue):
            return Self.setupError("clone", code)
        default:
            return Self.setupError("child setup of \"\(name)\"", code)
        }
    }
}
