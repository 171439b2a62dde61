import Foundation

/// One stored chat message, as the API shows it.
struct ChatMessage: Codable, Sendable, Equatable {
    var id: Int64
    var from: String
    var text: String
    var at: String
}

/// The chat history in SQLite: one table, the row id as message id.
struct MessageStore: Sendable {
    let database: SQLiteDatabase

    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                sender TEXT NOT NULL,
                text TEXT NOT NULL,
                at TEXT NOT NULL
            )
            """)
    }

    func add(from sender: String, text: String, at: String = Timestamp.now()) throws -> ChatMessage {
        let rows = try database.query(
            "INSERT INTO messages (sender, text, at) VALUES (?, ?, ?) RETURNING id",
            [.text(sender), .text(text), .text(at)])
        guard let id = rows.first?.first?.int else { throw SQLiteError(description: "insert returned no id") }
        return ChatMessage(id: id, from: sender, text: text, at: at)
    }

    /// The newest `limit` messages, oldest first.
    func recent(limit: Int) throws -> [ChatMessage] {
        let rows = try database.query(
            "SELECT id, sender, text, at FROM (SELECT * FROM messages ORDER BY id DESC LIMIT ?) ORDER BY id",
            [.integer(Int64(limit))])
        return rows.map {
            ChatMessage(id: $0[0].int ?? 0, from: $0[1].string ?? "", text: $0[2].string ?? "", at: $0[3].string ?? "")
        }
    }

    func count() throws -> Int {
        Int(try database.query("SELECT count(*) FROM messages").first?.first?.int ?? 0)
    }
}
