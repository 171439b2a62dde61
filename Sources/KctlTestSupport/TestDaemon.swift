import Foundation
import KctlClient
import KctlDaemon
import KctlModel

/// Test support shared by every test target: not part of any product.
///
/// A real kctld for one test: the whole daemon in process on an ephemeral loopback port with a
/// temporary data dir, and a client for it. `stop()` shuts it down and removes the data.
public final class TestDaemon: Sendable {
    public let url: String
    public let client: KubeClient
    public let dataDir: String
    /// The ingress proxy's URL, when the daemon runs pods as processes (and so the proxies).
    public let ingressURL: String?
    private let task: Task<Void, any Error>

    private init(url: String, client: KubeClient, dataDir: String, ingressURL: String?, task: Task<Void, any Error>) {
        self.url = url
        self.client = client
        self.dataDir = dataDir
        self.ingressURL = ingressURL
        self.task = task
    }

    /// - Parameters:
    ///   - controlLoops: run controllers, scheduler and node agents (off: store and API only).
    ///   - nodes: simulated nodes to create at start.
    ///   - processes: node agents run pods as real processes (off: they only accept them), and
    ///     the service and ingress proxies run (the ingress on a free port: `ingressURL`).
    ///   - configure: changes to the options (back-off, node lifecycle, ...).
    public static func start(
        dataDir: String? = nil, controlLoops: Bool = false, nodes: Int = 0, processes: Bool = false,
        configure: (inout DaemonOptions) -> Void = { _ in }
    ) async throws -> TestDaemon {
        let dir = dataDir ?? TestFiles.temporaryDirectory()
        let (urls, continuation) = AsyncStream<String>.makeStream()
        var options = DaemonOptions(
            dataDir: dir, host: "127.0.0.1", port: 0, kubeconfigPath: nil, logLevel: .warning, nodes: nodes,
            controlLoops: controlLoops, podRunner: processes ? .processes : .accept, proxies: processes,
            ingressPort: 0)
        let (ingressURLs, ingressContinuation) = AsyncStream<String>.makeStream()
        options.onIngressListening = { ingressContinuation.yield($0) }
        configure(&options)
        let runsIngress = options.proxies && options.controlLoops
        let task = Task { [options] in try await Daemon(options: options).run { continuation.yield($0) } }
        let url = try await withDeadline(seconds: 20) {
            for await url in urls { return url }
            throw TestFailure("kctld stopped before listening")
        }
        var ingressURL: String?
        if runsIngress {
            ingressURL = try await withDeadline(seconds: 20) {
                for await url in ingressURLs { return url }
                throw TestFailure("the ingress proxy stopped before listening")
            }
        }
        return TestDaemon(
            url: url, client: try KubeClient(server: url), dataDir: dir, ingressURL: ingressURL, task: task)
    }

    public func stop(removeData: Bool = true) async {
        try? await client.shutdown()
        task.cancel()
        _ = await task.result
        if removeData { try? FileManager.default.removeItem(atPath: dataDir) }
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

public enum TestFiles {
    public static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-test-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The repository root, found from this file's path.
    public static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

/// Runs `body`, failing if it takes longer than `seconds`: tests wait on conditions, never sleep.
public func withDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withTimeout(.seconds(seconds), "the deadline of \(seconds)s", body)
}

/// Runs `body`, failing with "timed out waiting for `what`" when it takes longer than `limit`.
public func withTimeout<R: Sendable>(
    _ limit: Duration = .seconds(10), _ what: String = "the operation", _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    try await withThrowingTaskGroup(of: R.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TestFailure("timed out waiting for \(what)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` until it holds or the deadline passes.
public func eventually(seconds: Double = 10, _ what: String, _ condition: @escaping @Sendable () async throws -> Bool) async throws {
    if try await pollUntil(within: .seconds(seconds), every: .milliseconds(20), { (try? await condition()) == true }) { return }
    throw TestFailure("timed out waiting for: \(what)")
}
