import KctlModel

/// Read-only connections lent to one caller at a time. In WAL mode a reader never blocks the
/// writer, and a read transaction sees one consistent snapshot. The pool opens a new connection
/// when all are busy and keeps at most `size` idle ones.
final class ReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteConnection] = []
        var closed = false
    }

    private let state = Locked(State())
    private let path: String
    private let size: Int
    private let busyTimeout: Duration

    init(path: String, size: Int, busyTimeout: Duration) {
        self.path = path
        self.size = max(1, size)
        self.busyTimeout = busyTimeout
    }

    /// Runs `body` on a reader. Reads of more than one statement that must agree should use
    /// `withSnapshot`.
    func withReader<R>(_ body: (SQLiteConnection) throws -> R) throws -> R {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try body(connection)
    }

    /// Runs `body` inside one read transaction: everything it reads is from the same snapshot.
    func withSnapshot<R>(_ body: (SQLiteConnection) throws -> R) throws -> R {
        try withReader { connection in
            try connection.statement("BEGIN").run()
            defer { try? connection.statement("COMMIT").run() }
            return try body(connection)
        }
    }

    func close() {
        let connections = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for connection in connections { connection.close() }
    }

    private func checkOut() throws -> SQLiteConnection {
        let (connection, closed) = state.withLock { state in (state.idle.popLast(), state.closed) }
        if closed { throw StatusError.internalError("sqlite: the store is closed") }
        if let connection { return connection }
        let fresh = try SQLiteConnection(path: path, readOnly: true, busyTimeout: busyTimeout)
        try fresh.configureReader()
        return fresh
    }

    private func checkIn(_ connection: SQLiteConnection) {
        let keep = state.withLock { state in
            guard !state.closed, state.idle.count < size else { return false }
            state.idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }
}
