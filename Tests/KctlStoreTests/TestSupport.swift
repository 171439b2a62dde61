import Foundation
import KctlModel
import func KctlTestSupport.withTimeout
import Testing

@testable import KctlStore

/// A fresh directory for one test's database, removed afterwards.
final class TempDir {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var dbPath: String { url.appendingPathComponent("state.db").path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Opens a store in a fresh temporary directory, runs `body`, closes the store and removes the directory.
func withStore<R>(
    options: StoreOptions = .init(), _ body: (SQLiteStore, String) async throws -> R
) async throws -> R {
    let dir = try TempDir()
    let store = try SQLiteStore(path: dir.dbPath, options: options)
    do {
        let result = try await body(store, dir.dbPath)
        store.close()
        return result
    } catch {
        store.close()
        throw error
    }
}

/// Lets a watch stream cross into a child task (the test reads it from one task at a time).
final class EventReader: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<WatchEvent, any Error>.AsyncIterator

    init(_ stream: AsyncThrowingStream<WatchEvent, any Error>) { iterator = stream.makeAsyncIterator() }

    /// The next `count` events (fewer if the stream ends), within a deadline.
    func next(_ count: Int, within limit: Duration = .seconds(10)) async throws -> [WatchEvent] {
        try await withTimeout(limit) {
            var events: [WatchEvent] = []
            while events.count < count, let event = try await self.iterator.next() { events.append(event) }
            return events
        }
    }

    /// Events up to and including the first one that satisfies `last`, within a deadline.
    func next(within limit: Duration = .seconds(10), until last: @escaping @Sendable (WatchEvent) -> Bool)
        async throws -> [WatchEvent]
    {
        try await withTimeout(limit) {
            var events: [WatchEvent] = []
            while let event = try await self.iterator.next() {
                events.append(event)
                if last(event) { break }
            }
            return events
        }
    }
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = ["k": "v"]) -> KubeObject {
    KubeObject([
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": ["name": .string(name), "namespace": .string(namespace)],
        "data": .object(data.mapValues { .string($0) }),
    ])
}

func deployment(_ name: String, namespace: String = "default", replicas: Int64 = 1) -> KubeObject {
    KubeObject([
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": .string(name), "namespace": .string(namespace)],
        "spec": ["replicas": .int(replicas)],
    ])
}

func node(_ name: String) -> KubeObject {
    KubeObject(["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string(name)], "spec": [:]])
}

/// Expects `body` to throw a `StatusError` with `reason`.
func expectStatus(
    _ reason: StatusError.Reason, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(reason), got success", sourceLocation: sourceLocation)
    } catch let error as StatusError {
        #expect(error.reason == reason, "\(error.message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(reason), got \(error)", sourceLocation: sourceLocation)
    }
}
