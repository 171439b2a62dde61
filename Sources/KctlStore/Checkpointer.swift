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
    /// WAL size at which to start the next checkpoint. Only touched from the hook, which runs
    /// in the writer's commits, under the writer's lock.
    private var nextAt = Checkpointer.threshold

    init(path: String, busyTimeout: Duration) throws {
        connection = try SQLiteConnection(path: path, readOnly: false, busyTimeout: busyTimeout)
    }

    /// Installs the hook on the writer's connection: from now on, the writer never checkpoints
    /// inside a commit.
    func attach(to writer: SQLiteConnection) {
        guard let handle = writer.handle else { return }
        sqlite3_wal_hook(
            handle,
            { context, _, _, pages in
                if let context { Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().walGrew(to: pages) }
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
    private func walGrew(to pages: Int32) {
        if pages < nextAt - Checkpointer.threshold { nextAt = Checkpointer.threshold }  // restarted
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
        }
    }
}
