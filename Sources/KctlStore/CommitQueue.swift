import KctlModel

/// Group commit for the writer. A write that finds no commit running runs one at once, on its
/// own thread, as a lone write always did. Writes that arrive while a commit runs wait, suspended
/// rather than blocking one of the few cooperative threads on a lock, and the commit that follows
/// takes them all (up to `SQLiteWriter.maxGroup` operations) in one transaction: one WAL append
/// instead of one per write. Every waiter is resumed only after the commit that holds its
/// writes, so an acknowledged write is exactly as durable as before.
///
/// The thread that commits (the leader) keeps taking the next group while writes keep coming,
/// for at most `maxRounds` commits; then it hands the lead to the oldest waiter and returns to
/// its own caller, so no caller waits long for others' writes.
final class CommitQueue: Sendable {
    typealias Operation = SQLiteWriter.Operation
    typealias Outcome = Result<SQLiteWriter.Output, any Error>

    /// Commits a group and returns one outcome per operation, in order.
    typealias Commit = @Sendable ([Operation]) -> [Outcome]

    /// Commits the leader runs before it hands over.
    static let maxRounds = 4

    /// One caller's writes. Its fields are set by the leader before the continuation is resumed
    /// (which orders them before the caller reads them), hence `@unchecked Sendable`.
    private final class Waiter: @unchecked Sendable {
        /// Emptied before the waiter is resumed: a caller may hand in a closure it owns only until
        /// then (`withoutActuallyEscaping`).
        var operations: [Operation]
        var outcomes: [Outcome] = []
        var continuation: CheckedContinuation<Void, Never>?
        /// Resumed to lead the next commit rather than with its outcomes.
        var leads = false

        init(_ operations: [Operation]) { self.operations = operations }
    }

    private struct State {
        var waiting: [Waiter] = []
        /// A leader is committing (or about to): new writes wait.
        var busy = false
    }

    private let state = Locked(State())

    /// Callers waiting for a commit (for tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Runs `operations` in a commit of their own or of a group, and returns their outcomes.
    func submit(_ operations: [Operation], commit: Commit) async -> [Outcome] {
        let waiter = Waiter(operations)
        var leads = state.withLock { s -> Bool in
            if s.busy { return false }
            s.busy = true
            return true
        }
        if !leads {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let queued = state.withLock { s -> Bool in
                    if s.busy {
                        waiter.continuation = continuation
                        s.waiting.append(waiter)
                        return true
                    }
                    s.busy = true
                    return false
                }
                if !queued {
                    waiter.leads = true
                    continuation.resume()
                }
            }
            leads = waiter.leads
        }
        if leads { lead(with: waiter, commit: commit) }
        return waiter.outcomes
    }

    /// Commits `own`'s writes with whatever waits, then further groups while writes keep
    /// arriving (at most `maxRounds` commits in all), then goes idle or hands the lead over.
    private func lead(with own: Waiter, commit: Commit) {
        var group = [own]
        var rounds = 0
        while true {
            let limit = SQLiteWriter.maxGroup
            var count = group.reduce(0) { $0 + $1.operations.count }
            let joined = state.withLock { s -> [Waiter] in
                var taken = 0
                while taken < s.waiting.count,
                    (group.isEmpty && taken == 0) || count + s.waiting[taken].operations.count <= limit
                {
                    count += s.waiting[taken].operations.count
                    taken += 1
                }
                defer { s.waiting.removeFirst(taken) }
                return Array(s.waiting.prefix(taken))
            }
            group += joined
            let outcomes = commit(group.flatMap(\.operations))
            var offset = 0
            for waiter in group {
                let count = waiter.operations.count
                waiter.outcomes = Array(outcomes[offset..<(offset + count)])
                waiter.operations = []
                offset += count
                if waiter !== own { waiter.continuation?.resume() }
            }
            rounds += 1
            enum Next { case idle, again, handOver(Waiter) }
            let next = state.withLock { s -> Next in
                if s.waiting.isEmpty {
                    s.busy = false
                    return .idle
                }
                if rounds >= Self.maxRounds { return .handOver(s.waiting.removeFirst()) }
                return .again
            }
            switch next {
            case .idle:
                return
            case .again:
                group = []
            case .handOver(let successor):
                successor.leads = true
                successor.continuation?.resume()
                return
            }
        }
    }
}
