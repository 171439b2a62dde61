import Foundation

/// State behind a lock, reachable from the supervisor thread and from any task. Never held across
/// an `await`. (A copy of KctlModel's, which this module does not depend on.)
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
