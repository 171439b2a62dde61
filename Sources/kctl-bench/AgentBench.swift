import ArgumentParser
import Foundation
import Glibc
import KctlClient
import KctlModel
import Logging

/// `kctl-bench agent`: the node agents' process supervision in a real kctld (a child process, so
/// its CPU is its own), next to supervisord managing the same program, measured one after the
/// other in the same run: pod start-up latency, idle cost of supervising many processes, and
/// auto-heal latency after `kill -9`.
///
/// Every process announces itself when it starts (a datagram from bash's /dev/udp, stamped on
/// arrival by `Announcements`), so "running" is detected the same way for both supervisors.
struct AgentBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Node agent: pod start-up, idle cost and auto-heal latency of kctld against supervisord.")

    @Option(help: "Processes (pods, or supervisord programs): each is started once, idles, and is killed once.")
    var processes = 200
    @Option(help: "Simulated nodes in kctld (110 pods each).")
    var nodes = 2
    @Option(help: "Seconds of the idle CPU window.")
    var idleSeconds = 20
    @Option(help: "Seconds to let each supervisor settle before the idle window.")
    var settleSeconds = 5
    @Option(help: "Milliseconds between a replacement's start and the next kill.")
    var pauseMilliseconds = 100
    @Option(help: "The kctld executable (default: the one beside kctl-bench).")
    var kctld: String?
    @Option(help: "kctld's API port (default: a free one).")
    var port: Int?
    @Option(help: "The Python interpreter that has the `supervisor` package (a path, or a name found in PATH).")
    var python = "python3"
    @Option(help: "Directory for data, logs and the pid list scripts/bench-agent cleans up from (default: a temporary one, removed).")
    var workDir: String?
    @Option(parsing: .upToNextOption, help: "Supervisors to measure (default: both).")
    var systems: [System] = System.allCases

    enum System: String, ExpressibleByArgument, CaseIterable {
        case kctld, supervisord
    }

    /// One supervisor's figures, in milliseconds unless named otherwise.
    struct Figures {
        /// For the program alone (the benchmark's own posix_spawn): spawn to running.
        var createToRunning: [Double] = []
        var createToBound: [Double] = []
        var createToReady: [Double] = []
        var heal: [Double] = []
        var idleCorePercent = Double.nan
        var idleRSSMiB = Double.nan
        /// Children left running after the supervisor was stopped with SIGTERM (killed by us).
        var stray = 0
    }

    func validate() throws {
        guard processes > 0 else { throw ValidationError("--processes must be positive") }
        guard nodes * 110 >= processes else { throw ValidationError("--nodes \(nodes) hold at most \(nodes * 110) pods") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .error
            return h
        }
        let ownDir = workDir == nil
        let dir = workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("kctl-bench-agent-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let ledger = ProcessLedger(file: dir + "/pids")
        // Other work on the machine shows in the tails: say how busy it was.
        let loadBefore = Self.loadAverage()
        let announcements = try Announcements { ledger.child($0) }
        var kctldFigures = Figures()
        var supervisordFigures = Figures()
        var bare: [Double] = []
        do {
            bare = try await measureBareStarts(dir: dir, announcements: announcements)
            if systems.contains(.kctld) { kctldFigures = try await measureKctld(dir: dir, ledger: ledger, announcements: announcements) }
            if systems.contains(.supervisord) {
                supervisordFigures = try await measureSupervisord(dir: dir, ledger: ledger, announcements: announcements)
            }
        } catch {
            progress("failed: \(error); logs in \(dir)")
            await ledger.stopAll()
            announcements.stop()
            throw error
        }
        await ledger.stopAll()
        announcements.stop()
        if ownDir { try? FileManager.default.removeItem(atPath: dir) }
        print(report(kctld: kctldFigures, supervisord: supervisordFigures, bare: bare))
        print("load average (1, 5, 15 min) at start: \(loadBefore); at end: \(Self.loadAverage())")
    }

    // MARK: kctld

    func measureKctld(dir: String, ledger: ProcessLedger, announcements: Announcements) async throws -> Figures {
        var figures = Figures()
        let port = try self.port ?? freeLoopbackPort()
        let executable = kctld ?? (RuntimeDirectory.executable + "/kctld")
        progress("kctld: starting \(executable) on 127.0.0.1:\(port) with \(nodes) nodes")
        let process = try ledger.launch(
            "kctld", executable: executable,
            arguments: [
                "--data-dir", dir + "/kctld", "--listen", "127.0.0.1:\(port)", "--kubeconfig", "", "--nodes", "\(nodes)",
                "--pod-runner", "processes", "--backoff-base", "10s",
            ],
            log: dir + "/kctld.log")
        let client = try KubeClient(server: "http://127.0.0.1:\(port)")
        do {
            try await waitForReadyNodes(client, process: process, log: dir + "/kctld.log")
            let names = (0..<processes).map { String(format: "pod-%03d", $0) }

            // 1. Start-up: create one pod, wait for its process and its Ready in the watch, next.
            let seen = Stamps()
            let from = try await client.list(.pod, namespace: "default").resourceVersion
            let watcher = Task {
                for try await event in client.watch(.pod, namespace: "default", resourceVersion: from) {
                    let at = Monotonic.now()
                    let pod = event.object
                    if !(pod.spec?["nodeName"]?.stringValue ?? "").isEmpty { seen.record("bound:\(pod.name)", Stamp(at: at, pid: 0)) }
                    let ready = pod.status?["conditions"]?.arrayValue?.contains {
                        $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                    }
                    if ready == true { seen.record("ready:\(pod.name)", Stamp(at: at, pid: 0)) }
                }
            }
            defer { watcher.cancel() }
            progress("kctld: start-up, \(processes) pods created one after another")
            for (i, name) in names.enumerated() {
                let start = Monotonic.now()
                _ = try await client.create(pod(name, program: announcements.program(name: name, dollars: "$$$$")), as: .pod, namespace: "default")
                guard let running = await announcements.stamps.wait("\(name)#1", timeout: .seconds(30)) else {
                    throw BenchError("kctld: pod \(name) did not start its process within 30 s")
                }
                guard let ready = await seen.wait("ready:\(name)", timeout: .seconds(30)) else {
                    throw BenchError("kctld: pod \(name) was not Ready in the watch within 30 s")
                }
                figures.createToRunning.append(Monotonic.milliseconds(from: start, to: running.at))
                figures.createToReady.append(Monotonic.milliseconds(from: start, to: ready.at))
                if let bound = seen.stamp("bound:\(name)") { figures.createToBound.append(Monotonic.milliseconds(from: start, to: bound.at)) }
                if (i + 1) % 50 == 0 { progress("  \(i + 1) pods Ready") }
            }

            // 2. Idle.
            (figures.idleCorePercent, figures.idleRSSMiB) = try await idle(
                "kctld", pid: process.pid, names: names, announcements: announcements)

            // 3. Auto-heal: each pod's process killed once, so every restart is a first one.
            figures.heal = try await heal("kctld", names: names, announcements: announcements)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        progress("kctld: stopping (SIGTERM)")
        figures.stray = await ledger.stop(process).count
        return figures
    }

    func pod(_ name: String, program: String) -> KubeObject {
        KubeObject([
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "containers": [["name": "main", "command": ["bash", "-c", .string(program)]]],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 2,
            ],
        ])
    }

    func waitForReadyNodes(_ client: KubeClient, process: LaunchedProcess, log: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw BenchError("kctld exited: \(Self.tail(log))") }
            if let list = try? await client.list(.node, namespace: nil) {
                let ready = list.items.filter { node in
                    node.status?["conditions"]?.arrayValue?.contains {
                        $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
                    } == true
                }
                if ready.count >= nodes { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("kctld's \(nodes) nodes were not Ready within 60 s: \(Self.tail(log))")
    }

    // MARK: supervisord

    func measureSupervisord(dir: String, ledger: ProcessLedger, announcements: Announcements) async throws -> Figures {
        var figures = Figures()
        let names = (0..<processes).map { String(format: "prog-%03d", $0) }
        let supervisord = Supervisord(directory: dir + "/supervisord")
        try supervisord.writeConfig(programs: names) { announcements.program(name: $0) }
        progress("supervisord: starting with \(processes) programs")
        let process = try ledger.launch(
            "supervisord", executable: try Self.resolve(python), arguments: supervisord.arguments, log: dir + "/supervisord.out")
        let pid = try await supervisord.waitUntilServing(timeout: .seconds(30))

        // 1. Start-up: startProcess over XML-RPC, one after another.
        progress("supervisord: start-up, \(processes) programs started one after another")
        for name in names {
            let start = Monotonic.now()
            try supervisord.start(name)
            guard let running = await announcements.stamps.wait("\(name)#1", timeout: .seconds(30)) else {
                throw BenchError("supervisord: \(name) did not start within 30 s")
            }
            figures.createToRunning.append(Monotonic.milliseconds(from: start, to: running.at))
        }

        // 2. Idle. 3. Auto-heal.
        (figures.idleCorePercent, figures.idleRSSMiB) = try await idle("supervisord", pid: pid, names: names, announcements: announcements)
        figures.heal = try await heal("supervisord", names: names, announcements: announcements)
        progress("supervisord: stopping (SIGTERM)")
        figures.stray = await ledger.stop(process).count
        return figures
    }

    // MARK: The program alone

    /// The floor under both supervisors: the benchmark itself spawns the program (bash, its
    /// /dev/udp datagram) and times spawn to announcement, `processes` times, one at a time.
    func measureBareStarts(dir: String, announcements: Announcements) async throws -> [Double] {
        progress("the program alone: \(processes) starts with posix_spawn")
        let bash = try Self.resolve("bash")
        var latencies: [Double] = []
        for i in 0..<processes {
            let name = String(format: "bare-%03d", i)
            let start = Monotonic.now()
            let process = try LaunchedProcess.spawn(
                name, executable: bash, arguments: ["-c", announcements.program(name: name)], log: "/dev/null")
            let running = await announcements.stamps.wait("\(name)#1", timeout: .seconds(10))
            kill(process.pid, SIGKILL)
            while process.isRunning { try await Task.sleep(for: .milliseconds(1)) }
            guard let running else { throw BenchError("the program alone did not announce itself within 10 s") }
            latencies.append(Monotonic.milliseconds(from: start, to: running.at))
            try await Task.sleep(for: .milliseconds(pauseMilliseconds))
        }
        return latencies
    }

    // MARK: The shared phases

    /// Lets the supervisor settle, checks every process still runs, and measures its CPU share
    /// and RSS over the idle window.
    func idle(_ system: String, pid: Int32, names: [String], announcements: Announcements) async throws -> (Double, Double) {
        try await Task.sleep(for: .seconds(settleSeconds))
        let alive = names.filter { name in
            announcements.count(name) == 1 && announcements.stamps.stamp("\(name)#1").map { ProcessLedger.isBenchChild($0.pid) } == true
        }
        guard alive.count == names.count else {
            throw BenchError("\(system): only \(alive.count) of \(names.count) processes run once and still run before the idle window")
        }
        progress("\(system): idle, \(names.count) processes, \(idleSeconds) s window")
        let usage = try await ProcessUsage.measure(pid: pid, over: .seconds(idleSeconds))
        progress(String(format: "  %.2f%% of a core, %.1f MiB RSS", usage.corePercent, usage.rssMiB))
        return usage
    }

    /// Kills each process once with SIGKILL and times the arrival of its replacement's
    /// announcement, one at a time, `pauseMilliseconds` apart.
    func heal(_ system: String, names: [String], announcements: Announcements) async throws -> [Double] {
        progress("\(system): auto-heal, \(names.count) kill -9, one at a time")
        var latencies: [Double] = []
        for (i, name) in names.enumerated() {
            guard let first = announcements.stamps.stamp("\(name)#1") else { throw BenchError("\(system): \(name) never ran") }
            let start = Monotonic.now()
            guard kill(first.pid, SIGKILL) == 0 else {
                throw BenchError("\(system): kill -9 \(first.pid) (\(name)): \(String(cString: strerror(errno)))")
            }
            guard let replacement = await announcements.stamps.wait("\(name)#2", timeout: .seconds(10)) else {
                throw BenchError("\(system): \(name) was not restarted within 10 s of kill -9 \(first.pid)")
            }
            latencies.append(Monotonic.milliseconds(from: start, to: replacement.at))
            if (i + 1) % 50 == 0 {
                progress(String(format: "  %d killed, p50 %.2f ms so far", i + 1, Workload.percentile(latencies, 50)))
            }
            try await Task.sleep(for: .milliseconds(pauseMilliseconds))
        }
        return latencies
    }

    /// A path as is; a bare name from PATH.
    static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") where access("\(dir)/\(executable)", X_OK) == 0 {
            return "\(dir)/\(executable)"
        }
        throw BenchError("\(executable) not found in PATH")
    }

    static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data("kctl-bench: \(text)\n".utf8))
    }
}

/// Where the running executable lives (for the kctld built beside it).
enum RuntimeDirectory {
    static var executable: String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }
}
