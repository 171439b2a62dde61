import Foundation
import Testing

@testable import KctlSupervisor

@Suite struct ProcessSupervisorTests {
    @Test func naturalExitReportsTheCode() async throws {
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(ProcessSpec(executable: "/bin/sh", arguments: ["-c", "exit 7"]))
            #expect(process.startTime > 0)
            let status = await process.waitForExit()
            #expect(status == .exited(7))
            #expect(status.exitCode == 7)
            #expect(status.signalName == nil)
            #expect(process.exitStatus == .exited(7))
            #expect(await eventually { supervisor.runningCount == 0 })
            // Already exited: returns at once, any number of times.
            #expect(await process.waitForExit() == .exited(7))
        }
    }

    /// `ProcessOutput.pipes` (kubectl exec): stdin in, stdout and stderr apart, each ending at exit.
    @Test func pipesCarryStdinStdoutAndStderr() async throws {
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", "tr a-z A-Z; echo done >&2; exit 4"], output: .pipes))
            let pipes = try #require(process.pipes)
            pipes.write(Array("quiet\n".utf8))
            pipes.write(Array(repeating: UInt8(ascii: "x"), count: 200_000))
            pipes.closeStdin()
            async let out = collect(pipes.stdout())
            async let err = collect(pipes.stderr())
            let (stdout, stderr) = await (out, err)
            #expect(stdout.count == 6 + 200_000)
            #expect(String(decoding: stdout.prefix(6), as: UTF8.self) == "QUIET\n")
            #expect(String(decoding: stderr, as: UTF8.self) == "done\n")
            #expect(await process.waitForExit() == .exited(4))
            // A stream taken twice is empty, not a second reader of the same pipe.
            #expect(await collect(pipes.stdout()).isEmpty)
        }
    }

    /// `ProcessOutput.terminal` (kubectl exec -t): a pseudo-terminal that is the child's
    /// controlling terminal, resizable, with stderr on it too.
    @Test func terminalIsAControllingPseudoTerminal() async throws {
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "read go; tty; stty size; echo oops >&2; exit 3"],
                    output: .terminal))
            let pipes = try #require(process.pipes)
            #expect(pipes.isTerminal)
            pipes.resize(columns: 100, rows: 40)
            pipes.write(Array("go\n".utf8))
            async let out = collect(pipes.stdout())
            let text = String(decoding: await out, as: UTF8.self)
            #expect(text.contains("/dev/pts/"), "\(text)")
            #expect(text.contains("40 100"), "\(text)")
            #expect(text.contains("oops"), "\(text)")
            #expect(await collect(pipes.stderr()).isEmpty)
            #expect(await process.waitForExit() == .exited(3))
        }
    }

    private func collect(_ stream: AsyncStream<[UInt8]>) async -> [UInt8] {
        var bytes: [UInt8] = []
        for await chunk in stream { bytes += chunk }
        return bytes
    }

    @Test func killNineIsNoticedWithoutPolling() async throws {
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(ProcessSpec(executable: "/bin/sleep", arguments: ["100"]))
            #expect(supervisor.runningCount == 1)
            #expect(kill(process.pid, SIGKILL) == 0)
            let status = await process.waitForExit(timeout: .seconds(10))
            #expect(status == .signaled(SIGKILL))
            #expect(status?.exitCode == 137)
            #expect(status?.signalName == "SIGKILL")
            #expect(zombieChildren(inGroups: [process.pid]).isEmpty)
        }
    }

    @Test func stopLetsATrappingShellExitOnTerm() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let script = "trap 'exit 3' TERM; touch ready; while :; do sleep 0.05; done"
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir))
            #expect(await eventually { FileManager.default.fileExists(atPath: dir + "/ready") })
            let status = await process.stop(gracePeriod: .seconds(30))
            #expect(status == .exited(3))
        }
    }

    @Test func stopKillsAProcessThatIgnoresTermAfterTheGrace() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let script = "trap '' TERM; touch ready; while :; do sleep 0.05; done"
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir))
            #expect(await eventually { FileManager.default.fileExists(atPath: dir + "/ready") })
            let status = await process.stop(gracePeriod: .milliseconds(300))
            #expect(status == .signaled(SIGKILL))
            #expect(!ProcSampler.groupExists(process.pid))
        }
    }

    @Test func stopIsSafeConcurrentlyRepeatedlyAndAfterExit() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let script = "trap 'exit 4' TERM; touch ready; while :; do sleep 0.05; done"
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir))
            #expect(await eventually { FileManager.default.fileExists(atPath: dir + "/ready") })
            let statuses = await withTaskGroup(of: ExitStatus.self) { group in
                for _ in 0..<5 { group.addTask { await process.stop(gracePeriod: .seconds(30)) } }
                return await group.reduce(into: [ExitStatus]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .exited(4), count: 5))
            #expect(await process.stop(gracePeriod: .seconds(1)) == .exited(4))
            process.signal(SIGKILL)  // gone: a no-op
            #expect(process.exitStatus == .exited(4))

            let done = try await supervisor.spawn(ProcessSpec(executable: "/bin/sh", arguments: ["-c", "exit 0"]))
            _ = await done.waitForExit()
            #expect(await done.stop(gracePeriod: .seconds(1)) == .exited(0))
        }
    }

    @Test func stopKillsGrandchildren() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "sleep 100 & echo $! > grandchild; sleep 100"],
                    workingDirectory: dir))
            #expect(await eventually { !readText(dir + "/grandchild").isEmpty })
            let grandchild = try #require(Int32(readText(dir + "/grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(isAlive(grandchild))
            let status = await process.stop(gracePeriod: .seconds(10))
            #expect(status == .signaled(SIGTERM))
            #expect(!ProcSampler.groupExists(process.pid))
            #expect(!isAlive(grandchild))
            #expect(zombieChildren(inGroups: [process.pid]).isEmpty)
        }
    }

    @Test func theGroupEndsWithItsMainProcess() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "sleep 100 & echo $! > grandchild; exit 5"],
                    workingDirectory: dir))
            #expect(await process.waitForExit(timeout: .seconds(10)) == .exited(5))
            let grandchild = try #require(Int32(readText(dir + "/grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(!isAlive(grandchild))
            #expect(!ProcSampler.groupExists(process.pid))
        }
    }

    @Test func asSubreaperOrphansAreReaped() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor(becomeSubreaper: true) { supervisor in
            // A grandchild left in the group, and one that leaves the group (setsid) and exits.
            let script = "sleep 100 & setsid sh -c 'echo $$ > escaped; exec sleep 0.2' & wait"
            let process = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir))
            #expect(await eventually { !readText(dir + "/escaped").isEmpty })
            let escaped = try #require(Int32(readText(dir + "/escaped").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(await process.stop(gracePeriod: .seconds(10)) == .signaled(SIGTERM))
            #expect(zombieChildren(inGroups: [process.pid]).isEmpty)
            // The escaped one exits on its own and becomes our zombie until the sweep reaps it.
            #expect(await eventually { ProcStat.read(pid: escaped) == nil })
        }
    }

    @Test func environmentWorkingDirectoryAndOutputFile() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let log = dir + "/out.log"
            let script = "echo \"$GREETING\"; echo \"${HOME:-no home}\"; pwd; echo oops >&2; exit 0"
            let process = try await supervisor.spawn(
                ProcessSpec(
                    executable: "sh", arguments: ["-c", script],
                    environment: ["GREETING": "hello world", "PATH": "/usr/bin:/bin"],
                    workingDirectory: dir, output: .file(log)))
            #expect(await process.waitForExit() == .exited(0))
            #expect(readText(log) == "hello world\nno home\n\(dir)\noops\n")

            // Appends; separate files for stdout and stderr.
            let again = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", "echo more; echo bad >&2"], output: .file(log)))
            _ = await again.waitForExit()
            #expect(readText(log).hasSuffix("oops\nmore\nbad\n"))
            let split = try await supervisor.spawn(
                ProcessSpec(
                    executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2"],
                    output: .files(stdout: dir + "/stdout", stderr: dir + "/stderr")))
            _ = await split.waitForExit()
            #expect(readText(dir + "/stdout") == "out\n")
            #expect(readText(dir + "/stderr") == "err\n")
        }
    }

    @Test func childStartsWithDefaultSignalsAndOnlyStandardFDs() async throws {
        try await withSupervisor { supervisor in
            let process = try await supervisor.spawn(ProcessSpec(executable: "/bin/sleep", arguments: ["100"]))
            let status = readText("/proc/\(process.pid)/status")
            let fields = Dictionary(
                status.split(separator: "\n").compactMap { line -> (String, String)? in
                    let parts = line.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2 else { return nil }
                    return (String(parts[0]), parts[1].trimmingCharacters(in: .whitespaces))
                }, uniquingKeysWith: { first, _ in first })
            #expect(fields["SigIgn"] == "0000000000000000")
            #expect(fields["SigBlk"] == "0000000000000000")
            let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/fd").sorted()
            #expect(fds == ["0", "1", "2"])
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/fd/0") == "/dev/null")
            #expect(ProcStat.read(pid: process.pid)?.pgrp == process.pid)
            #expect(await process.stop(gracePeriod: .seconds(5)) == .signaled(SIGTERM))
        }
    }

    @Test func spawnErrorsAreClear() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let missing = await #expect(throws: SpawnError.self) {
                try await supervisor.spawn(ProcessSpec(executable: "no-such-program-kctl"))
            }
            #expect(missing?.reason == .notFound)
            #expect(missing?.description == "exec: \"no-such-program-kctl\": executable file not found in $PATH")

            let missingPath = await #expect(throws: SpawnError.self) {
                try await supervisor.spawn(ProcessSpec(executable: dir + "/nothing"))
            }
            #expect(missingPath?.reason == .notFound)
            #expect(missingPath?.description == "fork/exec \(dir)/nothing: no such file or directory")

            let script = dir + "/script.sh"
            _ = FileManager.default.createFile(atPath: script, contents: Data("#!/bin/sh\nexit 0\n".utf8), attributes: [.posixPermissions: 0o644])
            let denied = await #expect(throws: SpawnError.self) {
                try await supervisor.spawn(ProcessSpec(executable: script))
            }
            #expect(denied?.reason == .permissionDenied)
            #expect(denied?.errno == EACCES)
            #expect(denied?.description == "fork/exec \(script): permission denied")

            let deniedByName = await #expect(throws: SpawnError.self) {
                try await supervisor.spawn(ProcessSpec(executable: "script.sh", environment: ["PATH": dir]))
            }
            #expect(deniedByName?.reason == .permissionDenied)

            let noDirectory = await #expect(throws: SpawnError.self) {
                try await supervisor.spawn(ProcessSpec(executable: "/bin/true", workingDirectory: dir + "/gone"))
            }
            #expect(noDirectory?.reason == .workingDirectory)
            #expect(noDirectory?.description == "chdir \"\(dir)/gone\": no such file or directory")

            #expect(supervisor.runningCount == 0)

            // A bare name found in the given PATH after a miss.
            let found = try await supervisor.spawn(
                ProcessSpec(executable: "true", environment: ["PATH": "\(dir):/nonexistent:/usr/bin:/bin"]))
            #expect(await found.waitForExit() == .exited(0))
        }
    }

    @Test func stdinIsAGivenFileOrEmpty() async throws {
        try await withSupervisor { supervisor in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-stdin-\(UUID().uuidString)").path
            try Data("from a file\n".utf8).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let given = try await supervisor.run(
                ProcessSpec(executable: "/bin/cat", standardInput: path), timeout: .seconds(30))
            #expect(given.output == "from a file\n")
            let none = try await supervisor.run(ProcessSpec(executable: "/bin/cat"), timeout: .seconds(30))
            #expect(none.status == .exited(0) && none.output.isEmpty)
            await #expect(throws: SpawnError.self) {
                try await supervisor.run(ProcessSpec(executable: "/bin/cat", standardInput: path + "-missing"), timeout: .seconds(30))
            }
        }
    }

    @Test func runCapturesOutput() async throws {
        try await withSupervisor { supervisor in
            let result = try await supervisor.run(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", "echo out; echo err >&2; cat; exit 2"]),
                timeout: .seconds(30))
            #expect(result.status == .exited(2))
            #expect(!result.timedOut)
            #expect(result.output == "out\nerr\n")

            let capped = try await supervisor.run(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", "yes | head -c 1000000"]),
                timeout: .seconds(30), outputLimit: 100)
            #expect(capped.status == .exited(0))
            #expect(capped.output == String(repeating: "y\n", count: 50))
            #expect(supervisor.runningCount == 0)
        }
    }

    @Test func runTimeoutKillsTheWholeGroup() async throws {
        let dir = makeTemporaryDirectory()
        defer { removeTemporaryDirectory(dir) }
        try await withSupervisor { supervisor in
            let script = "echo $$ > group; sleep 100 & echo $! > grandchild; echo started; sleep 100"
            let result = try await supervisor.run(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", script], workingDirectory: dir),
                timeout: .milliseconds(500))
            #expect(result.timedOut)
            #expect(result.status == nil)
            #expect(result.output == "started\n")
            let group = try #require(Int32(readText(dir + "/group").trimmingCharacters(in: .whitespacesAndNewlines)))
            let grandchild = try #require(Int32(readText(dir + "/grandchild").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(!ProcSampler.groupExists(group))
            #expect(!isAlive(grandchild))
            #expect(zombieChildren(inGroups: [group]).isEmpty)
        }
    }

    @Test func fiftyConcurrentSpawns() async throws {
        try await withSupervisor { supervisor in
            let results = try await withThrowingTaskGroup(of: (Int32, Int32, ExitStatus).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let process = try await supervisor.spawn(
                            ProcessSpec(executable: "/bin/sh", arguments: ["-c", "exit \(index)"]))
                        return (Int32(index), process.pid, await process.waitForExit())
                    }
                }
                return try await group.reduce(into: [(Int32, Int32, ExitStatus)]()) { $0.append($1) }
            }
            #expect(results.count == 50)
            for (index, _, status) in results { #expect(status == .exited(index)) }
            #expect(Set(results.map(\.1)).count == 50)
            #expect(await eventually { supervisor.runningCount == 0 })
            #expect(zombieChildren(inGroups: Set(results.map(\.1))).isEmpty)
        }
    }

    @Test func shutdownLeavesNothing() async throws {
        let supervisor = ProcessSupervisor(logger: testLogger)
        var processes: [SupervisedProcess] = []
        for _ in 0..<4 {
            processes.append(try await supervisor.spawn(ProcessSpec(executable: "/bin/sleep", arguments: ["100"])))
        }
        processes.append(
            try await supervisor.spawn(ProcessSpec(executable: "/bin/sh", arguments: ["-c", "sleep 100 & sleep 100"])))
        #expect(supervisor.runningCount == 5)
        await supervisor.shutdown()
        #expect(supervisor.runningCount == 0)
        for process in processes {
            #expect(process.exitStatus == .signaled(SIGKILL))
            #expect(!ProcSampler.groupExists(process.pid))
        }
        #expect(zombieChildren(inGroups: Set(processes.map(\.pid))).isEmpty)
        await supervisor.shutdown()  // idempotent
        await #expect(throws: SpawnError.self) {
            try await supervisor.spawn(ProcessSpec(executable: "/bin/true"))
        }
    }

    /// The kernel's PR_SET_PDEATHSIG, exercised by ending the supervisor thread without any cleanup,
    /// as a crash of the daemon would.
    @Test func childrenDieWithTheSupervisorThread() async throws {
        let supervisor = ProcessSupervisor(logger: testLogger)
        let dying = try await supervisor.spawn(ProcessSpec(executable: "/bin/sleep", arguments: ["100"]))
        let surviving = try await supervisor.spawn(
            ProcessSpec(executable: "/bin/sleep", arguments: ["100"], dieWithSupervisor: false))
        await supervisor.abandon()
        // Both are now children of another thread of this process: reap them here.
        var status: Int32 = 0
        #expect(await eventually { waitpid(dying.pid, &status, WNOHANG) == dying.pid })
        #expect(status & 0x7f == SIGKILL)
        #expect(isAlive(surviving.pid))
        kill(surviving.pid, SIGKILL)
        #expect(await eventually { waitpid(surviving.pid, &status, WNOHANG) == surviving.pid })
    }
}
