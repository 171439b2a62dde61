import Foundation

/// A value behind a lock, for the small bits of shared state the roles keep (health switch,
/// rings, metric families). The demo's critical sections are tiny and never await, so a plain
/// lock is simpler than an actor here.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    var current: Value { withLock { $0 } }
}
