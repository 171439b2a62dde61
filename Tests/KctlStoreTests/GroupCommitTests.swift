import Foundation
import KctlModel
import class KctlTestSupport.BlockingExecutor
import Testing

@testable import KctlStore

/// Batches (`Store.write(_:)`) and group commit: many writes in one transaction, each with its
/// own revision, result and event, and none acknowledged before its commit.
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    func status(_ result: StoreWriteResult) -> StatusError.Reason? {
        (result.error as? StatusError)?.reason
    }

    @Test func eachWriteOfABatchGetsItsOwnResultAndAFailureFailsOnlyItself() async throws {
        try await withStore { store, _ in
            let existing = try await store.create(configMap("old"), as: .configMap)
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 1))
            var stale = existing
            stale.json["data"] = ["k": "stale"]
            stale.resourceVersion = "0"
            let results = await store.write([
                .create(configMap("a"), as: .configMap),
                .create(configMap("a"), as: .configMap),  // AlreadyExists
                .update(stale, as: .configMap, subresource: .main),  // Conflict
                .mutate(.configMap, namespace: "default", name: "old", subresource: .main) { _ in throw Refused() },
                .create(configMap("b"), as: .configMap),
                .mutate(.configMap, namespace: "default", name: "a", subresource: .main) { $0.json["data"] = ["k": "a2"] },
                .delete(.configMap, namespace: "default", name: "missing"),  // NotFound
                .create(configMap(""), as: .configMap),  // Invalid: no name
            ])
            #expect(results.count == 8)
            #expect(results[0].object?.resourceVersion == "2")
            #expect(status(results[1]) == .alreadyExists)
            #expect(status(results[2]) == .conflict)
            #expect(results[3].error is Refused)
            #expect(results[4].object?.resourceVersion == "3")
            #expect(results[5].object?.json["data"]?["k"] == "a2")
            #expect(results[5].object?.resourceVersion == "4")
            #expect(status(results[6]) == .notFound)
            #expect(status(results[7]) == .invalid)

            // Only the successful writes happened, at consecutive revisions, each with its event.
            #expect(try await store.currentRevision() == 4)
            let old = try await store.get(.configMap, namespace: "default", name: "old")
            #expect(old.json["data"]?["k"] == "v")
            #expect(old.resourceVersion == "1")
            let received = try await events.next(3)
            #expect(received.map(\.revision) == [2, 3, 4])
            #expect(received.map(\.type) == [.added, .added, .modified])
            #expect(received.map(\.object.name) == ["a", "b", "a"])
            // The cache behind later writes holds only what was committed.
            let updated = try await store.update(.configMap, namespace: "default", name: "old", subresource: .main) {
                $0.json["data"] = ["k": "v2"]
            }
            #expect(updated.resourceVersion == "5")
        }
    }

    @Test func laterWritesOfABatchSeeEarlierOnes() async throws {
        try await withStore { store, _ in
            let results = await store.write([
                .create(configMap("x"), as: .configMap),
                .mutate(.configMap, namespace: "default", name: "x", subresource: .main) { $0.json["data"] = ["k": "x2"] },
                .delete(.configMap, namespace: "default", name: "x"),
                .mutate(.configMap, namespace: "default", name: "x", subresource: .main) { _ in },  // gone
                .create(configMap("x", data: ["k": "again"]), as: .configMap),
            ])
            #expect(results[1].object?.json["data"]?["k"] == "x2")
            guard case .deleted(.deleted(let removed)) = results[2] else {
                Issue.record("expected a removal, got \(results[2])")
                return
            }
            #expect(removed.resourceVersion == "3")
            #expect(status(results[3]) == .notFound)
            #expect(results[4].object?.resourceVersion == "4")
            let x = try await store.get(.configMap, namespace: "default", name: "x")
            #expect(x.json["data"]?["k"] == "again")
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 0))
            #expect(try await events.next(4).map(\.type) == [.added, .modified, .deleted, .added])
        }
    }

    @Test func concurrentWritersEachSeeTheirOwnResult() async throws {
        try await withStore { store, _ in
            let writers = 64
            let outcomes = await withTaskGroup(of: (Int, String?, Bool).self) { group in
                for i in 0..<writers {
                    group.addTask {
                        do {
                            let created = try await store.create(configMap("cm-\(i)", data: ["k": "\(i)"]), as: .configMap)
                            // Every odd writer also tries a stale update, which must fail for it alone.
                            var conflicted = false
                            if i % 2 == 1 {
                                var stale = created
                                stale.resourceVersion = "0"
                                do { _ = try await store.update(stale, as: .configMap) } catch let error as StatusError {
                                    conflicted = error.reason == .conflict
                                }
                            }
                            let mine = try await store.update(.configMap, namespace: "default", name: "cm-\(i)", subresource: .main) {
                                $0.json["data"] = ["k": .string("\(i)-2")]
                            }
                            return (i, mine.json["data"]?["k"]?.stringValue, conflicted == (i % 2 == 1))
                        } catch {
                            return (i, nil, false)
                        }
                    }
                }
                var all: [(Int, String?, Bool)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            for (i, value, conflictAsExpected) in outcomes {
                #expect(value == "\(i)-2")
                #expect(conflictAsExpected)
            }
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 0))
            let received = try await events.next(2 * writers)
            #expect(received.map(\.revision) == Array(1...Int64(2 * writers)))
        }
    }

    /// An acknowledged write is committed: a connection of its own (as a process started after a
    /// crash would open) sees it the moment the writer's call returns, even while other writers'
    /// groups are still being committed.
    @Test func noWriteIsAcknowledgedBeforeItsCommit() async throws {
        try await withStore { store, path in
            let missing = await withTaskGroup(of: Int.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let reader = try? SQLiteConnection(path: path, readOnly: true, busyTimeout: .seconds(5))
                        var missing = 0
                        for i in 0..<25 {
                            let name = "w\(worker)-\(i)"
                            let batch = await store.write([.create(configMap(name), as: .configMap)])
                            guard batch[0].object != nil else { missing += 1; continue }
                            let select = try? reader?.statement(Schema.selectObject)
                            select?.bind(1, "configmaps")
                            select?.bind(2, "default")
                            select?.bind(3, name)
                            if (try? select?.step()) != true { missing += 1 }
                            select?.reset()
                        }
                        reader?.close()
                        return missing
                    }
                }
                return await group.reduce(0, +)
            }
            #expect(missing == 0)
        }
    }

    @Test func aClosedStoreFailsEveryWriteOfABatch() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath)
        store.close()
        let results = await store.write([.create(configMap("a"), as: .configMap), .create(configMap("b"), as: .configMap)])
        #expect(results.allSatisfy { $0.error != nil })
    }

    /// Writes run without a savepoint each: a write that fails before touching a row fails alone
    /// (above), and one that SQLite fails half-way (here a trigger refusing its change-log row,
    /// after its object row went in) takes the whole transaction with it, so no row is left
    /// without its value and the store keeps working.
    @Test func aStorageFailureHalfWayThroughAWriteFailsTheWholeBatch() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath)
        defer { store.close() }
        _ = try await store.create(configMap("before"), as: .configMap)
        let other = try SQLiteConnection(path: dir.dbPath, readOnly: false, busyTimeout: .seconds(5))
        try other.execute(
            """
            CREATE TRIGGER refuse BEFORE INSERT ON changes WHEN NEW.name = 'boom'
            BEGIN SELECT RAISE(ABORT, 'injected failure'); END
            """)
        other.close()
        let results = await store.write([
            .create(configMap("a"), as: .configMap),
            .create(configMap("boom"), as: .configMap),
            .create(configMap("c"), as: .configMap),
        ])
        #expect(results.allSatisfy { $0.error != nil })
        #expect("\(results[1].error!)".contains("injected failure"))
        #expect(try await store.list(.configMap, namespace: nil).items.map(\.name) == ["before"])
        #expect(try await store.currentRevision() == 1)
        let after = try await store.create(configMap("after"), as: .configMap)
        #expect(after.resourceVersion == "2")
        #expect(try await store.list(.configMap, namespace: nil).items.map(\.name) == ["after", "before"])
    }

    @Test func aBindingWritesSpecAndStatusAtOneRevision() async throws {
        try await withStore { store, _ in
            var pod = KubeObject(["apiVersion": "v1", "kind": "Pod", "spec": ["containers": [["name": "c"]]]])
            pod.name = "p"
            pod.namespace = "default"
            _ = try await store.create(pod, as: .pod)
            let bound = try await store.update(.pod, namespace: "default", name: "p", subresource: .all) {
                $0.spec?["nodeName"] = "n1"
                $0.status = ["phase": "Pending", "conditions": [["type": "PodScheduled", "status": "True"]]]
            }
            #expect(bound.resourceVersion == "2")
            #expect(bound.spec?["nodeName"] == "n1")
            #expect(bound.status?["conditions"]?.arrayValue?.first?["status"] == "True")
            #expect(bound.generation == 2)
        }
    }

    /// Writes arriving while a commit runs wait and then share the next commit.
    @Test(.enabled(if: ProcessInfo.processInfo.activeProcessorCount > 1, "needs a second thread to queue writes"))
    func writesArrivingDuringACommitShareTheNext() async throws {
        let queue = CommitQueue()
        let groups = Locked<[Int]>([])
        let firstStarted = Locked(false)
        let others = 5
        let commit: CommitQueue.Commit = { operations in
            groups.withLock { $0.append(operations.count) }
            if !firstStarted.withLock({ started in defer { started = true }; return started }) {
                // Hold the first commit until the others are waiting (bounded, so it cannot hang).
                // The others run on the cooperative pool, which the rest of the suite keeps busy
                // for seconds at a time at the start of a run (a 10 s bound was once too short).
                let deadline = ContinuousClock.now + .seconds(90)
                while queue.waitingCount < others && ContinuousClock.now < deadline { usleep(1000) }
            }
            return operations.map { _ in .success(.object(configMap("x"))) }
        }
        let op = SQLiteWriter.Operation.delete(
            key: ObjectKey(.configMap, namespace: "default", name: "x"), type: .configMap, preconditions: .init(),
            gracePeriodSeconds: nil, now: "")
        // The first commit blocks its thread on purpose: not one of the cooperative pool's.
        let first = Task(executorPreference: BlockingExecutor()) { await queue.submit([op], commit: commit) }
        while !firstStarted.withLock({ $0 }) { await Task.yield() }
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<others { group.addTask { await queue.submit([op, op], commit: commit).count } }
            for await count in group { #expect(count == 2) }
        }
        #expect(await first.value.count == 1)
        #expect(groups.withLock { $0 } == [1, 2 * others])
    }
}
