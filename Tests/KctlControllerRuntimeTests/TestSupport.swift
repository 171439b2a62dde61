import Foundation
import KctlModel
import KctlStore
import KctlTestSupport
import Testing

/// A store in a fresh temporary directory, closed and removed after `body`.
func withStore<R>(_ body: (SQLiteStore) async throws -> R) async throws -> R {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-rt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try SQLiteStore(path: dir.appendingPathComponent("state.db").path)
    defer { store.close() }
    return try await body(store)
}

struct TimeoutError: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds, failing after `limit`.
func eventually(
    _ what: String, within limit: Duration = .seconds(10), _ condition: @Sendable () async throws -> Bool
) async throws {
    if try await pollUntil(within: limit, every: .milliseconds(5), condition) { return }
    throw TimeoutError(what: what)
}

func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:], data: String = "x")
    -> KubeObject
{
    var object = KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "data": ["value": .string(data)]])
    object.name = name
    object.namespace = namespace
    object.labels = labels
    return object
}

/// Collects informer events for assertions.
final class EventLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var events: [String] = []

    func append(_ line: String) {
        lock.lock()
        events.append(line)
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return events
    }
}
