import Foundation
import Testing

/// The real kubectl binary, run against a test kctld: tests prove kctld answers kubectl itself,
/// not our idea of it.
///
/// Each instance has its own temporary directory holding a kubeconfig (the daemon's URL,
/// namespace `default`), kubectl's discovery/HTTP cache (`--cache-dir`, so no run reads another
/// daemon's cached discovery) and `HOME` (so nothing touches the user's `~/.kube`).
/// `cleanup()` removes the directory.
public struct Kubectl: Sendable {
    /// The binary to run: a versioned kubectl 1.32 beside the cloud-SDK dispatcher wrapper when
    /// there is one (the wrapper first calls `/version` and may pick another version), else
    /// `kubectl` on PATH; `KCTL_KUBECTL` overrides both. Nil when there is none.
    public static let binary: String? = findBinary()

    /// Whether tests that drive kubectl can run here.
    public static var isAvailable: Bool { binary != nil }

    /// Why kubectl tests are skipped, for the `.enabled(if:)` comment.
    public static let unavailableMessage: Comment =
        "no kubectl binary found (looked for KCTL_KUBECTL, kubectl.1.32 beside the wrapper, kubectl on PATH)"

    public let binary: String
    /// Holds the kubeconfig, the cache and HOME.
    public let directory: String
    public let kubeconfig: String
    public let server: String

