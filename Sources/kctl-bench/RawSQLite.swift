import CSQLite
import Foundation
import KctlModel

/// The reference: the same rows written straight through libsqlite3 with the same durability
/// settings (WAL, synchronous=NORMAL, one transaction per row), no object model, no revision log.
final class RawSQLite {
    private let db: BenchSQLite

    init(path: String) throws {
        db = try BenchSQLite(path: path, readOnly: false)
        try db.exec("PRAGMA journal_mode=WAL")
        try db.exec("PRAGMA synchronous=NORMAL")
        try db.exec("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    }

    /// Writes each row in its own transaction; returns rows per second.
    func write(rows: [(key: String, value: [UInt8])], update: Bool) throws -> Double {
        let sql = update
            ? "UPDATE objects SET value = ?2 WHERE key = ?1"
            : "INSERT INTO objects (key, value) VALUES (?1, ?2)"
        let stmt = try db.prepare(sql)
        let begin = try db.prepare("BEGIN IMMEDIATE")
        let commit = try db.prepare("COMMIT")
        defer {
            sqlite3_finalize(stmt)
            sqlite3_finalize(begin)
            sqlite3_finalize(commit)
        }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let start = ContinuousClock.now
        for row in rows {
            sqlite3_step(begin); sqlite3_reset(begin)
            sqlite3_bind_text(stmt, 1, row.key, -1, transient)
            row.value.withUnsafeBytes { _ = sqlite3_bind_blob(stmt, 2, $0.baseAddress, Int32($0.count), transient) }
            guard sqlite3_step(stmt) == SQLITE_DONE else { throw BenchError("sqlite insert failed") }
            sqlite3_reset(stmt)
            guard sqlite3_step(commit) == SQLITE_DONE else { throw BenchError("sqlite commit failed") }
            sqlite3_reset(commit)
        }
        return Double(rows.count) / (ContinuousClock.now - start).seconds
    }

    /// Reads every value; returns the time taken.
    func readAll() throws -> Duration {
        let stmt = try db.prepare("SELECT key, value FROM objects ORDER BY key")
        defer { sqlite3_finalize(stmt) }
        let start = ContinuousClock.now
        var bytes = 0
        while sqlite3_step(stmt) == SQLITE_ROW {
            bytes += Int(sqlite3_column_bytes(stmt, 1))
            if let p = sqlite3_column_blob(stmt, 1) {
                let copy = [UInt8](UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, 1))))
                bytes += copy.count
            }
        }
        return ContinuousClock.now - start
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

extension Duration {
    var milliseconds: Double { seconds * 1000 }
}
