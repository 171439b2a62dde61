import Testing

@testable import KctlScheduler

@Suite struct BenchmarkTests {
    @Test func smallRunPlacesEveryPodWithoutViolations() {
        let result = SchedulerBenchmark.run(nodes: 60, pods: 600, zones: 3, parallel: false)
        #expect(result.violations == 0)
        #expect(result.podsPerSecond > 0)
        #expect(result.report.contains("unschedulable 0"))
    }

    @Test func theCheckerCatchesViolations() {
        let pods = (0..<3).map { podInfo("p\($0)", cpu: 20_000, owner: "rs") }
        // All three on node 0 of zone 0: cpu over 32 cores, and zone skew 3.
        let check = SchedulerBenchmark.verify(
            pods: pods, placements: [0, 0, 0], nodeCount: 3, zones: 3,
            allocatable: Resources(milliCPU: 32_000, memory: 128 * gib, pods: 110))
        #expect(check.resources == 1)
        #expect(check.skew == 1)
    }
}
