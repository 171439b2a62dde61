import KctlControllerRuntime
import func KctlTestSupport.withTimeout
import Testing

@Suite struct WorkQueueTests {
    let a = ObjectKey(namespace: "default", name: "a")
    let b = ObjectKey(namespace: "default", name: "b")

    @Test func keyDescription() {
        #expect(a.description == "default/a")
        #expect(ObjectKey(namespace: nil, name: "node1").description == "node1")
        #expect(ObjectKey(namespace: "", name: "node1") == ObjectKey(namespace: nil, name: "node1"))
    }

    @Test func deduplicatesQueuedKeys() async throws {
        let queue = WorkQueue()
        queue.add(a)
        queue.add(b)
        queue.add(a)
        #expect(queue.count == 2)
        #expect(await queue.get() == a)
        #expect(await queue.get() == b)
        #expect(queue.count == 0)
    }

    @Test func keyBeingProcessedIsNotHandedOutTwice() async throws {
        let queue = WorkQueue()
        queue.add(a)
        let first = await queue.get()
        #expect(first == a)
        // Re-added while processing: held back until done.
        queue.add(a)
        queue.add(b)
        #expect(queue.count == 1)
        #expect(await queue.get() == b)
        #expect(queue.count == 0)
        queue.done(a)
        #expect(queue.count == 1)
        #expect(await queue.get() == a)
        queue.done(a)
        queue.done(b)
        #expect(queue.count == 0)
    }

    @Test func concurrentWorkersNeverShareAKey() async throws {
        let queue = WorkQueue()
        let inFlight = EventLog()
        let keys = (0..<20).map { ObjectKey(namespace: "ns", name: "k\($0)") }
        actor Tracker {
            var active: Set<ObjectKey> = []
            var violations = 0
            var processed = 0
            func begin(_ key: ObjectKey) {
                if !active.insert(key).inserted { violations += 1 }
            }
            func end(_ key: ObjectKey) {
                active.remove(key)
                processed += 1
            }
        }
        let tracker = Tracker()
        try await withTimeout(.seconds(20), "workers") {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while let key = await queue.get() {
                            await tracker.begin(key)
                            await Task.yield()
                            // Re-adding the key in hand must not give it to another worker.
                            queue.add(key)
                            await tracker.end(key)
                            queue.done(key)
                        }
                    }
                }
                for round in 0..<50 {
                    for key in keys { queue.add(key) }
                    if round % 10 == 0 { await Task.yield() }
                }
                while await tracker.processed < 200 { await Task.yield() }
                queue.shutDown()
            }
        }
        #expect(await tracker.violations == 0)
        _ = inFlight
    }

    @Test func shutDownReleasesWaitersAndRefusesAdds() async throws {
        let queue = WorkQueue()
        try await withTimeout(.seconds(5), "shutdown") {
            async let waiting = queue.get()
            while queue.isShuttingDown == false {
                queue.shutDown()
            }
            #expect(await waiting == nil)
        }
        queue.add(a)
        #expect(queue.count == 0)
        #expect(await queue.get() == nil)
    }

    @Test func cancelledGetReturnsNil() async throws {
        let queue = WorkQueue()
        let task = Task { await queue.get() }
        task.cancel()
        #expect(await task.value == nil)
        // The queue still works for others.
        queue.add(a)
        #expect(await queue.get() == a)
    }

    @Test func backOffGrowsExponentiallyToTheCap() {
        let backOff = WorkQueue.BackOff(base: .milliseconds(5), max: .seconds(1000))
        #expect(backOff.delay(failures: 1) == .milliseconds(5))
        #expect(backOff.delay(failures: 2) == .milliseconds(10))
        #expect(backOff.delay(failures: 3) == .milliseconds(20))
        #expect(backOff.delay(failures: 10) == .milliseconds(2560))
        #expect(backOff.delay(failures: 30) == .seconds(1000))
        #expect(backOff.delay(failures: 1000) == .seconds(1000))
    }

    @Test func rateLimitedAddsWaitForTheBackOffOnTheClock() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(clock: clock, backOff: .init(base: .seconds(1), max: .seconds(8)))
        queue.addRateLimited(a)  // 1 s
        #expect(queue.failures(a) == 1)
        #expect(queue.count == 0)
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(999))
        #expect(queue.count == 0)
        clock.advance(by: .milliseconds(1))
        #expect(try await withTimeout { await queue.get() } == a)
        queue.done(a)

        queue.addRateLimited(a)  // 2 s
        #expect(queue.failures(a) == 2)
        clock.advance(by: .seconds(1))
        await Task.yield()
        #expect(queue.count == 0)
        clock.advance(by: .seconds(1))
        #expect(try await withTimeout { await queue.get() } == a)
        queue.done(a)

        queue.addRateLimited(a)  // 4 s
        queue.addRateLimited(a)  // 8 s: the pending earlier add wins
        #expect(queue.failures(a) == 4)
        clock.advance(by: .seconds(4))
        #expect(try await withTimeout { await queue.get() } == a)
        queue.done(a)

        queue.forget(a)
        #expect(queue.failures(a) == 0)
        queue.addRateLimited(a)  // back to 1 s
        clock.advance(by: .seconds(1))
        #expect(try await withTimeout { await queue.get() } == a)
    }

    @Test func addAfterQueuesOnlyOnceTheDelayHasPassed() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(clock: clock)
        queue.addAfter(a, delay: .seconds(30))
        queue.addAfter(b, delay: .seconds(10))
        #expect(queue.delayedCount == 2)
        #expect(queue.timeUntilDue(a) == .seconds(30))
        #expect(queue.timeUntilDue(b) == .seconds(10))
        clock.advance(by: .seconds(10))
        #expect(queue.timeUntilDue(a) == .seconds(20))
        #expect(try await withTimeout { await queue.get() } == b)
        #expect(queue.timeUntilDue(b) == nil)
        #expect(queue.count == 0)
        clock.advance(by: .seconds(20))
        #expect(try await withTimeout { await queue.get() } == a)
        #expect(queue.delayedCount == 0)
    }

    @Test func shutDownCancelsTimers() async throws {
        let clock = ManualClock()
        let queue = WorkQueue(clock: clock)
        queue.addAfter(a, delay: .seconds(1))
        await clock.waitForSleepers(1)
        queue.shutDown()
        try await eventually("the timer to stop sleeping") { clock.sleeperCount == 0 }
        #expect(queue.delayedCount == 0)
    }
}
