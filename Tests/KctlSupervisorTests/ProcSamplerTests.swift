import Foundation
import Testing

@testable import KctlSupervisor

@Suite struct ProcSamplerTests {
    @Test func aBusyLoopsCPUGrows() async throws {
        try await withSupervisor { supervisor in
            let busy = try await supervisor.spawn(
                ProcessSpec(executable: "/bin/sh", arguments: ["-c", "while :; do :; done"]))
            let idle = try await supervisor.spawn(ProcessSpec(executable: "/bin/sleep", arguments: ["100"]))
            let first = try #require(ProcSampler.sample(processGroups: [busy.pid, idle.pid])[busy.pid])
            #expect(first.processes == 1)
            #expect(first.memoryBytes > 0)
            #expect(await eventually {
                (ProcSampler.sample(processGroups: [busy.pid])[busy.pid]?.cpuSeconds ?? 0) >= first.cpuSeconds + 0.2
            })
            let both = ProcSampler.sample(processGroups: [busy.pid, idle.pid, 999_999_999])
            #expect(both[idle.pid]?.processes == 1)
            #expect(both[999_999_999] == nil)
            #expect(ProcSampler.startTime(pid: busy.pid) == busy.startTime)
            #expect(ProcSampler.groupExists(busy.pid))
            _ = await busy.stop(gracePeriod: .seconds(5))
            _ = await idle.stop(gracePeriod: .seconds(5))
            #expect(!ProcSampler.groupExists(busy.pid))
            #expect(ProcSampler.sample(processGroups: [busy.pid]).isEmpty)
            #expect(ProcSampler.startTime(pid: busy.pid) == nil)
        }
    }

    @Test func hostReadings() throws {
        let cpu = try #require(ProcSampler.hostCPUSeconds())
        #expect(cpu > 0)
        let memory = try #require(ProcSampler.hostMemory())
        #expect(memory.total > 0)
        #expect(memory.available > 0)
        #expect(memory.available <= memory.total)
    }

    @Test func statParsesOddCommandNames() throws {
        let line = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 123456 1000000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"
        let stat = try #require(ProcStat(Array(line.utf8)))
        #expect(stat.pid == 4242)
        #expect(stat.state == UInt8(ascii: "S"))
        #expect(stat.ppid == 1)
        #expect(stat.pgrp == 4242)
        #expect(stat.utime == 7)
        #expect(stat.stime == 3)
        #expect(stat.startTime == 123456)
        #expect(stat.rss == 250)
        #expect(ProcStat(Array("garbage".utf8)) == nil)
        #expect(ProcStat.read(pid: getpid())?.pid == getpid())
    }
}
