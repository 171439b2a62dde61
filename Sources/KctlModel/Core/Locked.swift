import Foundation

/// State behind a lock, for the few places every part has that must be reachable synchronously
/// from any thread (informer handlers, queue adds, the store's reader pool and watch hub).
/// Never held across an `await`.
public final class Locked<State>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    public init(_ state: State) { self.state = state }

    public func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
