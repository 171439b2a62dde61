import Foundation

/// A FIFO whose `take` waits, up to a timeout, for an item: the shop queue's long-poll dequeue.
/// An item goes to exactly one taker; a taker that times out or is cancelled takes nothing.
final class WorkQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var head = 0
        var waiters: [(id: UUID, continuation: CheckedContinuation<Item?, Never>)] = []

        var count: Int { items.count - head }

        mutating func pop() -> Item? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head > 64, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }
    }

    private let state = Locked(State())

    init() {}

    var count: Int { state.current.count }

    func put(_ item: Item) {
        let waiter = state.withLock { state -> CheckedContinuation<Item?, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            state.items.append(item)
            return nil
        }
        waiter?.resume(returning: item)
    }

    /// The oldest item, waiting up to `timeout` for one; nil when none came or the task was
    /// cancelled.
    func take(timeout: Duration) async -> Item? {
        if let item = state.withLock({ $0.pop() }) { return item }
        guard timeout > .zero else { return nil }
        return await withTaskGroup(of: Item?.self) { group in
            group.addTask { await self.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            // The waiter may have been handed an item just as the timer fired: keep it.
            var taken = first
            for await result in group where taken == nil { taken = result }
            return taken
        }
    }

    private func wait() async -> Item? {
        let id = UUID()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate: Item?? = state.withLock { state in
                    if let item = state.pop() { return .some(item) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiters.append((id, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Item?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            waiter?.resume(returning: nil)
        }
    }
}
