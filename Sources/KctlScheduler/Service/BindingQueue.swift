import KctlControllerRuntime
import KctlModel
import KctlStore

/// One placement decided by a scheduling cycle and not yet written.
struct PendingBinding: Sendable {
    var key: ObjectKey
    var pod: PodInfo
    /// The pod as the cycle saw it (for the `Scheduled` event).
    var object: KubeObject
    var node: String
    /// The decision, stored with the pod as it is bound.
    var record: ObjectAttachment
    var message: String
    var time: String
}

/// The placements waiting for the binder, which writes whatever has gathered in one store batch.
/// Scheduling cycles only add to it and move on, as kube-scheduler's binding cycle runs apart
/// from its scheduling cycle: a decision takes microseconds, its write much longer, and the
/// writes of many decisions share one commit.
final class BindingQueue: Sendable {
    private struct State {
        var pending: [PendingBinding] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Locked(State())

    func add(_ binding: PendingBinding) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.pending.append(binding)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Up to `limit` bindings in the order they were added, waiting for one when there are none;
    /// nil once `finish()` was called and nothing is left.
    func next(limit: Int) async -> [PendingBinding]? {
        while true {
            let taken = state.withLock { s -> [PendingBinding]? in
                if s.pending.isEmpty { return s.finished ? nil : [] }
                let count = min(limit, s.pending.count)
                defer { s.pending.removeFirst(count) }
                return Array(s.pending.prefix(count))
            }
            guard let taken else { return nil }
            if !taken.isEmpty { return taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { s -> Bool in
                    if !s.pending.isEmpty || s.finished { return true }
                    s.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// Ends `next()` once the pending bindings are taken.
    func finish() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.finished = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.pending.count } }
}
