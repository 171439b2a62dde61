import Foundation
import KctlModel
import func KctlTestSupport.withTimeout
import Testing

@testable import KctlStore

@Suite struct DurabilityTests {
    @Test func reopeningResumesDataRevisionAndHistory() async throws {
        let dir = try TempDir()
        let first = try SQLiteStore(path: dir.dbPath)
        for i in 0..<10 { _ = try await first.create(configMap("cm-\(i)"), as: .configMap) }
        _ = try await first.delete(.configMap, namespace: "default", name: "cm-0")
        first.close()

        let second = try SQLiteStore(path: dir.dbPath)
        #expect(try await second.currentRevision() == 11)
        #expect(try await second.list(.configMap, namespace: nil).items.count == 9)
        let next = try await second.create(configMap("after"), as: .configMap)
        #expect(next.resourceVersion == "12")
        let events = EventReader(try await second.watch(.configMap, namespace: nil, from: 9))
        let received = try await events.next(3)
        #expect(received.map(\.revision) == [10, 11, 12])
        #expect(received.map(\.type) == [.added, .deleted, .added])

        // Compaction is remembered across a restart, and so is the revision of an emptied log.
        try await second.compact(keepLast: 0)
        second.close()
        let third = try SQLiteStore(path: dir.dbPath)
        #expect(try await third.compactedRevision() == 12)
        #expect(try await third.currentRevision() == 12)
        await expectStatus(.expired) { _ = try await third.watch(nil, namespace: nil, from: 5) }
        #expect(try await third.create(configMap("later"), as: .configMap).resourceVersion == "13")
        third.close()
    }

    /// Without `close()` (as after `kill -9`), a second open sees every acknowledged write.
    @Test func acknowledgedWritesAreVisibleWithoutClose() async throws {
        let dir = try TempDir()
        let crashed = try SQLiteStore(path: dir.dbPath)
        for i in 0..<50 { _ = try await crashed.create(configMap("cm-\(i)"), as: .configMap) }
        let reopened = try SQLiteStore(path: dir.dbPath)
        #expect(try await reopened.currentRevision() == 50)
        #expect(try await reopened.list(.configMap, namespace: "default").items.count == 50)
        reopened.close()
        crashed.close()
    }

    @Test func fullSynchronousAlsoWorks() async throws {
        try await withStore(options: StoreOptions(synchronous: .full)) { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            #expect(try await store.get(.configMap, namespace: "default", name: "a").resourceVersion == "1")
        }
    }

    @Test func maintenanceCompactsAndTruncatesTheWAL() async throws {
        let options = StoreOptions(keepRevisions: 100, retention: .zero)
        try await withStore(options: options) { store, path in
            for i in 0..<500 {
                _ = try await store.create(configMap("cm-\(i)", data: ["payload": String(repeating: "x", count: 500)]), as: .configMap)
            }
            // High churn on one object: the log grows, the object table does not.
            for i in 0..<500 {
                _ = try await store.update(.configMap, namespace: "default", name: "cm-0", subresource: .main) {
                    $0["data"] = ["renewTime": .string("\(i)")]
                }
            }
            let walPath = path + "-wal"
            let before = try FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int ?? 0
            #expect(before > 0)

            let report = try await store.maintain()
            #expect(report.compactedRevision == 900)
            #expect(report.walTruncated)
            let after = try FileManager.default.attributesOfItem(atPath: walPath)[.size] as? Int ?? -1
            #expect(after == 0)

            await expectStatus(.expired) { _ = try await store.watch(nil, namespace: nil, from: 899) }
            let events = EventReader(try await store.watch(nil, namespace: nil, from: 900))
            #expect(try await events.next(100).count == 100)
            #expect(try await store.list(.configMap, namespace: nil).items.count == 500)
        }
    }

    /// The background checkpoint copies the WAL into the database while writes go on, long
    /// before maintenance would: the database file grows past its first page on its own.
    @Test func theWALIsCheckpointedInTheBackground() async throws {
        try await withStore { store, path in
            let payload = String(repeating: "x", count: 6_000)
            // 600 writes of 6 KB pass the checkpoint threshold (1000 WAL pages) a few times over;
            // the copy then runs on its own, with no write after it.
            for i in 0..<600 {
                _ = try await store.create(configMap("cm-\(i)", data: ["payload": payload]), as: .configMap)
            }
            let size = try await withTimeout(.seconds(30)) {
                while Self.fileSize(path) < 1 << 20 { try await Task.sleep(for: .milliseconds(5)) }
                return Self.fileSize(path)
            }
            #expect(size >= 1 << 20)
        }
    }

    /// A background pass alone, with no writer catching up behind it, copies the WAL: its own
    /// connection knows the file is in WAL mode before its first checkpoint. (One commit of 1,200
    /// pages starts one pass; no later commit is there to catch up.)
    @Test func aBackgroundPassCopiesTheWALByItself() async throws {
        let dir = try TempDir()
        let writer = try SQLiteConnection(path: dir.dbPath, readOnly: false, busyTimeout: .seconds(5))
        defer { writer.close() }
        try writer.configureWriter(StoreOptions())
        let checkpointer = try Checkpointer(path: dir.dbPath, busyTimeout: .seconds(5))
        checkpointer.attach(to: writer)
        defer { checkpointer.detach(from: writer) }
        try writer.execute(
            """
            CREATE TABLE filler (v BLOB);
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
            INSERT INTO filler SELECT randomblob(4000) FROM n;
            """)
        let path = dir.dbPath
        let size = try await withTimeout(.seconds(30)) {
            while Self.fileSize(path) < 1 << 20 { try await Task.sleep(for: .milliseconds(5)) }
            return Self.fileSize(path)
        }
        #expect(size >= 1 << 20)
    }

    /// Under a steady stream of writes the WAL starts over from its beginning: the file stays
    /// a few checkpoint thresholds long instead of growing by everything written.
    @Test func theWALStaysSmallUnderSteadyWrites() async throws {
        try await withStore { store, path in
            let payload = String(repeating: "x", count: 6_000)
            var largest = 0
            for i in 0..<1_200 {
                _ = try await store.create(configMap("cm-\(i)", data: ["payload": payload]), as: .configMap)
                if i % 50 == 0 { largest = max(largest, Self.fileSize(path + "-wal")) }
            }
            // 1,200 writes of 6 KB make about 28 MB of WAL frames when it never restarts (72 MB for
            // 3,000 measured); restarting, it stays near 4 MB.
            #expect(largest < 16 << 20, "the WAL reached \(largest >> 20) MiB")
        }
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    @Test func runMaintenanceStopsOnCancellation() async throws {
        let options = StoreOptions(keepRevisions: 1, retention: .zero, maintenanceInterval: .milliseconds(10))
        try await withStore(options: options) { store, _ in
            for i in 0..<10 { _ = try await store.create(configMap("cm-\(i)"), as: .configMap) }
            let service = Task { await store.runMaintenance() }
            try await withTimeout {
                while try await store.compactedRevision() < 9 { await Task.yield() }
            }
            service.cancel()
            try await withTimeout { await service.value }
        }
    }
}
