import Foundation
import KctlModel
import KctlSupervisor
import Logging
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

    /// Starts every kubectl: posix-spawn and reaping by the daemon's own supervisor, not Foundation's
    /// `Process`, whose `run()` crashed (a memcpy past a buffer in its file-descriptor handling)
    /// when the test process had a thousand descriptors open.
    private static let supervisor = ProcessSupervisor(logger: Logger(label: "kubectl-tests"))
    private static let runs = Locked(0)

    /// Removes the kubeconfig, cache and HOME.
    public func cleanup() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `kubectl ARGS` to completion (killed after `timeout` seconds), `stdin` on its stdin.
    public func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) async throws -> KubectlResult {
        let (process, output) = try await launch(arguments, stdin: stdin)
        let status = await process.exit(within: .milliseconds(Int64(timeout * 1000)))
        return KubectlResult(
            arguments: arguments, stdout: output.stdout, stderr: output.stderr,
            exitCode: (status ?? .signaled(SIGKILL)).exitCode, timedOut: status == nil)
    }

    /// Runs `kubectl ARGS` on a terminal, as a user at a shell runs `kubectl exec -it`: through
    /// util-linux `script`, stdin at its end. Its stdout and stderr come back together, in
    /// `stdout`. nil where `script` is missing.
    public func runOnTerminal(_ arguments: [String], timeout: Double = 60) async throws -> KubectlResult? {
        guard let script = ["/usr/bin/script", "/bin/script"].first(where: FileManager.default.isExecutableFile) else {
            return nil
        }
        let quote = { (word: String) in "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let line = ([binary] + commandArguments(arguments)).map(quote).joined(separator: " ")
        let spec = ProcessSpec(executable: script, arguments: ["-qec", line, "/dev/null"], environment: environment)
        let result = try await Self.supervisor.run(spec, timeout: .milliseconds(Int64(timeout * 1000)), outputLimit: 1 << 16)
        return KubectlResult(
            arguments: arguments, stdout: result.output, stderr: "",
            exitCode: (result.status ?? .signaled(SIGKILL)).exitCode, timedOut: result.timedOut)
    }

    /// Starts `kubectl ARGS` that keeps running (`get -w`, `logs -f`): read its output as it
    /// comes with `waitFor`, then `stop()` it.
    public func start(_ arguments: [String]) async throws -> KubectlStream {
        let (process, output) = try await launch(arguments, stdin: nil)
        return KubectlStream(process: process, output: output)
    }

    private func launch(_ arguments: [String], stdin: String?) async throws -> (SupervisedProcess, KubectlOutput) {
        let run = Self.runs.withLock { count -> Int in
            count += 1
            return count
        }
        // Stdin is a file: a pipe would need a writer beside the process.
        let input = "\(directory)/stdin-\(run)"
        try Data((stdin ?? "").utf8).write(to: URL(fileURLWithPath: input))
        let output = KubectlOutput(stdout: "\(directory)/stdout-\(run)", stderr: "\(directory)/stderr-\(run)")
        let spec = ProcessSpec(
            executable: binary, arguments: commandArguments(arguments), environment: environment,
            output: .files(stdout: output.stdoutPath, stderr: output.stderrPath), standardInput: input)
        return (try await Self.supervisor.spawn(spec), output)
    }

    /// kubectl's arguments: this kubeconfig and cache, then `arguments`.
    private func commandArguments(_ arguments: [String]) -> [String] {
        ["--kubeconfig", kubeconfig, "--cache-dir", directory + "/cache"] + arguments
    }

    /// The test process's environment with this HOME and kubeconfig, and without the variables
    /// that would change what kubectl does (an external diff, an editor, a kuberc).
    private var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory + "/home"
        environment["KUBECONFIG"] = kubeconfig
        for key in ["KUBECTL_EXTERNAL_DIFF", "KUBE_EDITOR", "KUBECTL_KUBERC"] { environment[key] = nil }
        return environment
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

/// Where one kubectl run's stdout and stderr go: files in its directory, read as they grow.
struct KubectlOutput: Sendable {
    let stdoutPath: String
    let stderrPath: String

    init(stdout: String, stderr: String) {
        stdoutPath = stdout
        stderrPath = stderr
    }

    var stdout: String { Self.read(stdoutPath) }
    var stderr: String { Self.read(stderrPath) }

    private static func read(_ path: String) -> String {
        (FileManager.default.contents(atPath: path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// A kubectl that keeps running (`get -w`, `logs -f`); its output collects as it arrives.
public final class KubectlStream: Sendable {
    private let process: SupervisedProcess
    private let output: KubectlOutput

    init(process: SupervisedProcess, output: KubectlOutput) {
        self.process = process
        self.output = output
    }

    deinit { process.signal(SIGKILL) }

    public var stdout: String { output.stdout }
    public var stderr: String { output.stderr }
    public var isRunning: Bool { process.exitStatus == nil }

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
            if !isRunning {
                // Exited: the files hold everything it printed.
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
        process.signal(SIGKILL)
        _ = await process.waitForExit(timeout: .seconds(10))
    }
}

