import Foundation
import Hummingbird
import KctlAPIServer
import KctlStore
import Logging
import ServiceLifecycle

/// A real `APIServer` on an ephemeral loopback port over a temporary SQLite store, without the
/// controllers or agents of a whole daemon: for tests of endpoints and verbs whose providers are
/// fakes. `makeServer` builds the server over the store (with the providers the test needs);
/// `body` gets the URL, the store and a way to stop the server early, as a daemon's shutdown
/// would. The server is stopped and the store removed afterwards, whatever `body` does.
public func withTestAPIServer(
    label: String, makeServer: @Sendable (SQLiteStore, Logger) -> APIServer,
    _ body: @escaping @Sendable (_ url: String, _ store: SQLiteStore, _ stop: @escaping @Sendable () async -> Void) async throws
        -> Void
) async throws {
    let dir = TestFiles.temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var logger = Logger(label: label)
    logger.logLevel = .warning
    let store = try SQLiteStore(path: dir + "/kctl.db", logger: logger)
    defer { store.close() }
    let api = makeServer(store, logger)
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let app = Application(
        responder: api, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let running = Task { try await group.run() }
    var result: Result<Void, any Error> = .success(())
    do {
        let port = try await withDeadline(seconds: 20) {
            for await port in ports { return port }
            throw TestFailure("the API server stopped before listening")
        }
        try await body("http://127.0.0.1:\(port)", store) { await group.triggerGracefulShutdown() }
    } catch {
        result = .failure(error)
    }
    await group.triggerGracefulShutdown()
    _ = await running.result
    try result.get()
}
