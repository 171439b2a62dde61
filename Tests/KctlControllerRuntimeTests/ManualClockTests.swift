import Foundation
import KctlControllerRuntime
import func KctlTestSupport.withTimeout
import Testing

@Suite struct ManualClockTests {
    @Test func sleepersWakeWhenTimeReachesTheirDeadline() async throws {
        let clock = ManualClock()
        let woke = EventLog()
        try await withTimeout {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await clock.sleep(for: .seconds(2))
                    woke.append("2s")
                }
                group.addTask {
                    try? await clock.sleep(for: .seconds(1))
                    woke.append("1s")
                }
                await clock.waitForSleepers(2)
                clock.advance(by: .seconds(1))
                while woke.lines.count < 1 { await Task.yield() }
                #expect(woke.lines == ["1s"])
                clock.advance(by: .seconds(1))
            }
        }
        #expect(woke.lines == ["1s", "2s"])
    }

    @Test func pastDeadlinesReturnAtOnce() async throws {
        let clock = ManualClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        clock.advance(by: .seconds(6))
        try await withTimeout { try await clock.sleep(until: deadline, tolerance: nil) }
    }

    @Test func cancellationEndsASleep() async throws {
        let clock = ManualClock()
        let task = Task { try await clock.sleep(for: .seconds(100)) }
        await clock.waitForSleepers(1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func dateAdvancesWithTheClock() {
        let start = Date(timeIntervalSince1970: 1000)
        let clock = ManualClock(date: start)
        clock.advance(by: .seconds(90))
        #expect(clock.date == Date(timeIntervalSince1970: 1090))
    }
}
