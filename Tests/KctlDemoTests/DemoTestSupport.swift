import Foundation
import Logging
import Testing

@testable import KctlDemo

/// Runs the roles in this test process on ephemeral loopback ports and stops them afterwards.
enum Demo {
    static var logger: Logger {
        var logger = Logger(label: "kctl-demo-test")
        logger.logLevel = .warning
        return logger
    }

    static let http = DemoHTTPClient()

    /// Serves `role` with `environment` on 127.0.0.1:0 while `body` runs with its base URL.
    static func with<T: Sendable>(
        _ role: DemoRole, _ environment: [String: String] = [:],
        terminate: @escaping @Sendable (Int32) -> Void = { code in Issue.record("unexpected exit \(code)") },
        _ body: (String) async throws -> T
    ) async throws -> T {
        let settings = DemoSettings(environment: environment, listen: ListenAddress(host: "127.0.0.1", port: 0))
        let server = DemoServer(role: role, settings: settings, logger: logger, terminate: terminate)
        return try await server.withRunning { address in try await body("http://\(address)") }
    }

    /// A fresh directory for a role's SQLite files.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Polls `condition` until it holds or `timeout` passes; returns whether it held.
    static func eventually(
        timeout: Duration = .seconds(10), _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// The value of an unlabelled sample in a Prometheus exposition.
    static func sample(_ name: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1))
        }
        return nil
    }

    /// The built `kctl-demo`, for the tests that run it as a child process.
    static var binary: URL { repositoryRoot.appendingPathComponent(".build/debug/kctl-demo") }

    /// The repository root, from this file's path.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// Records the exit codes the roles asked for instead of exiting the test process.
final class ExitRecorder: Sendable {
    private let codes = Locked<[Int32]>([])
    var recorded: [Int32] { codes.current }
    var terminate: @Sendable (Int32) -> Void { { code in self.codes.withLock { $0.append(code) } } }
}
