import KctlModel
import KctlControllerRuntime

/// Keeps a controller from acting twice on a cache that has not yet seen its own writes (the role
/// of Kubernetes' "expectations", by revision): after a write at revision R on behalf of a key,
/// that key waits until the informer of the written kind has reached R. Every store revision is
/// global and an informer's revision only moves forward, so "reached R" means "has seen my write".
final class WriteExpectations: Sendable {
    private let pending = Locked<[ObjectKey: Int64]>([:])

    /// Records a write at `revision` (the written object's `resourceVersion`) for `key`.
    func expect(_ key: ObjectKey, revision: String?) {
        guard let revision = revision.flatMap({ Int64($0) }) else { return }
        pending.withLock { $0[key] = max($0[key] ?? 0, revision) }
    }

    /// Whether `informer` has seen every write recorded for `key`.
    func isSatisfied(_ key: ObjectKey, by informer: Informer) -> Bool {
        let seen = informer.revision
        return pending.withLock { state in
            guard let wanted = state[key] else { return true }
            if seen >= wanted {
                state[key] = nil
                return true
            }
            return false
        }
    }

    func forget(_ key: ObjectKey) {
        _ = pending.withLock { $0.removeValue(forKey: key) }
    }
}
