import Foundation

/// Where a command writes and reads: the process's stdout/stderr/stdin, or buffers in tests.
/// Commands reach it through the task-local `CommandIO.current`, so the same command code runs
/// in the `kctl` binary and in process under `KctlCommand.capture(_:)`.
public struct CommandIO: Sendable {
    public enum Stream: Sendable { case out, err }

    private let writeText: @Sendable (Stream, String) -> Void
    private let readAll: @Sendable () -> Data
    /// True for the real process streams (only then does `get -w` take over Ctrl-C).
    public let isProcess: Bool

    public init(
        isProcess: Bool = false, write: @escaping @Sendable (Stream, String) -> Void,
        readInput: @escaping @Sendable () -> Data
    ) {
        self.isProcess = isProcess
        self.writeText = write
        self.readAll = readInput
    }

    @TaskLocal public static var current = CommandIO.process

    /// The process's own stdout, stderr and stdin.
    public static let process = CommandIO(
        isProcess: true,
        write: { stream, text in
            let handle = stream == .out ? FileHandle.standardOutput : FileHandle.standardError
            do {
                try handle.write(contentsOf: Data(text.utf8))
            } catch {
                // The reader went away (`kctl get pods | head`): stop quietly, as a pipe expects.
                exit(0)
            }
        },
        readInput: { FileHandle.standardInput.readDataToEndOfFile() })

    /// Writes `line` and a newline to stdout.
    public func out(_ line: String) { writeText(.out, line + "\n") }
    /// Writes several lines to stdout at once.
    public func out(lines: [String]) {
        if !lines.isEmpty { writeText(.out, lines.joined(separator: "\n") + "\n") }
    }
    /// Writes text as is (no newline added) to stdout.
    public func outRaw(_ text: String) { writeText(.out, text) }
    /// Writes `line` and a newline to stderr.
    public func err(_ line: String) { writeText(.err, line + "\n") }
    /// All of stdin (for `-f -`).
    public func readInput() -> Data { readAll() }
}

/// Captured output of an in-process run.
public final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var outText = ""
    private var errText = ""

    public init() {}

    public var stdout: String { lock.withLock { outText } }
    public var stderr: String { lock.withLock { errText } }

    func append(_ stream: CommandIO.Stream, _ text: String) {
        lock.withLock {
            if stream == .out { outText += text } else { errText += text }
        }
    }

    /// A `CommandIO` writing into this buffer and reading `stdin` as input.
    public func io(stdin: String = "") -> CommandIO {
        let input = Data(stdin.utf8)
        return CommandIO(write: { [self] stream, text in append(stream, text) }, readInput: { input })
    }
}

/// The outcome of `KctlCommand.capture(_:)`.
public struct CommandResult: Sendable {
    public var exitCode: Int32
    public var stdout: String
    public var stderr: String

    public init(exitCode: Int32, stdout: String, stderr: String) {
        self.exitCode = exitCode
        self.stdout = stdout
        self.stderr = stderr
    }
}
