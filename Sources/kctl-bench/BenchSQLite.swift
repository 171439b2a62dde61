import CSQLite

/// A bare libsqlite3 connection: what the benchmark's references (raw SQLite, the change-log
/// probe and replay) reach SQLite with, without kctl's store in between.
final class BenchSQLite {
    private var db: OpaquePointer?

    init(path: String, readOnly: Bool) throws {
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else { throw BenchError("cannot open \(path)") }
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { sqlite3_close(db) }

    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError("sqlite: \(message) in \(sql.prefix(80))") }
    }

    func prepare(_ sql: String) throws -> OpaquePointer? {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else { throw BenchError("sqlite: \(message) in \(sql.prefix(80))") }
        return stmt
    }

    /// Runs a statement that returns no rows, then resets it.
    func step(_ stmt: OpaquePointer?) throws {
        defer { sqlite3_reset(stmt) }
        guard sqlite3_step(stmt) == SQLITE_DONE else { throw BenchError("sqlite: \(message)") }
    }

    /// The first column of the first row of `sql`, as an integer.
    func scalar(_ sql: String) throws -> Int64 {
        let stmt = try prepare(sql)
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw BenchError("sqlite: \(message)") }
        return sqlite3_column_int64(stmt, 0)
    }

    var message: String { String(cString: sqlite3_errmsg(db)) }
}
