import KctlModel

/// The on-disk layout, kine-like: an append-only change log that watches replay, and an index of
/// the live objects that points into it, so each write stores its value once.
///
/// - `changes`: one row per write, keyed by the global revision. `value` is the object as of the
///   change (for DELETED, its last state with `resourceVersion` = the delete's revision).
/// - `objects`: each live object, keyed by (resource, namespace, name); `revision` is its last
///   write, whose change row holds its value, `create_revision` the write that created it.
///   Compaction removes change rows up to a revision except those still some object's value.
/// - `attachments`: data kept with a live object outside its value (`ObjectAttachment`), keyed by the
///   object's key and the attachment's name; deleting the object deletes them.
/// - `meta`: `compacted` (every change at or below it is gone, but for the live objects' own).
///
/// `resource` is the kind's `groupResource` (`deployments.apps`); cluster-scoped objects have
/// namespace "". Values are `KubeObject.serialized()` bytes (compact JSON, sorted keys).
///
/// Version 1 kept a second copy of each live object's value in `objects`; version 2 had no
/// `attachments`. Opening an older file moves it to the current version (`migrations`).
enum Schema {
    static let version: Int64 = 3

    static let tables = """
        CREATE TABLE IF NOT EXISTS changes (
            revision  INTEGER PRIMARY KEY,
            resource  TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name      TEXT NOT NULL,
            type      INTEGER NOT NULL,
            value     BLOB NOT NULL
        );
        \(objectsTable("IF NOT EXISTS objects"))
        \(attachmentsTable)
        CREATE TABLE IF NOT EXISTS meta (
            key   TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT OR IGNORE INTO meta (key, value) VALUES ('compacted', 0);
        """

