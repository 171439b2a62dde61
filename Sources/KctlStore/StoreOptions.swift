/// How a `SQLiteStore` trades durability, history and memory.
public struct StoreOptions: Sendable, Hashable {
    /// `PRAGMA synchronous`: `.normal` survives a crash of the process (WAL), `.full` also
    /// survives a power loss, at the price of an fsync per commit.
    public enum Synchronous: String, Sendable, Hashable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    public var synchronous: Synchronous
    /// How long a connection waits for a lock held by another process before failing.
    public var busyTimeout: Duration
    /// Read-only connections kept open for reads and watch replays (more are opened on demand).
    public var readerPoolSize: Int
    /// Compaction never removes the newest `keepRevisions` changes ...
    public var keepRevisions: Int64
    /// ... nor any change younger than `retention` (zero: compact by count only).
    public var retention: Duration
    /// How often `runMaintenance()` compacts, reclaims space and checkpoints the WAL.
    public var maintenanceInterval: Duration
    /// A watcher that falls this many events behind is ended with Expired (410) instead of
    /// buffering without bound; its client relists and watches again.
    public var maxWatchBacklog: Int
    /// `PRAGMA journal_size_limit`: the WAL file is truncated to this many bytes after a checkpoint.
    public var walSizeLimit: Int64
    /// Objects the writer keeps parsed after writing them, so that updating them again skips
    /// reading and parsing the stored row (a few KiB of memory each; 0 turns the cache off).
    public var writerCacheSize: Int

    public init(
        synchronous: Synchronous = .normal,
        busyTimeout: Duration = .seconds(5),
        readerPoolSize: Int = 4,
        keepRevisions: Int64 = 10_000,
        retention: Duration = .seconds(300),
        maintenanceInterval: Duration = .seconds(30),
        maxWatchBacklog: Int = 100_000,
        walSizeLimit: Int64 = 64 << 20,
        writerCacheSize: Int = 10_000
    ) {
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.readerPoolSize = readerPoolSize
        self.keepRevisions = keepRevisions
        self.retention = retention
        self.maintenanceInterval = maintenanceInterval
        self.maxWatchBacklog = maxWatchBacklog
        self.walSizeLimit = walSizeLimit
        self.writerCacheSize = writerCacheSize
    }
}
