import CSQLite
import KctlModel

/// One SQLite connection: open, prepared statements cached by their SQL, plain execution, and
/// errors as `StatusError.internalError` carrying SQLite's own message.
///
/// Not thread-safe on purpose: the writer actor owns one and the reader pool lends the others to
/// one caller at a time, so the connections are opened without SQLite's own mutex.
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]
    let path: String

    /// Opens (creating when `readOnly` is false) the database at `path`.
    init(path: String, readOnly: Bool, busyTimeout: Duration) throws {
        self.path = path
        var db: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw StatusError.internalError("sqlite: cannot open \(path): \(message) (\(rc))")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        setBusyTimeout(busyTimeout)
    }

    deinit { close() }

    var isOpen: Bool { handle != nil }

    /// Finalizes every cached statement and closes the connection; later calls fail.
    func close() {
        for statement in cache.values { statement.finalize() }
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func setBusyTimeout(_ timeout: Duration) {
        let ms = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(handle, Int32(clamping: ms))
    }

    /// A prepared statement for `sql`, compiled once per connection and reset after every use.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let statement = try prepare(sql)
        cache[sql] = statement
        return statement
    }

    /// A statement that is not cached (the caller finalizes it, or lets it go).
    func prepare(_ sql: String) throws -> SQLiteStatement {
        guard let handle else { throw StatusError.internalError("sqlite: the database is closed") }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc, context: sql) }
        return SQLiteStatement(raw, connection: self)
    }

    /// Runs one or more statements that return no rows the caller needs.
    func execute(_ sql: String) throws {
        guard let handle else { throw StatusError.internalError("sqlite: the database is closed") }
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc, context: sql) }
    }

    /// The first column of the first row of `sql`, as an integer (nil for no row or NULL).
    func scalar(_ sql: String) throws -> Int64? {
        let statement = try statement(sql)
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.int64(0)
    }

    /// The first column of the first row of `sql`, as text.
    func text(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return statement.text(0)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int32 { handle.map { sqlite3_changes($0) } ?? 0 }

    func error(_ code: Int32, context: String? = nil) -> StatusError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        var text = "sqlite: \(message) (\(code))"
        if let context { text += " in: \(context.prefix(120))" }
        return StatusError.internalError(text)
    }
}

/// A compiled statement. Bind, step, read columns, then `reset()` (the connection keeps it).
final class SQLiteStatement {
    private(set) var handle: OpaquePointer?
    private unowned let connection: SQLiteConnection

    init(_ handle: OpaquePointer, connection: SQLiteConnection) {
        self.handle = handle
        self.connection = connection
    }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    /// SQLite copies the bound bytes before the call returns.
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: String) {
        sqlite3_bind_text(handle, index, value, -1, Self.transient)
    }

    func bind(_ index: Int32, _ value: [UInt8]) {
        value.withUnsafeBytes { bytes in
            // A zero-length blob needs a non-null pointer, or SQLite stores NULL.
            let base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
            _ = sqlite3_bind_blob(handle, index, base, Int32(bytes.count), Self.transient)
        }
    }

    func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    /// Advances one row: true when a row is ready, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, context: handle.flatMap { sqlite3_sql($0) }.map { String(cString: $0) })
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps to completion, ignoring any rows.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func text(_ column: Int32) -> String {
        guard let raw = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: raw, count: count), as: UTF8.self)
    }

    /// The bytes of a blob column, valid only inside `body`.
    func withBlob<R>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let raw = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeRawBufferPointer(start: raw, count: raw == nil ? 0 : count))
    }
}
