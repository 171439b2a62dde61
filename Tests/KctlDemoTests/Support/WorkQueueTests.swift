import Testing

@testable import KctlDemo

@Suite struct WorkQueueTests {
    @Test func itemsComeOutInOrder() async {
        let queue = WorkQueue<Int>()
        for i in 1...3 { queue.put(i) }
        #expect(queue.count == 3)
        #expect(await queue.take(timeout: .zero) == 1)
        #expect(await queue.take(timeout: .zero) == 2)
        #expect(await queue.take(timeout: .zero) == 3)
        #expect(await queue.take(timeout: .zero) == nil)
    }

    @Test func aWaitingTakerGetsTheNextItem() async {
        let queue = WorkQueue<Int>()
        async let taken = queue.take(timeout: .seconds(30))
        // The item is either handed to the waiter or picked up by it: either way it gets it once.
        queue.put(7)
        #expect(await taken == 7)
        #expect(queue.count == 0)
    }

    @Test func aTakerTimesOutEmptyHanded() async {
        let queue = WorkQueue<Int>()
        #expect(await queue.take(timeout: .milliseconds(10)) == nil)
        queue.put(1)
        #expect(queue.count == 1)
    }

    @Test func aCancelledTakerTakesNothing() async {
        let queue = WorkQueue<Int>()
        let task = Task { await queue.take(timeout: .seconds(30)) }
        task.cancel()
        #expect(await task.value == nil)
        queue.put(1)
        #expect(queue.count == 1)
    }
}
