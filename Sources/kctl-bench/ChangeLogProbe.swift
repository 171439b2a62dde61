import CSQLite
import Foundation

/// Follows a running kctld's change log through a read-only connection of its own, so the
/// end-to-end benchmark learns the moment each pod is created and bound without asking the API:
/// listing every pod over HTTP to count them would cost the daemon under test more than the
/// pods do, and a watch over HTTP decodes every event in the same process. Each change is read
/// once (rows after the last revision seen), so a probe costs little however often it polls.
final class ChangeLogProbe {
    private let db: BenchSQLite
    private var follow: OpaquePointer?
    private var boundQuery: OpaquePointer?
    private var lastRevision: Int64 = 0
    private(set) var created: Set<String> = []
    private(set) var bound: Set<String> = []
    /// Revision of each pod's creation, and of its binding as `poll` takes it.
    private var addedAt: [String: Int64] = [:]
    private var boundAt: [String: Int64] = [:]

    init(path: String) throws {
        db = try BenchSQLite(path: path, readOnly: true)
        follow = try db.prepare(
            "SELECT revision, type, name FROM changes WHERE revision > ?1 AND resource = 'pods' ORDER BY revision")
        // Bound: the stored JSON has a non-empty `"nodeName":"` (only spec has that key; a quote
        // inside a string value is escaped, so the bytes cannot come from one), read by its bytes
        // rather than parsed with json_extract, and only by `verifyBindings` after the run.
        boundQuery = try db.prepare(
            """
            SELECT instr(value, CAST('"nodeName":"' AS BLOB)) > 0 AND instr(value, CAST('"nodeName":""' AS BLOB)) = 0
            FROM changes WHERE revision = ?1
            """)
    }

    deinit {
        sqlite3_finalize(follow)
        sqlite3_finalize(boundQuery)
    }

    /// The newest revision in the log: where to start following.
    func currentRevision() throws -> Int64 {
        let stmt = try db.prepare("SELECT coalesce(max(revision), 0) FROM changes")
        defer { sqlite3_finalize(stmt) }
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw BenchError("sqlite: \(db.message)") }
        return sqlite3_column_int64(stmt, 0)
    }

    func start(after revision: Int64) { lastRevision = revision }

    /// Reads the pod changes since the last poll.
    func poll() throws {
        let compacted = try db.scalar("SELECT value FROM meta WHERE key = 'compacted'")
        if compacted > lastRevision { throw BenchError("the change log was compacted past revision \(lastRevision)") }
        sqlite3_bind_int64(follow, 1, lastRevision)
        defer { sqlite3_reset(follow) }
        while true {
            let rc = sqlite3_step(follow)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw BenchError("sqlite: \(db.message)") }
            lastRevision = sqlite3_column_int64(follow, 0)
            let name = String(cString: sqlite3_column_text(follow, 2))
            switch sqlite3_column_int64(follow, 1) {
            case 0:
                created.insert(name)
                addedAt[name] = lastRevision
            case 2:
                created.remove(name)
                bound.remove(name)
                addedAt[name] = nil
                boundAt[name] = nil
            default:
                // A pod's first change after its creation is taken as its binding, without
                // reading the value here; `verifyBindings` checks that it was, after the run.
                if bound.insert(name).inserted { boundAt[name] = lastRevision }
            }
        }
    }

    /// Checks what `poll` assumed, from the stored values: each pod was created unbound, and the
    /// change counted as its binding set its node. Reading every value while following the log
    /// cost a tenth of the run's CPU in the process under test; once afterwards it costs nothing there.
    func verifyBindings() throws {
        for (name, revision) in boundAt {
            if let added = addedAt[name], try isBound(at: added) {
                throw BenchError("pod \(name) was created bound (revision \(added)): the probe would time its binding late")
            }
            guard try isBound(at: revision) else {
                throw BenchError("pod \(name) changed at revision \(revision) without being bound: not its binding")
            }
        }
    }

    /// Whether the pod as changed at `revision` is bound to a node.
    private func isBound(at revision: Int64) throws -> Bool {
        sqlite3_bind_int64(boundQuery, 1, revision)
        defer { sqlite3_reset(boundQuery) }
        switch sqlite3_step(boundQuery) {
        case SQLITE_ROW: return sqlite3_column_int64(boundQuery, 0) != 0
        case SQLITE_DONE: throw BenchError("the change log was compacted past revision \(revision)")
        default: throw BenchError("sqlite: \(db.message)")
        }
    }

    /// Writes after `revision`, counted by resource and change type (`pods ADDED 5000`), largest first.
    func writes(after revision: Int64) throws -> [(resource: String, type: String, count: Int)] {
        let stmt = try db.prepare(
            "SELECT resource, type, count(*) FROM changes WHERE revision > ?1 GROUP BY 1, 2 ORDER BY 3 DESC")
        defer { sqlite3_finalize(stmt) }
        sqlite3_bind_int64(stmt, 1, revision)
        var rows: [(String, String, Int)] = []
        while sqlite3_step(stmt) == SQLITE_ROW {
            let type = ["ADDED", "MODIFIED", "DELETED"][Int(sqlite3_column_int64(stmt, 1)).clamped(to: 0...2)]
            rows.append((String(cString: sqlite3_column_text(stmt, 0)), type, Int(sqlite3_column_int64(stmt, 2))))
        }
        return rows
    }

    /// The average size in bytes of a stored pod, and the bytes of every change after `revision`.
    func sizes(after revision: Int64) throws -> (pod: Int64, changes: Int64) {
        let pod = try db.scalar(
            "SELECT coalesce(avg(length(c.value)), 0) FROM objects o JOIN changes c ON c.revision = o.revision WHERE o.resource = 'pods'")
        let stmt = try db.prepare("SELECT coalesce(sum(length(value)), 0) FROM changes WHERE revision > ?1")
        defer { sqlite3_finalize(stmt) }
        sqlite3_bind_int64(stmt, 1, revision)
        guard sqlite3_step(stmt) == SQLITE_ROW else { throw BenchError("sqlite: \(db.message)") }
        return (pod, sqlite3_column_int64(stmt, 0))
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
