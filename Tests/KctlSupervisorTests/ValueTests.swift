import Glibc
import Testing

@testable import KctlSupervisor

@Suite struct ValueTests {
    @Test func exitStatusCodesAndNames() {
        #expect(ExitStatus.exited(0).exitCode == 0)
        #expect(ExitStatus.signaled(SIGTERM).exitCode == 143)
        #expect(ExitStatus.signaled(SIGTERM).signalName == "SIGTERM")
        #expect(ExitStatus.signaled(SIGSEGV).signalName == "SIGSEGV")
        #expect(ExitStatus.exited(1).signalName == nil)
        #expect(ExitStatus.name(ofSignal: __libc_current_sigrtmin() + 2) == "SIGRTMIN+2")
        #expect(ExitStatus.name(ofSignal: 1000) == nil)
    }

    @Test func pathCandidates() {
        #expect(SpawnJob.candidates(for: "sh", path: "/usr/bin::/bin/") == ["/usr/bin/sh", "/bin/sh"])
        #expect(SpawnJob.candidates(for: "./x", path: "/usr/bin") == ["./x"])
        #expect(SpawnJob.candidates(for: "", path: "/usr/bin").isEmpty)
        #expect(SpawnJob.candidates(for: "sh", path: "").isEmpty)
    }
}
