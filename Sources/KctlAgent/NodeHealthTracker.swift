/// When each node last showed a sign of life, by the lifecycle controller's own clock: pure.
///
/// As Kubernetes' node lifecycle controller does, it does not compare a Lease's `renewTime` with
/// its own wall clock (the two machines' clocks may disagree); it notes *when it saw* the
/// `renewTime` change. A node never heard from counts from when it was first seen, so a Node
/// without any agent turns Unknown one grace period after the controller starts or it appears.
struct NodeHealthTracker: Sendable, Hashable {
    struct Entry: Sendable, Hashable {
        /// The last `renewTime` seen on the node's Lease.
        var renewTime: String?
        /// When that `renewTime` was first seen (or the node, if no Lease yet).
        var lastSignOfLife: Duration
        /// When the controller first found the node unreachable (tainted it), for evictions.
        var unreachableSince: Duration?
    }

    let gracePeriod: Duration
    private(set) var entries: [String: Entry] = [:]

    init(gracePeriod: Duration) {
        self.gracePeriod = gracePeriod
    }

    /// A Node exists: start tracking it (its grace period starts now) unless already tracked.
    mutating func observeNode(_ name: String, at now: Duration) {
        if entries[name] == nil { entries[name] = Entry(renewTime: nil, lastSignOfLife: now) }
    }

    /// A node's Lease was seen with `renewTime`; a changed value is a sign of life now. Returns
    /// whether it was one.
    @discardableResult
    mutating func observeLease(node name: String, renewTime: String?, at now: Duration) -> Bool {
        guard var entry = entries[name] else {
            entries[name] = Entry(renewTime: renewTime, lastSignOfLife: now)
            return true
        }
        guard let renewTime, renewTime != entry.renewTime else { return false }
        entry.renewTime = renewTime
        entry.lastSignOfLife = now
        entries[name] = entry
        return true
    }

    mutating func forget(_ name: String) {
        entries[name] = nil
    }

    /// Whether a node showed a sign of life within the grace period (untracked nodes count as fresh:
    /// their clock has not started).
    func isFresh(_ name: String, at now: Duration) -> Bool {
        guard let entry = entries[name] else { return true }
        return now - entry.lastSignOfLife < gracePeriod
    }

    /// When a node goes stale if nothing changes: for scheduling the next look.
    func staleAt(_ name: String) -> Duration? {
        entries[name].map { $0.lastSignOfLife + gracePeriod }
    }

    mutating func markUnreachable(_ name: String, at now: Duration) {
        if entries[name] != nil, entries[name]?.unreachableSince == nil { entries[name]?.unreachableSince = now }
    }

    mutating func markReachable(_ name: String) {
        entries[name]?.unreachableSince = nil
    }

    func unreachableSince(_ name: String) -> Duration? { entries[name]?.unreachableSince }
}
