import Foundation
import KctlModel
import Testing

@testable import KctlStore

/// Each write stores its value once, in the change log; the live objects point into it. So
/// compaction must keep the change rows that are still some object's value, and a file of the
/// first layout (a second copy of each value beside its object) must open with nothing lost.
@Suite struct SchemaTests {
    @Test func compactionKeepsEveryLiveObjectsValue() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath)
        for i in 0..<20 { _ = try await store.create(configMap("cm-\(i)", data: ["v": "0"]), as: .configMap) }
        for round in 1...3 {
            for i in stride(from: 0, to: 20, by: 2) {
                _ = try await store.update(.configMap, namespace: "default", name: "cm-\(i)", subresource: .main) {
                    $0["data"] = ["v": .string("\(round)")]
                }
            }
        }
        _ = try await store.delete(.configMap, namespace: "default", name: "cm-19")
        try await store.compact(keepLast: 0)
        #expect(try rowCount(dir.dbPath, "changes") == 19, "only the live objects' own changes are left")

        func check(_ store: SQLiteStore) async throws {
            let items = try await store.list(.configMap, namespace: "default").items
            #expect(items.count == 19)
            for item in items {
                let index = Int(item.name.dropFirst(3))!
                #expect(item["data"]?["v"] == .string(index % 2 == 0 ? "3" : "0"), "\(item.name)")
            }
            let one = try await store.get(.configMap, namespace: "default", name: "cm-4")
            #expect(one["data"]?["v"] == "3")
            #expect(one.resourceVersion == "43")  // created at 4, changed at 23, 33 and 43
        }
        try await check(store)
        // A later write of an object moves its value; the old row goes at the next compaction.
        _ = try await store.update(.configMap, namespace: "default", name: "cm-1", subresource: .main) { $0["data"] = ["v": "4"] }
        try await store.compact(keepLast: 0)
        #expect(try rowCount(dir.dbPath, "changes") == 19)
        store.close()

        let reopened = try SQLiteStore(path: dir.dbPath)
        #expect(try await reopened.get(.configMap, namespace: "default", name: "cm-1")["data"]?["v"] == "4")
        #expect(try await reopened.list(.configMap, namespace: nil).items.count == 19)
        reopened.close()
    }

    /// A store written by the first layout (version 1): values in `objects`, and a change log
    /// compacted past most of their changes.
    @Test func aFileOfTheFirstLayoutIsMigrated() async throws {
        let dir = try TempDir()
        let db = try SQLiteConnection(path: dir.dbPath, readOnly: false, busyTimeout: .seconds(5))
        try db.execute(
            """
            PRAGMA journal_mode = WAL;
            CREATE TABLE changes (revision INTEGER PRIMARY KEY, resource TEXT NOT NULL, namespace TEXT NOT NULL,
                name TEXT NOT NULL, type INTEGER NOT NULL, value BLOB NOT NULL);
            CREATE TABLE objects (resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                revision INTEGER NOT NULL, create_revision INTEGER NOT NULL, value BLOB NOT NULL,
                PRIMARY KEY (resource, namespace, name));
            CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO meta (key, value) VALUES ('compacted', 2);
            PRAGMA user_version = 1;
            """)
        // a (created at 1, changed at 3), b (created at 2), c (created and deleted after): the log
        // was compacted up to 2, so b's only change and a's creation are gone.
        func value(_ name: String, _ v: String, _ revision: Int) -> String {
            #"{"apiVersion":"v1","data":{"v":"\#(v)"},"kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"default","resourceVersion":"\#(revision)","uid":"u-\#(name)"}}"#
        }
        try db.execute(
            """
            INSERT INTO objects VALUES ('configmaps', 'default', 'a', 3, 1, CAST('\(value("a", "new", 3))' AS BLOB));
            INSERT INTO objects VALUES ('configmaps', 'default', 'b', 2, 2, CAST('\(value("b", "only", 2))' AS BLOB));
            INSERT INTO changes VALUES (3, 'configmaps', 'default', 'a', 1, CAST('\(value("a", "new", 3))' AS BLOB));
            INSERT INTO changes VALUES (4, 'configmaps', 'default', 'c', 0, CAST('\(value("c", "gone", 4))' AS BLOB));
            INSERT INTO changes VALUES (5, 'configmaps', 'default', 'c', 2, CAST('\(value("c", "gone", 5))' AS BLOB));
            """)
        db.close()

        let store = try SQLiteStore(path: dir.dbPath)
        #expect(try await store.currentRevision() == 5)
        #expect(try await store.compactedRevision() == 2)
        #expect(try await store.get(.configMap, namespace: "default", name: "a")["data"]?["v"] == "new")
        #expect(try await store.get(.configMap, namespace: "default", name: "b")["data"]?["v"] == "only")
        #expect(try await store.list(.configMap, namespace: "default").items.map(\.name) == ["a", "b"])
        // The history after the compacted revision is as it was; the restored row of b is not replayed.
        let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 2))
        let replayed = try await events.next(3)
        #expect(replayed.map(\.revision) == [3, 4, 5])
        #expect(try await store.create(configMap("d"), as: .configMap).resourceVersion == "6")
        _ = try await store.update(.configMap, namespace: "default", name: "b", subresource: .main) { $0["data"] = ["v": "changed"] }
        try await store.compact(keepLast: 0)
        #expect(try rowCount(dir.dbPath, "changes") == 3)
        #expect(try await store.get(.configMap, namespace: "default", name: "b")["data"]?["v"] == "changed")
        store.close()
        #expect(try userVersion(dir.dbPath) == Schema.version)
    }

    private func rowCount(_ path: String, _ table: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true, busyTimeout: .seconds(5))
        defer { db.close() }
        return try db.scalar("SELECT count(*) FROM \(table)") ?? -1
    }

    private func userVersion(_ path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true, busyTimeout: .seconds(5))
        defer { db.close() }
        return try db.scalar("PRAGMA user_version") ?? -1
    }
}
