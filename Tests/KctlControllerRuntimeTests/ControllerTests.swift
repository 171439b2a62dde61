import Foundation
import KctlControllerRuntime
import KctlModel
import Logging
import func KctlTestSupport.withTimeout
import Testing

/// A reconciler that replays scripted results and records the keys it saw.
final class ScriptedReconciler: Reconciler, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Result<ReconcileResult, any Error>]
    private var seen: [ObjectKey] = []

    init(_ script: [Result<ReconcileResult, any Error>]) { self.script = script }

    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        try next(key).get()
    }

    private func next(_ key: ObjectKey) -> Result<ReconcileResult, any Error> {
        lock.lock()
        defer { lock.unlock() }
        seen.append(key)
        return script.isEmpty ? .success(.done) : script.removeFirst()
    }

    var keys: [ObjectKey] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }
}

struct Boom: Error {}

@Suite struct ControllerTests {
    let key = ObjectKey(namespace: "default", name: "web")

    @Test func errorsBackOffAndSuccessForgets() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(clock: clock, backOff: .init(base: .seconds(1), max: .seconds(60)))
        let reconciler = ScriptedReconciler([.failure(Boom()), .failure(Boom()), .success(.done)])
        let controller = Controller(name: "test", queue: queue, reconciler: reconciler, logger: Logger(label: "test"))
        queue.add(key)
        #expect(try await withTimeout { await controller.processNextItem() })
        #expect(queue.failures(key) == 1)
        #expect(queue.count == 0)
        clock.advance(by: .seconds(1))
        #expect(try await withTimeout { await controller.processNextItem() })
        #expect(queue.failures(key) == 2)
        clock.advance(by: .seconds(1))
        #expect(queue.count == 0)  // the second retry waits 2 s
        clock.advance(by: .seconds(1))
        #expect(try await withTimeout { await controller.processNextItem() })
        #expect(queue.failures(key) == 0)
        #expect(reconciler.keys == [key, key, key])
        #expect(controller.metrics.snapshot.errors == 2)
        #expect(controller.metrics.snapshot.reconciles == 3)
    }

    @Test func requeueAfterForgetsAndComesBackLater() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(clock: clock)
        let reconciler = ScriptedReconciler([.failure(Boom()), .success(.requeueAfter(.seconds(30))), .success(.done)])
        let controller = Controller(name: "test", queue: queue, reconciler: reconciler, logger: Logger(label: "test"))
        queue.add(key)
        #expect(try await withTimeout { await controller.processNextItem() })
        clock.advance(by: .milliseconds(5))
        #expect(try await withTimeout { await controller.processNextItem() })
        #expect(queue.failures(key) == 0)
        #expect(queue.delayedCount == 1)
        clock.advance(by: .seconds(29))
        #expect(queue.count == 0)
        clock.advance(by: .seconds(1))
        #expect(try await withTimeout { await controller.processNextItem() })
        #expect(reconciler.keys.count == 3)
        #expect(queue.delayedCount == 0)
    }

    @Test func runStopsWhenCancelled() async throws {
        let queue = WorkQueue()
        let reconciler = ScriptedReconciler([])
        let controller = Controller(
            name: "test", queue: queue, reconciler: reconciler, workers: 3, logger: Logger(label: "test"))
        let task = Task { try await controller.run() }
        queue.add(key)
        try await eventually("the key to be reconciled") { reconciler.keys == [key] }
        task.cancel()
        try await withTimeout { try await task.value }
        #expect(queue.isShuttingDown)
    }
}
