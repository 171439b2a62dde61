/// Decides how far the change log may be compacted: never the newest `keepRevisions` changes,
/// and never a change younger than `retention`.
///
/// Change rows carry no timestamps. Instead, each maintenance pass records a mark (when, newest
/// revision); every change at or below a mark's revision is at least as old as the mark. After a
/// restart there are no old marks yet, so nothing is compacted by age until `retention` has
/// passed again: the safe direction.
struct CompactionPolicy: Sendable {
    struct Mark: Sendable, Hashable {
        var at: ContinuousClock.Instant
        var revision: Int64
    }

    var keepRevisions: Int64
    var retention: Duration
    private(set) var marks: [Mark] = []

    init(keepRevisions: Int64, retention: Duration) {
        self.keepRevisions = max(0, keepRevisions)
        self.retention = retention
    }

    /// Notes that at `at` the newest revision was `revision`.
    mutating func record(revision: Int64, at: ContinuousClock.Instant) {
        if let last = marks.last, last.revision == revision { return }
        marks.append(Mark(at: at, revision: revision))
    }

    /// The highest revision that may be compacted at `now` when the newest is `current`, and
    /// forgets the marks it no longer needs.
    mutating func target(current: Int64, now: ContinuousClock.Instant) -> Int64 {
        let byCount = current - keepRevisions
        guard retention > .zero else { return max(0, byCount) }
        let cutoff = now - retention
        guard let index = marks.lastIndex(where: { $0.at <= cutoff }) else { return 0 }
        let byAge = marks[index].revision
        marks.removeFirst(index)
        return max(0, min(byCount, byAge))
    }
}
