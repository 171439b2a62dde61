import Foundation
import Logging
import KctlTestSupport
import Testing

@testable import KctlSupervisor

/// Swift Testing has an `ExitStatus` of its own (for exit tests); this module means ours.
typealias ExitStatus = KctlSupervisor.ExitStatus

let testLogger = Logger(label: "kctl.supervisor.tests")

/// Runs `body` with a fresh supervisor and shuts it down afterwards, whatever happens.
func withSupervisor<T>(
    becomeSubreaper: Bool = false, _ body: (ProcessSupervisor) async throws -> T
) async throws -> T {
    let supervisor = ProcessSupervisor(logger: testLogger, becomeSubreaper: becomeSubreaper)
    do {
        let result = try await body(supervisor)
        await supervisor.shutdown()
        return result
    } catch {
        await supervisor.shutdown()
        throw error
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    if (try? await pollUntil(within: timeout, every: .milliseconds(5), condition)) == true { return true }
    return condition()
}

/// A new empty directory, removed by the caller with `removeTemporaryDirectory`.
func makeTemporaryDirectory() -> String {
    var template = Array((NSTemporaryDirectory() + "kctl-supervisor-XXXXXX").utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    return path
}

func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func readText(_ path: String) -> String {
    (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
}

/// Zombie children of this test process that belong to one of `groups`.
func zombieChildren(inGroups groups: Set<Int32>) -> [Int32] {
    let me = getpid()
    return ProcFile.pids(in: "/proc").filter { pid in
        guard let stat = ProcStat.read(pid: pid) else { return false }
        return stat.ppid == me && stat.isZombie && groups.contains(stat.pgrp)
    }
}

/// A process or its group is gone for good: no live member (a zombie left to PID 1 counts as gone).
func isAlive(_ pid: Int32) -> Bool {
    guard let stat = ProcStat.read(pid: pid) else { return false }
    return !stat.isZombie
}