    /// A kubectl for the daemon at `server` (`http://127.0.0.1:PORT`); nil when no binary exists.
    public init?(server: String, namespace: String = "default") {
        guard let binary = Self.binary else { return nil }
        self.binary = binary
        self.server = server
        directory = TestFiles.temporaryDirectory()
        kubeconfig = directory + "/kubeconfig"
        try? FileManager.default.createDirectory(atPath: directory + "/cache", withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
        let config = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kctl
              cluster:
                server: \(server)
            users:
            - name: kctl
              user: {}
            contexts:
            - name: kctl
              context:
                cluster: kctl
                user: kctl
                namespace: \(namespace)
            current-context: kctl

            """
        _ = FileManager.default.createFile(atPath: kubeconfig, contents: Data(config.utf8))
    }

    /// A kubectl for a test daemon; nil when no binary exists.
    public init?(_ daemon: TestDaemon) {
        self.init(server: daemon.url)
    }

    /// Foundation's `Process.run` on Linux has crashed when tests launched kubectl from several
    /// threads at once: launches go one at a time (the processes still run side by side).
    private static let launchLock = NSLock()

    static func launching(_ launch: () throws -> Void) rethrows {
        launchLock.lock()
        defer { launchLock.unlock() }
        try launch()
    }

    /// Removes the kubeconfig, cache and HOME.
    public func cleanup() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `kubectl ARGS` to completion (killed after `timeout` seconds).
    public func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) async throws -> KubectlResult {
        let process = try makeProcess(arguments)
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input  // a pipe of its own, not the shared FileHandle.nullDevice
        let exited = ExitSignal()
        process.terminationHandler = { exited.fire(code: $0.terminationStatus, reason: $0.terminationReason) }
        try Self.launching { try process.run() }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let stdoutData = Self.readToEnd(out.fileHandleForReading)
        let stderrData = Self.readToEnd(err.fileHandleForReading)
        let pid = process.processIdentifier
        let killer = Task {
            try await Task.sleep(for: .seconds(timeout))
            kill(pid, SIGKILL)
        }
        let (code, reason) = await exited.wait()
        killer.cancel()
        let timedOut = reason == .uncaughtSignal && code == SIGKILL
        return KubectlResult(
            arguments: arguments, stdout: String(decoding: await stdoutData.value, as: UTF8.self),
            stderr: String(decoding: await stderrData.value, as: UTF8.self), exitCode: code, timedOut: timedOut)
    }

    /// Starts `kubectl ARGS` that keeps running (`get -w`, `logs -f`): read its output as it
    /// comes with `waitFor`, then `stop()` it.
    public func start(_ arguments: [String]) throws -> KubectlStream {
        let process = try makeProcess(arguments)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        let stream = KubectlStream(process: process, stdout: out.fileHandleForReading, stderr: err.fileHandleForReading)
        try Self.launching { try process.run() }
        try? input.fileHandleForWriting.close()
        return stream
    }

    private func makeProcess(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory + "/home"
        environment["KUBECONFIG"] = kubeconfig
        for key in ["KUBECTL_EXTERNAL_DIFF", "KUBE_EDITOR", "KUBECTL_KUBERC"] { environment[key] = nil }
        process.environment = environment
        return process
    }

    /// Reads a pipe to its end on a thread of its own (blocking reads stay off the cooperative pool).
    private static func readToEnd(_ handle: FileHandle) -> Task<Data, Never> {
        let (stream, continuation) = AsyncStream<Data>.makeStream()
        Thread.detachNewThread {
            continuation.yield(handle.readDataToEndOfFile())
            continuation.finish()
        }
        return Task {
            for await data in stream { return data }
            return Data()
        }
    }

    private static func findBinary() -> String? {
        let files = FileManager.default
        if let path = ProcessInfo.processInfo.environment["KCTL_KUBECTL"], files.isExecutableFile(atPath: path) {
            return path
        }
        var candidates = ["/usr/lib/google-cloud-sdk/bin"]
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        var onPath: [String] = []
        for dir in searchPath.split(separator: ":") {
            let path = "\(dir)/kubectl"
            guard files.isExecutableFile(atPath: path) else { continue }
            onPath.append(path)
            // The wrapper is usually a symlink into the SDK's bin directory: look beside its target.
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath()
            candidates.append(resolved.deletingLastPathComponent().path)
        }
        for dir in candidates where files.isExecutableFile(atPath: dir + "/kubectl.1.32") {
            return dir + "/kubectl.1.32"
        }
        return onPath.first
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips a test or suite with a clear message where no kubectl binary exists.
    public static var requiresKubectl: Self {
        .enabled(if: Kubectl.isAvailable, Kubectl.unavailableMessage)
    }
}

/// What one kubectl run printed and how it ended.
public struct KubectlResult: Sendable, CustomStringConvertible {
    public var arguments: [String]
    public var stdout: String
    public var stderr: String
    public var exitCode: Int32
    /// Killed because it ran past its timeout.
    public var timedOut: Bool

    public var succeeded: Bool { exitCode == 0 && !timedOut }

    /// Stdout split into lines, without the empty last one.
    public var lines: [String] {
        stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }

    /// The first line's columns (a table's header).
    public var header: [String] {
        (lines.first ?? "").split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    public var description: String {
        "kubectl \(arguments.joined(separator: " ")) -> \(timedOut ? "timed out" : "exit \(exitCode)")\n"
            + "stdout:\n\(stdout)stderr:\n\(stderr)"
    }
}

/// A kubectl that keeps running (`get -w`, `logs -f`); its output collects as it arrives.
public final class KubectlStream: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    init(process: Process, stdout: FileHandle, stderr: FileHandle) {
        self.process = process
        stdout.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            if data.isEmpty { handle.readabilityHandler = nil; return }
            self.lock.withLock { self.out += String(decoding: data, as: UTF8.self) }
        }
        stderr.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            if data.isEmpty { handle.readabilityHandler = nil; return }
            self.lock.withLock { self.err += String(decoding: data, as: UTF8.self) }
        }
    }

    deinit { stopNow() }

    public var stdout: String { lock.withLock { out } }
    public var stderr: String { lock.withLock { err } }
    public var isRunning: Bool { process.isRunning }

    /// Stdout's complete lines so far.
    public var lines: [String] {
        let text = stdout
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if !text.hasSuffix("\n") { parts.removeLast() }
        return parts.filter { !$0.isEmpty }
    }

    /// Waits until `condition` holds on the lines printed so far; fails with the output after `seconds`.
    @discardableResult
    public func waitFor(
        seconds: Double = 20, _ what: String, _ condition: @escaping @Sendable ([String]) -> Bool
    ) async throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let current = lines
            if condition(current) { return current }
            if !process.isRunning, condition(lines) == false, ContinuousClock.now + .milliseconds(200) < deadline {
                // Exited: give the last output a moment to arrive, then judge once more.
                try await Task.sleep(for: .milliseconds(200))
                let last = lines
                if condition(last) { return last }
                throw TestFailure("kubectl exited before \(what)\nstdout:\n\(stdout)stderr:\n\(stderr)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("timed out waiting for \(what)\nstdout:\n\(stdout)stderr:\n\(stderr)")
    }

    /// Kills kubectl and waits for it to exit.
    public func stop() async {
        stopNow()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func stopNow() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Fires once when a process exits; `wait()` returns its status.
private final class ExitSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var status: (Int32, Process.TerminationReason)?
    private var waiter: CheckedContinuation<(Int32, Process.TerminationReason), Never>?

    func fire(code: Int32, reason: Process.TerminationReason) {
        let resume = lock.withLock { () -> CheckedContinuation<(Int32, Process.TerminationReason), Never>? in
            status = (code, reason)
            defer { waiter = nil }
            return waiter
        }
        resume?.resume(returning: (code, reason))
    }

    func wait() async -> (Int32, Process.TerminationReason) {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> (Int32, Process.TerminationReason)? in
                if let status { return status }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
