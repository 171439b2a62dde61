import KctlModel

/// Counters of one controller, for logs, tests and `/metrics`.
public final class ControllerMetrics: Sendable {
    public struct Snapshot: Sendable, Hashable {
        public var reconciles: Int = 0
        public var errors: Int = 0
        public var requeues: Int = 0
        /// Total time spent in `reconcile`.
        public var reconcileTime: Duration = .zero
    }

    private let state = Locked(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func record(duration: Duration, error: Bool, requeue: Bool) {
        state.withLock { s in
            s.reconciles += 1
            s.reconcileTime += duration
            if error { s.errors += 1 }
            if requeue { s.requeues += 1 }
        }
    }
}
