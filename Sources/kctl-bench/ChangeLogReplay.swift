import CSQLite
import Foundation

/// The floor under the store's share of the end-to-end run: the very rows that run wrote, read
/// back from its change log, written again straight through libsqlite3 into a fresh file with
/// the same layout (the log row, and the object's row pointing at it) and the same durability
/// (WAL, synchronous=NORMAL, SQLite's own checkpoints), 16 writes a transaction. The objects'
/// attachments (the scheduler's records) go in too, each with its object's first update (the
/// pod's binding, which wrote it). No object model, no serializing, no watchers, nobody
/// reacting: what the bytes alone cost.
struct ChangeLogReplay {
    struct Row {
        var revision: Int64
        var resource: String
        var namespace: String
        var name: String
        var type: Int64
        var value: [UInt8]
        /// The object's attachments, as (key, value), written with this row.
        var attachments: [(key: String, value: [UInt8])] = []
    }

    /// What the replay took: CPU seconds of the replaying thread, and wall time.
    struct Cost {
        var writes: Int
        var attachments: Int
        var cpuSeconds: Double
        var wallSeconds: Double
    }

    static let group = 16

    /// The changes after `revision` in the store file at `path`, in revision order.
    static func rows(of path: String, after revision: Int64) throws -> [Row] {
        let db = try BenchSQLite(path: path, readOnly: true)
        let stmt = try db.prepare(
            "SELECT revision, resource, namespace, name, type, value FROM changes WHERE revision > ?1 ORDER BY revision")
        defer { sqlite3_finalize(stmt) }
        sqlite3_bind_int64(stmt, 1, revision)
        var rows: [Row] = []
        while sqlite3_step(stmt) == SQLITE_ROW {
            rows.append(
                Row(
                    revision: sqlite3_column_int64(stmt, 0), resource: text(stmt, 1), namespace: text(stmt, 2),
                    name: text(stmt, 3), type: sqlite3_column_int64(stmt, 4), value: blob(stmt, 5)))
        }
        // Each live object's attachments go with its first update after `revision`.
        var firstUpdate: [String: Int] = [:]
        for (index, row) in rows.enumerated() where row.type == 1 {
            let key = "\(row.resource)/\(row.namespace)/\(row.name)"
            if firstUpdate[key] == nil { firstUpdate[key] = index }
        }
        let attached = try db.prepare("SELECT resource, namespace, name, key, value FROM attachments")
        defer { sqlite3_finalize(attached) }
        while sqlite3_step(attached) == SQLITE_ROW {
            let key = "\(text(attached, 0))/\(text(attached, 1))/\(text(attached, 2))"
            guard let index = firstUpdate[key] else { continue }
            rows[index].attachments.append((text(attached, 3), blob(attached, 4)))
        }
        return rows
    }

    /// Writes `rows` into a new file at `path`.
    static func replay(_ rows: [Row], into path: String) throws -> Cost {
        let db = try BenchSQLite(path: path, readOnly: false)
        try db.exec(
            """
            PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -16000;
            CREATE TABLE changes (revision INTEGER PRIMARY KEY, resource TEXT NOT NULL, namespace TEXT NOT NULL,
                name TEXT NOT NULL, type INTEGER NOT NULL, value BLOB NOT NULL);
            CREATE TABLE objects (resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                revision INTEGER NOT NULL, create_revision INTEGER NOT NULL,
                PRIMARY KEY (resource, namespace, name)) WITHOUT ROWID;
            CREATE TABLE attachments (resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
                key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (resource, namespace, name, key)) WITHOUT ROWID;
            """)
        let insertChange = try db.prepare("INSERT INTO changes VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        let insertObject = try db.prepare("INSERT INTO objects VALUES (?2, ?3, ?4, ?1, ?1)")
        let updateObject = try db.prepare("UPDATE objects SET revision = ?1 WHERE resource = ?2 AND namespace = ?3 AND name = ?4")
        let deleteObject = try db.prepare("DELETE FROM objects WHERE resource = ?2 AND namespace = ?3 AND name = ?4")
        let putAttachment = try db.prepare(
            "INSERT INTO attachments VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET value = excluded.value")
        let begin = try db.prepare("BEGIN IMMEDIATE")
        let commit = try db.prepare("COMMIT")
        defer {
            for stmt in [insertChange, insertObject, updateObject, deleteObject, putAttachment, begin, commit] {
                sqlite3_finalize(stmt)
            }
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        let cpuStart = threadCPUSeconds()
        let start = ContinuousClock.now
        for (index, row) in rows.enumerated() {
            if index % group == 0 { try db.step(begin) }
            let object = [insertObject, updateObject, deleteObject][Int(row.type).clamped(to: 0...2)]
            for stmt in [object, insertChange] {
                sqlite3_bind_int64(stmt, 1, row.revision)
                sqlite3_bind_text(stmt, 2, row.resource, -1, transient)
                sqlite3_bind_text(stmt, 3, row.namespace, -1, transient)
                sqlite3_bind_text(stmt, 4, row.name, -1, transient)
            }
            sqlite3_bind_int64(insertChange, 5, row.type)
            row.value.withUnsafeBytes { _ = sqlite3_bind_blob(insertChange, 6, $0.baseAddress, Int32($0.count), transient) }
            try db.step(object)
            try db.step(insertChange)
            for attachment in row.attachments {
                sqlite3_bind_text(putAttachment, 1, row.resource, -1, transient)
                sqlite3_bind_text(putAttachment, 2, row.namespace, -1, transient)
                sqlite3_bind_text(putAttachment, 3, row.name, -1, transient)
                sqlite3_bind_text(putAttachment, 4, attachment.key, -1, transient)
                attachment.value.withUnsafeBytes {
                    _ = sqlite3_bind_blob(putAttachment, 5, $0.baseAddress, Int32($0.count), transient)
                }
                try db.step(putAttachment)
            }
            if index % group == group - 1 || index == rows.count - 1 { try db.step(commit) }
        }
        return Cost(
            writes: rows.count, attachments: rows.reduce(0) { $0 + $1.attachments.count }, cpuSeconds: threadCPUSeconds() - cpuStart, wallSeconds: (ContinuousClock.now - start).seconds)
    }

    private static func text(_ stmt: OpaquePointer?, _ column: Int32) -> String {
        String(cString: sqlite3_column_text(stmt, column))
    }

    private static func blob(_ stmt: OpaquePointer?, _ column: Int32) -> [UInt8] {
        let bytes = Int(sqlite3_column_bytes(stmt, column))
        return sqlite3_column_blob(stmt, column).map { [UInt8](UnsafeRawBufferPointer(start: $0, count: bytes)) } ?? []
    }

    private static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
