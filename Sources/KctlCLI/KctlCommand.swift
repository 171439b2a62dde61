import ArgumentParser
import Foundation
import KctlModel

/// `kctl`: the command-line client for kctld, shaped like kubectl.
public struct KctlCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kctl",
        abstract: "Controls a kctl cluster: apply manifests, inspect and delete objects.",
        subcommands: [Apply.self, Get.self, Describe.self, Delete.self, Create.self])

    public init() {}

    /// The binary's entry point: runs the command line and exits with its status.
    public static func main() async {
        let code = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        Foundation.exit(code)
    }

    /// Parses and runs one command line against `CommandIO.current`; returns the exit code.
    /// Errors are printed here, one line each (`Error from server (Reason): ...` / `error: ...`).
    public static func run(arguments: [String]) async -> Int32 {
        let io = CommandIO.current
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            let message = fullMessage(for: error)
            let code = exitCode(for: error)
            if code == .success {
                if !message.isEmpty { io.out(message) }
                return 0
            }
            io.err(message.hasPrefix("Error: ") ? "error: " + message.dropFirst("Error: ".count) : message)
            return 1
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
        } catch let error as CleanExit {
            io.out(fullMessage(for: error))
            return 0
        } catch {
            io.err(lines: ErrorReport.lines(for: error))
            return 1
        }
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
