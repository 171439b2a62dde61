import ArgumentParser
import Foundation
import KctlModel

/// `kctl`: the command-line client for kctld, shaped like kubectl.
public struct KctlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kctl",
        abstract: "Controls a kctl cluster: apply manifests, inspect and delete objects.",
        subcommands: [Apply.self, Get.self, Describe.self, Delete.self, Create.self, Events.self, Explain.self,
            Logs.self, Top.self, Cordon.self, Uncordon.self, Drain.self, Node.self, Scale.self, Patch.self, Rollout.self, SetCommand.self,
            Metrics.self,
        ])

    public init() {}

    /// The binary's entry point: runs the process's command line and exits with its status.
    /// (ArgumentParser's own `main()` would print errors its way; kctl prints them like kubectl.)
    public static func runAndExit() async -> Never {
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        Foundation.exit(code)
    }

    /// Parses and runs one command line against `CommandIO.current`; returns the exit code.
    /// Errors are printed here, one line each (`Error from server (Reason): ...` / `error: ...`).
    public static func run(arguments: [String]) async -> Int32 {
        let io = CommandIO.current
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(GlobalOptions.movedBehindTheCommand(arguments))
        } catch {
            return reportParserError(error, io: io)
        }
        do {
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            return 0
        } catch is AlreadyReported {
            return 1
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch is CancellationError {
            return 0
        } catch let error as StatusError {
            io.err(lines: ErrorReport.lines(for: error))
            return 1
        } catch let error as CLIError {
            io.err(lines: ErrorReport.lines(for: error))
            return 1
        } catch {
            // Help, version and usage errors that ArgumentParser raises while running.
            return reportParserError(error, io: io)
        }
    }

    /// Prints ArgumentParser's message for `error`: help on stdout (exit 0), errors on stderr (exit 1).
    private static func reportParserError(_ error: any Error, io: CommandIO) -> Int32 {
        let message = fullMessage(for: error)
        if exitCode(for: error) == .success {
            if !message.isEmpty { io.out(message) }
            return 0
        }
        io.err(message.hasPrefix("Error: ") ? "error: " + message.dropFirst("Error: ".count) : message)
        return 1
    }

    /// Runs a command line in process with its output captured, for tests:
    ///
    ///     let result = await KctlCommand.capture(["get", "pods", "--server", url])
    ///     #expect(result.exitCode == 0 && result.stdout.contains("web-"))
    public static func capture(_ arguments: [String], stdin: String = "") async -> CommandResult {
        let buffer = OutputBuffer()
        let code = await CommandIO.$current.withValue(buffer.io(stdin: stdin)) {
            await run(arguments: arguments)
        }
        return CommandResult(exitCode: code, stdout: buffer.stdout, stderr: buffer.stderr)
    }
}

extension CommandIO {
    func err(lines: [String]) { for line in lines { err(line) } }
}
