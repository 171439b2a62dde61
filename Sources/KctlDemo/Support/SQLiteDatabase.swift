import CSQLite
import Foundation

/// A value bound to or read from a SQLite statement.
enum SQLValue: Sendable, Equatable {
    case integer(Int64)
    case real(Double)
    case text(String)
    case null

    var int: Int64? { if case .integer(let v) = self { v } else { nil } }
    var double: Double? {
        switch self {
        case .real(let v): v
        case .integer(let v): Double(v)
        default: nil
        }
    }
    var string: String? { if case .text(let v) = self { v } else { nil } }
}

/// Why a SQLite call failed, with SQLite's own message.
struct SQLiteError: Error, CustomStringConvertible {
    var description: String
}

/// One connection to a SQLite file in WAL mode, serialized by a lock: the demo's statements are
/// tiny, so one connection per process is plenty. Several replicas may share one file (WAL and a
/// busy timeout let them), or each keep its own under the pod's working directory.
final class SQLiteDatabase: @unchecked Sendable {
    private let lock = NSLock()
    private var handle: OpaquePointer?
    let path: String

    init(path: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw SQLiteError(description: "cannot open \(path): \(message)")
        }
        handle = db
        try switchToWAL()
        sqlite3_busy_timeout(db, 5000)
        try execute("PRAGMA synchronous=NORMAL")
    }

    /// Puts the file in WAL mode. Replicas sharing a new file open it at once, and a connection
    /// switching it waits for the exclusive lock while holding a shared one: with a busy handler,
    /// two of them wait on each other until it gives up ("database is locked"). Without one, the
    /// loser fails at once, which lets go of its shared lock, and tries again a moment later.
    private func switchToWAL(within limit: Duration = .seconds(10)) throws {
        sqlite3_busy_timeout(handle, 0)
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                _ = try query("PRAGMA journal_mode=WAL")
                return
            } catch {
                let code = sqlite3_errcode(handle) & 0xFF
                guard code == SQLITE_BUSY || code == SQLITE_LOCKED, ContinuousClock.now < deadline else { throw error }
                usleep(UInt32.random(in: 1_000...10_000))
            }
        }
    }

    deinit { sqlite3_close_v2(handle) }

    /// Runs statements without results (schema, pragmas).
    func execute(_ sql: String) throws {
        try lock.withLock {
            var message: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(handle, sql, nil, nil, &message) == SQLITE_OK else {
                let text = message.map { String(cString: $0) } ?? "unknown error"
                sqlite3_free(message)
                throw SQLiteError(description: "\(path): \(text)")
            }
        }
    }

    /// Runs one statement with bound parameters and returns its rows.
    @discardableResult
    func query(_ sql: String, _ parameters: [SQLValue] = []) throws -> [[SQLValue]] {
        try lock.withLock { try unlockedQuery(sql, parameters) }
    }

    /// Runs `body` in one transaction (BEGIN IMMEDIATE, so a writer never deadlocks on upgrade).
    func transaction<T>(_ body: (_ query: (String, [SQLValue]) throws -> [[SQLValue]]) throws -> T) throws -> T {
        try lock.withLock {
            _ = try unlockedQuery("BEGIN IMMEDIATE", [])
            do {
                let result = try body { try unlockedQuery($0, $1) }
                _ = try unlockedQuery("COMMIT", [])
                return result
            } catch {
                _ = try? unlockedQuery("ROLLBACK", [])
                throw error
            }
        }
    }

    private func unlockedQuery(_ sql: String, _ parameters: [SQLValue]) throws -> [[SQLValue]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw SQLiteError(description: "\(path): \(String(cString: sqlite3_errmsg(handle)))")
        }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
        for (index, value) in parameters.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .integer(let v): sqlite3_bind_int64(statement, position, v)
            case .real(let v): sqlite3_bind_double(statement, position, v)
            case .text(let v): sqlite3_bind_text(statement, position, v, -1, transient)
            case .null: sqlite3_bind_null(statement, position)
            }
        }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else {
                throw SQLiteError(description: "\(path): \(String(cString: sqlite3_errmsg(handle)))")
            }
            var row: [SQLValue] = []
            for column in 0..<sqlite3_column_count(statement) {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_NULL: row.append(.null)
                default: row.append(.text(String(cString: sqlite3_column_text(statement, column))))
                }
            }
            rows.append(row)
        }
        return rows
    }
}
