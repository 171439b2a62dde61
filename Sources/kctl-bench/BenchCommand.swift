import ArgumentParser
import Foundation
import KctlClient
import KctlDaemon
import KctlModel
import KctlStore
import Logging

/// kctl-bench: store and API throughput, list latency and watch delivery, each next to a
/// reference measured in the same run (raw SQLite, or the store called directly).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Measure the kctl store and API against raw SQLite in one run.")

    @Option(help: "Objects written in each write phase.")
    var writes = 5_000
    @Option(help: "Objects in the list-latency collection.")
    var listObjects = 10_000
    @Option(help: "Concurrent watchers.")
    var watchers = 100
    @Option(help: "Events delivered to the watchers.")
    var events = 300
    @Option(help: "Concurrent HTTP clients writing.")
    var httpClients = 8
    @Option(
        parsing: .upToNextOption,
        help: "Phases to run (default: all). Skipping one leaves its rows out; for profiling one part alone.")
    var only: [Phase] = Phase.allCases

    enum Phase: String, ExpressibleByArgument, CaseIterable {
        case store, http, list, watch
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .warning
            return h
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var table = ResultTable()

        let phases = Set(only)
        let raw = try RawSQLite(path: dir + "/raw.db")
        let store = try SQLiteStore(path: dir + "/store.db")
        var start = ContinuousClock.now
        // How many bench objects each of the three databases holds so far.
        var rawFilled = 0, storeFilled = 0, httpFilled = 0

        // 1. Raw SQLite vs the store, same rows, same durability.
        var storeCreates = Double.nan, storeUpdates = Double.nan
        if phases.contains(.store) {
            progress("raw SQLite: \(writes) inserts and updates, one transaction each")
            let rows = (0..<writes).map { (key: "configmaps/default/bench-\($0)", value: Workload.configMap($0).serialized()) }
            let updatedRows = (0..<writes).map { (key: "configmaps/default/bench-\($0)", value: Workload.configMap($0, version: 1).serialized()) }
            let rawInserts = try raw.write(rows: rows, update: false)
            let rawUpdates = try raw.write(rows: updatedRows, update: true)

            progress("store: \(writes) creates and updates")
            start = ContinuousClock.now
            for i in 0..<writes { _ = try await store.create(Workload.configMap(i), as: .configMap) }
            storeCreates = Double(writes) / (ContinuousClock.now - start).seconds
            start = ContinuousClock.now
            for i in 0..<writes { _ = try await store.update(Workload.configMap(i, version: 1), as: .configMap) }
            storeUpdates = Double(writes) / (ContinuousClock.now - start).seconds
            table.add("store creates/s", storeCreates, "raw SQLite inserts/s", rawInserts, higherIsBetter: true)
            table.add("store updates/s", storeUpdates, "raw SQLite updates/s", rawUpdates, higherIsBetter: true)
            rawFilled = writes
            storeFilled = writes
        }

        // 2. The same through HTTP.
        progress("starting kctld on a free port")
        let daemonDir = dir + "/daemon"
        let (url, daemonTask) = try await startDaemon(dataDir: daemonDir)
        let client = try KubeClient(server: url)
        if phases.contains(.http) {
            progress("HTTP API: \(writes) creates and updates from \(httpClients) clients")
            let httpCreates = try await timedParallel(count: writes, workers: httpClients) { i in
                _ = try await client.create(Workload.configMap(i), as: .configMap, namespace: "default")
            }
            let httpUpdates = try await timedParallel(count: writes, workers: httpClients) { i in
                _ = try await client.update(Workload.configMap(i, version: 1), as: .configMap)
            }
            table.add("HTTP API creates/s (\(httpClients) clients)", httpCreates, "store creates/s", storeCreates, higherIsBetter: true)
            table.add("HTTP API updates/s (\(httpClients) clients)", httpUpdates, "store updates/s", storeUpdates, higherIsBetter: true)
            httpFilled = writes
        }

        // 3. List latency at listObjects objects.
        if phases.contains(.list) {
            progress("list: filling to \(listObjects) objects")
            for i in storeFilled..<max(storeFilled, listObjects) { _ = try await store.create(Workload.configMap(i), as: .configMap) }
            let fillRows = (rawFilled..<max(rawFilled, listObjects)).map { (key: "configmaps/default/bench-\($0)", value: Workload.configMap($0).serialized()) }
            _ = try raw.write(rows: fillRows, update: false)
            let httpFrom = httpFilled
            _ = try await timedParallel(count: max(0, listObjects - httpFrom), workers: httpClients) { i in
                _ = try await client.create(Workload.configMap(httpFrom + i), as: .configMap, namespace: "default")
            }
            var rawList: [Double] = [], storeList: [Double] = [], httpList: [Double] = []
            for _ in 0..<5 {
                rawList.append(try raw.readAll().milliseconds)
                start = ContinuousClock.now
                let listed = try await store.list(.configMap, namespace: "default")
                precondition(listed.items.count >= listObjects)
                storeList.append((ContinuousClock.now - start).milliseconds)
                start = ContinuousClock.now
                let httpListed = try await client.list(.configMap, namespace: "default")
                precondition(httpListed.items.count >= listObjects)
                httpList.append((ContinuousClock.now - start).milliseconds)
            }
            table.add("store list of \(listObjects), ms (p50 of 5)", Workload.percentile(storeList, 50), "raw SQLite select, ms", Workload.percentile(rawList, 50), higherIsBetter: false)
            table.add("HTTP list of \(listObjects), ms (p50 of 5)", Workload.percentile(httpList, 50), "store list, ms", Workload.percentile(storeList, 50), higherIsBetter: false)
        }

        // 4. Watch delivery: write start to arrival at each of N watchers.
        if phases.contains(.watch) {
            progress("watch: \(watchers) store watchers, \(events) events")
            let directDelays = try await watchDelays(watchers: watchers) { from in
                try await store.watch(.configMap, namespace: "watchbench", from: from)
            } writer: { i in
                _ = try await store.create(Self.stamped(i), as: .configMap)
            } revision: {
                try await store.currentRevision()
            }
            progress("watch: \(watchers) HTTP watchers, \(events) events")
            _ = try await client.create(
                KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "watchbench"]]), as: .namespace)
            let httpDelays = try await watchDelays(watchers: watchers) { from in
                // The client's own stream, read in place: no extra task between it and the watcher.
                client.watch(.configMap, namespace: "watchbench", resourceVersion: String(from)).map { $0.object }
            } writer: { i in
                _ = try await client.create(Self.stamped(i), as: .configMap, namespace: "watchbench")
            } revision: {
                Int64(try await client.list(.configMap, namespace: "watchbench").resourceVersion) ?? 0
            }
            table.add("watch delay p50, ms (\(watchers) HTTP watchers)", Workload.percentile(httpDelays, 50), "store watchers p50, ms", Workload.percentile(directDelays, 50), higherIsBetter: false)
            table.add("watch delay p99, ms (\(watchers) HTTP watchers)", Workload.percentile(httpDelays, 99), "store watchers p99, ms", Workload.percentile(directDelays, 99), higherIsBetter: false)
        }

        try await client.shutdown()
        daemonTask.cancel()
        _ = await daemonTask.result
        store.close()
        print(table.render())
    }

    static func stamped(_ i: Int) -> KubeObject {
        var o = Workload.configMap(i)
        o.namespace = "watchbench"
        o.name = "w-\(i)"
        o.annotations = ["bench/sent-ns": String(DispatchTime.now().uptimeNanoseconds)]
        return o
    }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data("kctl-bench: \(text)\n".utf8))
    }

    func startDaemon(dataDir: String) async throws -> (String, Task<Void, any Error>) {
        let (urls, continuation) = AsyncStream<String>.makeStream()
        let options = DaemonOptions(
            dataDir: dataDir, host: "127.0.0.1", port: 0, kubeconfigPath: nil, logLevel: .warning, controlLoops: false)
        let task = Task { try await Daemon(options: options).run { continuation.yield($0) } }
        for await url in urls { return (url, task) }
        throw BenchError("kctld did not start")
    }

    /// Runs `count` operations over `workers` tasks; returns operations per second.
    func timedParallel(count: Int, workers: Int, _ op: @escaping @Sendable (Int) async throws -> Void) async throws -> Double {
        guard count > 0 else { return 0 }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<workers {
                group.addTask {
                    var i = w
                    while i < count {
                        try await op(i)
                        i += workers
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / (ContinuousClock.now - start).seconds
    }

    /// Opens `watchers` watches, writes `events` stamped objects one after another, and returns
    /// every (event, watcher) delay from the write's start to its arrival, in milliseconds.
    func watchDelays<S: AsyncSequence & Sendable>(
        watchers: Int, open: @escaping @Sendable (Int64) async throws -> S,
        writer: @escaping @Sendable (Int) async throws -> Void, revision: @escaping @Sendable () async throws -> Int64
    ) async throws -> [Double] where S.Element: Sendable {
        let from = try await revision()
        let total = events
        return try await withThrowingTaskGroup(of: [Double].self) { group in
            let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
            for _ in 0..<watchers {
                group.addTask {
                    let stream = try await open(from)
                    readyContinuation.yield()
                    var delays: [Double] = []
                    for try await element in stream {
                        let object: KubeObject? = (element as? WatchEvent)?.object ?? (element as? KubeObject)
                        guard let sent = object?.annotations["bench/sent-ns"].flatMap(UInt64.init) else { continue }
                        delays.append(Double(DispatchTime.now().uptimeNanoseconds - sent) / 1e6)
                        if delays.count == total { break }
                    }
                    return delays
                }
            }
            var opened = 0
            for await _ in ready {
                opened += 1
                if opened == watchers { break }
            }
            group.addTask {
                for i in 0..<total {
                    try await writer(i)
                    // A steady stream, not a burst: each delay is one event's own.
                    try await Task.sleep(for: .milliseconds(2))
                }
                return []
            }
            var all: [Double] = []
            for try await part in group { all.append(contentsOf: part) }
            return all
        }
    }
}

/// The printed table: our figure, the reference figure, and the ratio.
struct ResultTable {
    var rows: [(String, Double, String, Double, Bool)] = []

    mutating func add(_ name: String, _ value: Double, _ refName: String, _ ref: Double, higherIsBetter: Bool) {
        rows.append((name, value, refName, ref, higherIsBetter))
    }

    func render() -> String {
        var out = "| measure | kctl | reference | reference value | ratio |\n|---|---:|---|---:|---:|\n"
        for (name, value, refName, ref, _) in rows {
            out += "| \(name) | \(fmt(value)) | \(refName) | \(fmt(ref)) | \(String(format: "%.2f", value / ref)) |\n"
        }
        return out
    }

    func fmt(_ v: Double) -> String {
        v >= 100 ? String(format: "%.0f", v) : String(format: "%.2f", v)
    }
}