    /// `objects` as versions 2 and later have it (the table's name after CREATE TABLE is `name`).
    private static func objectsTable(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            resource        TEXT NOT NULL,
            namespace       TEXT NOT NULL,
            name            TEXT NOT NULL,
            revision        INTEGER NOT NULL,
            create_revision INTEGER NOT NULL,
            PRIMARY KEY (resource, namespace, name)
        ) WITHOUT ROWID;
        """
    }

    private static let attachmentsTable = """
        CREATE TABLE IF NOT EXISTS attachments (
            resource  TEXT NOT NULL,
            namespace TEXT NOT NULL,
            name      TEXT NOT NULL,
            key       TEXT NOT NULL,
            value     BLOB NOT NULL,
            PRIMARY KEY (resource, namespace, name, key)
        ) WITHOUT ROWID;
        """

    /// What turns a file of version N into version N + 1, by N.
    static let migrations: [Int64: String] = [
        // The live values move into the log: each object's last change row is put back where
        // compaction had removed it (the same bytes where it had not), then `objects` loses
        // its copy.
        1: """
            INSERT OR IGNORE INTO changes (revision, resource, namespace, name, type, value)
                SELECT revision, resource, namespace, name, CASE WHEN revision = create_revision THEN 0 ELSE 1 END, value
                FROM objects;
            \(objectsTable("objects_v2"))
            INSERT INTO objects_v2 SELECT resource, namespace, name, revision, create_revision FROM objects;
            DROP TABLE objects;
            ALTER TABLE objects_v2 RENAME TO objects;
            """,
        2: attachmentsTable,
    ]

    // The writer's statements.
    static let selectObject = """
        SELECT c.value, o.revision FROM objects o JOIN changes c ON c.revision = o.revision
        WHERE o.resource = ?1 AND o.namespace = ?2 AND o.name = ?3
        """
    static let insertObject = """
        INSERT INTO objects (resource, namespace, name, revision, create_revision)
        VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT DO NOTHING
        """
    static let updateObject =
        "UPDATE objects SET revision = ?4 WHERE resource = ?1 AND namespace = ?2 AND name = ?3"
    static let deleteObject = "DELETE FROM objects WHERE resource = ?1 AND namespace = ?2 AND name = ?3"
    static let putAttachment = """
        INSERT INTO attachments (resource, namespace, name, key, value) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT DO UPDATE SET value = excluded.value
        """
    static let deleteAttachments = "DELETE FROM attachments WHERE resource = ?1 AND namespace = ?2 AND name = ?3"
    static let insertChange = """
        INSERT INTO changes (revision, resource, namespace, name, type, value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        """
    static let begin = "BEGIN IMMEDIATE"
    static let commit = "COMMIT"
    static let rollback = "ROLLBACK"
    /// The changes up to ?1 that are no live object's value.
    static let deleteChangesUpTo =
        "DELETE FROM changes WHERE revision <= ?1 AND revision NOT IN (SELECT revision FROM objects)"
    static let setCompacted = "UPDATE meta SET value = ?1 WHERE key = 'compacted'"

    // Shared by writer and readers.
    static let compacted = "SELECT value FROM meta WHERE key = 'compacted'"
    /// The newest revision: the last change, or the compacted revision when the log is empty.
    static let currentRevision = """
        SELECT max(coalesce((SELECT max(revision) FROM changes), 0),
                   (SELECT value FROM meta WHERE key = 'compacted'))
        """

    // The readers' statements.
    /// One row when the object exists; its attachment ?4's value in it, or NULL.
    static let selectAttachment = """
        SELECT a.value FROM objects o LEFT JOIN attachments a
            ON a.resource = o.resource AND a.namespace = o.namespace AND a.name = o.name AND a.key = ?4
        WHERE o.resource = ?1 AND o.namespace = ?2 AND o.name = ?3
        """
    static let listAll = """
        SELECT c.value FROM objects o JOIN changes c ON c.revision = o.revision
        WHERE o.resource = ?1 ORDER BY o.namespace, o.name
        """
    static let listNamespace = """
        SELECT c.value FROM objects o JOIN changes c ON c.revision = o.revision
        WHERE o.resource = ?1 AND o.namespace = ?2 ORDER BY o.name
        """
    /// Changes in (?1, ?2], optionally of one resource (?3) and namespace (?4).
    static let replay = """
        SELECT revision, resource, namespace, type, value FROM changes
        WHERE revision > ?1 AND revision <= ?2
          AND (?3 IS NULL OR resource = ?3) AND (?4 IS NULL OR namespace = ?4)
        ORDER BY revision
        """
}

extension SQLiteConnection {
    /// Settings for the one connection that writes; creates the schema on a new file.
    func configureWriter(_ options: StoreOptions) throws {
        // auto_vacuum only takes effect before the first table exists.
        try execute("PRAGMA auto_vacuum = INCREMENTAL")
        let mode = try text("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            throw StatusError.internalError("sqlite: cannot enable WAL on \(path) (journal_mode is \(mode ?? "unknown"))")
        }
        try execute(
            """
            PRAGMA synchronous = \(options.synchronous.rawValue);
            PRAGMA journal_size_limit = \(options.walSizeLimit);
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -16000;
            """)
        let existing = try scalar("PRAGMA user_version") ?? 0
        if existing > Schema.version {
            throw StatusError.internalError("sqlite: the schema of \(path) (\(existing)) is newer than this kctl's (\(Schema.version))")
        }
        if existing == 0 {
            try execute("BEGIN IMMEDIATE; \(Schema.tables) PRAGMA user_version = \(Schema.version); COMMIT")
            return
        }
        for from in existing..<Schema.version {
            guard let migration = Schema.migrations[from] else {
                throw StatusError.internalError("sqlite: no way to move \(path) from schema \(from) to \(from + 1)")
            }
            do {
                try execute("BEGIN IMMEDIATE; \(migration) PRAGMA user_version = \(from + 1); COMMIT")
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Settings for a connection that only reads.
    func configureReader() throws {
        try execute("PRAGMA query_only = ON; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8000")
    }
}
