import ArgumentParser
import Foundation
import KctlClient
import KctlDaemon
import KctlModel
import KctlScheduler
import Logging

/// `kctl-bench scheduler`: (a) the scheduling core alone placing many pods on many nodes with
/// resource fit and zone spreading, every placement checked; (b) end to end through a real kctld:
/// Deployments applied over HTTP until every pod is bound.
struct SchedulerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Scheduler throughput alone and end to end through kctld.")

    @Option(help: "Nodes for the scheduler-alone run.")
    var nodes = 5_000
    @Option(help: "Pods for the scheduler-alone run.")
    var pods = 50_000
    @Option(help: "Zones the nodes are spread over.")
    var zones = 3
    @Option(help: "Deployments applied in the end-to-end run (0 skips it).")
    var deployments = 1_000
    @Option(help: "Replicas of each Deployment in the end-to-end run.")
    var replicas = 5
    @Option(help: "Simulated nodes in the end-to-end run.")
    var e2eNodes = 100
    @Option(help: "How the end-to-end run sends the Deployments: apply (kctl apply -f of one manifest file, the kctl binary next to this one) or api (8 clients posting in this process).")
    var via: Client = .apply
    @Flag(help: "Run only the end-to-end run (b), without the scheduler-alone run (a) and the rows that compare with it.")
    var endToEndOnly = false

    enum Client: String, ExpressibleByArgument, CaseIterable {
        case apply, api
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .error
            return h
        }
        var table = ResultTable()
        var alonePodsPerSecond: Double?
        if !endToEndOnly {
            progress("scheduler alone: \(pods) pods on \(nodes) nodes in \(zones) zones, every feasible node scored")
            let alone = SchedulerBenchmark.run(nodes: nodes, pods: pods, zones: zones)
            FileHandle.standardError.write(Data((alone.report + "\n").utf8))
            if alone.violations > 0 { throw BenchError("\(alone.violations) placements broke a filter") }
            table.add("scheduler alone, pods/s (\(pods) pods, \(nodes) nodes)", alone.podsPerSecond, "issue goal, pods/s", 10_000, higherIsBetter: true)
            table.add("scheduler alone, pods/s", alone.podsPerSecond, "Kubernetes scheduler_perf CI floor, pods/s (quoted)", 810, higherIsBetter: true)
            alonePodsPerSecond = alone.podsPerSecond
        }

        if deployments > 0 {
            let total = deployments * replicas
            progress("end to end: \(deployments) Deployments x \(replicas) replicas on \(e2eNodes) nodes through kctld")
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-bench-sched-\(getpid())").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let (urls, continuation) = AsyncStream<String>.makeStream()
            let options = DaemonOptions(
                dataDir: dir, host: "127.0.0.1", port: 0, kubeconfigPath: nil, logLevel: .error, nodes: e2eNodes,
                podRunner: .accept,  // the control plane alone: agents acknowledge pods, run no process
                ingressPort: 0)  // any free port: another kctld on this machine may hold the default
            let daemon = Task { try await Daemon(options: options).run { continuation.yield($0) } }
            var url = ""
            for await u in urls { url = u; break }
            let client = try KubeClient(server: url)
            let probe = try ChangeLogProbe(path: (dir as NSString).appendingPathComponent("kctl.db"))
            let before = try probe.currentRevision()
            probe.start(after: before)
            let manifest = (dir as NSString).appendingPathComponent("deployments.yaml")
            if via == .apply {
                let documents = (0..<deployments).map { JSONValue.object(Self.deployment($0, replicas: replicas).json) }
                try Manifest.yaml(documents: documents).write(toFile: manifest, atomically: true, encoding: .utf8)
            }
            let cpuBefore = Self.cpuSeconds()
            let start = ContinuousClock.now
            let postingFailed = Locked<(any Error)?>(nil)
            let posting = Task {
                do {
                    try await send(manifest: manifest, url: url, client: client, total: deployments)
                    return ContinuousClock.now
                } catch {
                    postingFailed.withLock { $0 = error }
                    throw error
                }
            }
            var probeTime = Duration.zero  // the probe runs in this process: what it costs is counted below
            var allCreated: ContinuousClock.Instant?
            var lastReport = ContinuousClock.now
            while probe.bound.count < total {
                try await Task.sleep(for: .milliseconds(10))
                if let error = postingFailed.withLock({ $0 }) { throw error }
                let polling = ContinuousClock.now
                try probe.poll()
                probeTime += ContinuousClock.now - polling
                if allCreated == nil && probe.created.count >= total { allCreated = .now }
                if ContinuousClock.now - lastReport > .seconds(5) {
                    progress("  \(probe.created.count) pods created, \(probe.bound.count)/\(total) bound")
                    lastReport = .now
                }
                if ContinuousClock.now - start > .seconds(900) { throw BenchError("not all pods bound after 15 minutes") }
            }
            let end = ContinuousClock.now
            let posted = try await posting.value
            let cpu = Self.cpuSeconds()
            try probe.verifyBindings()
            progress(
                "  Deployments \(via == .apply ? "applied (kctl apply)" : "posted") after \(Self.seconds(posted - start)), every pod created after "
                    + "\(Self.seconds((allCreated ?? end) - start)), every pod bound after \(Self.seconds(end - start))")
            let writes = try probe.writes(after: before)
            let written = try ChangeLogReplay.rows(of: (dir as NSString).appendingPathComponent("kctl.db"), after: before)
            let writeTotal = writes.reduce(0) { $0 + $1.count }
            progress(
                "  \(writeTotal) store writes (\(String(format: "%.1f", Double(writeTotal) / Double(total))) per pod): "
                    + writes.map { "\($0.resource) \($0.type) \($0.count)" }.joined(separator: ", "))
            progress(
                String(
                    format: "  CPU: %.2f s in this process (kctld and the probe), %.2f s in kctl apply (%.2f ms a pod together)",
                    cpu.own - cpuBefore.own, cpu.children - cpuBefore.children,
                    (cpu.own - cpuBefore.own + cpu.children - cpuBefore.children) * 1000 / Double(total))
                    + ", of which the probe's polls \(Self.seconds(probeTime))")
            let sizes = try probe.sizes(after: before)
            progress("  a stored pod is \(sizes.pod) bytes; the writes logged \(sizes.changes >> 20) MiB")
            let runCPU = cpu.own - cpuBefore.own + cpu.children - cpuBefore.children
            let floor = try ChangeLogReplay.replay(written, into: (dir as NSString).appendingPathComponent("replay.db"))
            progress(
                String(
                    format: "  raw SQLite, the same %d writes again (same rows, %d attachments, layout and durability, "
                        + "%d a transaction): %.2f s of CPU, %.0f us a pod, %.0f%% of the run's CPU",
                    floor.writes, floor.attachments, ChangeLogReplay.group, floor.cpuSeconds, floor.cpuSeconds * 1e6 / Double(total),
                    floor.cpuSeconds * 100 / runCPU))
            let seconds = (end - start).seconds
            let e2eRate = Double(total) / seconds
            if let alone = alonePodsPerSecond {
                table.add("end to end, seconds to bind \(total) pods", seconds, "scheduler alone, seconds for \(total) pods", Double(total) / alone, higherIsBetter: false)
                table.add("end to end, pods/s", e2eRate, "scheduler alone, pods/s", alone, higherIsBetter: true)
                table.add(
                    "end to end, CPU us a pod (kctld, kctl apply, probe)", runCPU * 1e6 / Double(total),
                    "raw SQLite, the same writes, CPU us a pod", floor.cpuSeconds * 1e6 / Double(total), higherIsBetter: false)
            } else {
                progress(String(format: "end to end: %.2f s to bind %d pods, %.0f pods/s", seconds, total, e2eRate))
            }
            try await client.shutdown()
            daemon.cancel()
            _ = await daemon.result
        }
        if !endToEndOnly { print(table.render()) }
    }

    /// User plus system CPU seconds of this process and of its waited-for children (kctl apply):
    /// steadier than wall time on a machine that other work shares.
    static func cpuSeconds() -> (own: Double, children: Double) {
        func seconds(_ who: __rusage_who) -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(who.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        }
        return (seconds(RUSAGE_SELF), seconds(RUSAGE_CHILDREN))
    }

    static func deployment(_ i: Int, replicas: Int) -> KubeObject {
        let name = "bench-\(i)"
        return KubeObject([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name)],
            "spec": [
                "replicas": .int(Int64(replicas)),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": [
                        "containers": [[
                            "name": "main", "command": ["sleep", "3600"],
                            "resources": ["requests": ["cpu": "10m", "memory": "16Mi"]],
                        ]],
                        "topologySpreadConstraints": [[
                            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": ["matchLabels": ["app": .string(name)]],
                        ]],
                    ],
                ],
            ],
        ])
    }

    /// Sends the Deployments: `kctl apply` of the manifest, or 8 clients posting them.
    func send(manifest: String, url: String, client: KubeClient, total deployments: Int) async throws {
        switch via {
        case .apply:
            try await Self.kctlApply(manifest, server: url, expectedLines: deployments)
        case .api:
            let replicas = self.replicas
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var i = worker
                        while i < deployments {
                            _ = try await client.create(
                                Self.deployment(i, replicas: replicas), as: .deployment, namespace: "default")
                            i += 8
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// Runs `kctl apply -f manifest` (the kctl built next to this binary) and checks that it
    /// applied every document.
    static func kctlApply(_ manifest: String, server: String, expectedLines: Int) async throws {
        let kctl = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("kctl").path
        guard FileManager.default.isExecutableFile(atPath: kctl) else {
            throw BenchError("\(kctl) is missing: build it first (swift build -c release --product kctl)")
        }
        let outputPath = manifest + ".out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: kctl)
        process.arguments = ["apply", "-f", manifest, "--server", server]
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        // Waits for the exit without blocking a thread (the daemon under test runs on the same few).
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                FileHandle.standardError.write(Data("kctl-bench: cannot run \(kctl): \(error)\n".utf8))
                continuation.resume()
            }
        }
        let lines = (try? String(contentsOfFile: outputPath, encoding: .utf8))?.split(separator: "\n").count ?? 0
        guard process.terminationStatus == 0, lines == expectedLines else {
            throw BenchError("kctl apply exited with \(process.terminationStatus) after \(lines) of \(expectedLines) lines")
        }
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.2f s", d.seconds) }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data("kctl-bench: \(text)\n".utf8))
    }
}
