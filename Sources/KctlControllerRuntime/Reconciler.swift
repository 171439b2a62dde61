/// Brings one object's world to its desired state. It gets only a key, never the event that woke
/// it: it reads the whole current state (from informer caches), compares it with the desired
/// state and acts. Being called again for the same state must be harmless.
///
/// The controller loop owns every requeue rule: a thrown error retries the key with per-key
/// back-off; `.requeueAfter` resets the back-off and looks again after the delay; `.done` resets
/// the back-off.
public protocol Reconciler: Sendable {
    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult
}

/// What a reconcile asks of the controller loop.
public enum ReconcileResult: Sendable, Hashable {
    /// Nothing more to do until something changes.
    case done
    /// Look again after this long (waiting on time: a deadline, a TTL, a minimum ready time).
    case requeueAfter(Duration)
}
