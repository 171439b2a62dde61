import Glibc

/// CPU and memory of a process group, summed over its live members.
public struct ResourceSample: Sendable, Hashable {
    /// utime + stime of the members alive now (time of members already gone is not counted).
    public var cpuSeconds: Double
    /// Resident set size.
    public var memoryBytes: UInt64
    public var processes: Int

    public init(cpuSeconds: Double, memoryBytes: UInt64, processes: Int) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
    }
}

/// /proc readings for pods' resource usage and for adoption records. No cgroups: a pod's usage is
/// what its process groups use.
public enum ProcSampler {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// One pass over /proc for many groups. Groups with no live member are absent.
    public static func sample(processGroups: Set<Int32>) -> [Int32: ResourceSample] {
        guard !processGroups.isEmpty else { return [:] }
        var result: [Int32: ResourceSample] = [:]
        for pid in ProcFile.pids(in: "/proc") {
            guard let stat = ProcStat.read(pid: pid), processGroups.contains(stat.pgrp), !stat.isZombie else { continue }
            var sample = result[stat.pgrp] ?? ResourceSample(cpuSeconds: 0, memoryBytes: 0, processes: 0)
            sample.cpuSeconds += Double(stat.utime + stat.stime) / ticksPerSecond
            sample.memoryBytes += UInt64(max(0, stat.rss)) * pageSize
            sample.processes += 1
            result[stat.pgrp] = sample
        }
        return result
    }

    /// /proc/<pid>/stat field 22 (clock ticks since boot); nil when there is no such process.
    public static func startTime(pid: Int32) -> UInt64? {
        ProcStat.read(pid: pid)?.startTime
    }

    /// Whether the group has a live member. Zombies do not count: an exited member whose parent
    /// (PID 1, say) has not reaped it yet runs nothing.
    public static func groupExists(_ pgid: Int32) -> Bool {
        guard pgid > 0 else { return false }
        if kill(-pgid, 0) != 0, errno == ESRCH { return false }
        // The leader is usually there and alive: no need to scan.
        if let leader = ProcStat.read(pid: pgid), leader.pgrp == pgid, !leader.isZombie { return true }
        for pid in ProcFile.pids(in: "/proc") {
            if let stat = ProcStat.read(pid: pid), stat.pgrp == pgid, !stat.isZombie { return true }
        }
        return false
    }

    /// Busy CPU time of the host since boot, over all CPUs (user, nice, system, irq, softirq and
    /// steal; not idle or iowait), from /proc/stat.
    public static func hostCPUSeconds() -> Double? {
        guard let bytes = ProcFile.read("/proc/stat", limit: 4096),
            let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first,
            line.hasPrefix("cpu ")
        else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        guard values.count >= 8 else { return nil }
        let busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7]
        return Double(busy) / ticksPerSecond
    }

    /// MemTotal and MemAvailable from /proc/meminfo, in bytes.
    public static func hostMemory() -> (total: UInt64, available: UInt64)? {
        guard let bytes = ProcFile.read("/proc/meminfo", limit: 1 << 16) else { return nil }
        var total: UInt64?
        var available: UInt64?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let kibibytes = UInt64(parts[1]) else { continue }
            if parts[0] == "MemTotal:" { total = kibibytes * 1024 }
            if parts[0] == "MemAvailable:" { available = kibibytes * 1024 }
        }
        guard let total, let available else { return nil }
        return (total, available)
    }

    /// Our children that are zombies, found through /proc/self/task/*/children (or a full scan
    /// where the kernel lacks it).
    static func zombieChildren() -> [ProcStat] {
        let me = getpid()
        var candidates: [Int32] = []
        var listed = false
        for task in ProcFile.pids(in: "/proc/self/task") {
            guard let bytes = ProcFile.read("/proc/self/task/\(task)/children") else { continue }
            listed = true
            candidates += String(decoding: bytes, as: UTF8.self).split(separator: " ").compactMap { Int32($0) }
        }
        if !listed { candidates = ProcFile.pids(in: "/proc") }
        return candidates.compactMap { pid in
            guard let stat = ProcStat.read(pid: pid), stat.ppid == me, stat.isZombie else { return nil }
            return stat
        }
    }
}
