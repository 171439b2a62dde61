import Foundation

/// State guarded by a lock, for the few places that must be reachable synchronously from any
/// thread (the reader pool, the watch hub). Never hold it across an `await`.
final class Locked<State>: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    init(_ state: State) { self.state = state }

    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}
