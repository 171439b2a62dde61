import CSQLite
import Dispatch
import KctlModel

/// Copies the WAL into the database off the write path. SQLite's automatic checkpoint runs
/// inside the commit that crosses its threshold, so about one write in a few hundred waits
/// 5-20 ms for it (an fsync of the database included), and so does every watcher of that
/// write. Here the writer's commit only notes the WAL's size (`sqlite3_wal_hook`, which replaces
/// the automatic checkpoint); past the same threshold, a serial queue runs a PASSIVE
/// checkpoint on a connection of its own, which never blocks the writer or readers.
///
/// The WAL only starts over from its beginning when a write transaction begins with every frame
/// copied, which never happens while a background copy runs beside a stream of writes: the file
/// would grow by every byte written until maintenance truncated it. So when a background pass
/// has ended, the writer's next commit copies the few frames written since, itself (a few pages
/// and two fsyncs), and the write after it restarts the WAL.
///
/// Durability is unchanged: commits reach the WAL exactly as before; only where the copy into
/// the database runs moves. `SQLiteStore.maintain()` still truncates the WAL periodically.
final class Checkpointer: @unchecked Sendable {
    /// WAL pages after which a checkpoint is started (SQLite's own default).
    static let threshold: Int32 = 1000

    private let queue = DispatchQueue(label: "kctl.store.checkpoint", qos: .utility)
    /// Only touched on `queue`.
    private let connection: SQLiteConnection
    /// A checkpoint is queued and has not started yet.
    private let queued = Locked(false)
    /// A background pass has ended and the writer has not caught up behind it yet.
    private let passEnded = Locked(false)
    /// WAL size at which to start the next checkpoint. Only touched from the hook, which runs
    /// in the writer's commits, under the writer's lock.
    private var nextAt = Checkpointer.threshold

    init(path: String, busyTimeout: Duration) throws {
        connection = try SQLiteConnection(path: path, readOnly: false, busyTimeout: busyTimeout)
        // A connection learns that the file is in WAL mode only when it first reads it; until
        // then SQLite's checkpoint on it copies nothing and still returns SQLITE_OK.
        _ = try connection.scalar("SELECT count(*) FROM sqlite_schema")
    }

    /// Installs the hook on the writer's connection: from now on, the writer never checkpoints
    /// inside a commit.
    func attach(to writer: SQLiteConnection) {
        guard let handle = writer.handle else { return }
        sqlite3_wal_hook(
            handle,
            { context, writer, _, pages in
                if let context {
                    Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: pages, writer: writer)
                }
                return SQLITE_OK
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Removes the hook (before the writer closes) and closes the checkpoint connection once a
    /// running checkpoint is done.
    func detach(from writer: SQLiteConnection) {
        if let handle = writer.handle { sqlite3_wal_hook(handle, nil, nil) }
        queue.sync { connection.close() }
    }

    /// Starts a checkpoint once per `threshold` pages the WAL grew by, not after every commit
    /// while it is large: a checkpoint that runs while writes go on leaves the WAL above the
    /// threshold until a later commit restarts it.
    ///
    /// Runs in the writer's commit, under the writer's lock.
    private func walGrew(to pages: Int32, writer: OpaquePointer?) {
        if pages < nextAt - Checkpointer.threshold { nextAt = Checkpointer.threshold }  // restarted
        if passEnded.withLock({ ended in defer { ended = false }; return ended }) {
            _ = sqlite3_wal_checkpoint_v2(writer, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            return
        }
        guard pages >= nextAt else { return }
        nextAt = pages + Checkpointer.threshold
        request()
    }

    private func request() {
        let start = queued.withLock { queued in
            defer { queued = true }
            return !queued
        }
        guard start else { return }
        queue.async { [self] in
            queued.withLock { $0 = false }
            guard let handle = connection.handle else { return }
            _ = sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            passEnded.withLock { $0 = true }
        }
    }
}
