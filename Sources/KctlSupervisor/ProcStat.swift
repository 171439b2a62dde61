import Glibc

/// The fields of /proc/<pid>/stat that the supervisor reads.
struct ProcStat: Sendable, Hashable {
    var pid: Int32
    /// R, S, D, Z, T, ...
    var state: UInt8
    var ppid: Int32
    var pgrp: Int32
    /// Clock ticks.
    var utime: UInt64
    var stime: UInt64
    /// Clock ticks since boot.
    var startTime: UInt64
    /// Pages.
    var rss: Int64

    var isZombie: Bool { state == UInt8(ascii: "Z") || state == UInt8(ascii: "X") }

    /// Parses the text of /proc/<pid>/stat. The command name (field 2) may hold spaces and
    /// parentheses, so fields are counted from the last ')'.
    init?(_ bytes: some Collection<UInt8>) {
        let text = Array(bytes)
        guard let open = text.firstIndex(of: UInt8(ascii: "(")),
            let close = text.lastIndex(of: UInt8(ascii: ")")),
            let pid = Int32(String(decoding: text[..<open], as: UTF8.self).trimmingSpaces)
        else { return nil }
        let fields = text[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state); field n is fields[n - 3].
        guard fields.count >= 22, let state = fields[0].first else { return nil }
        func number<T: FixedWidthInteger>(_ field: Int) -> T? {
            T(String(decoding: fields[field - 3], as: UTF8.self).trimmingSpaces)
        }
        guard let ppid: Int32 = number(4), let pgrp: Int32 = number(5), let utime: UInt64 = number(14),
            let stime: UInt64 = number(15), let startTime: UInt64 = number(22), let rss: Int64 = number(24)
        else { return nil }
        self.pid = pid
        self.state = state
        self.ppid = ppid
        self.pgrp = pgrp
        self.utime = utime
        self.stime = stime
        self.startTime = startTime
        self.rss = rss
    }

    static func read(pid: Int32) -> ProcStat? {
        ProcFile.read("/proc/\(pid)/stat", limit: 4096).flatMap { ProcStat($0) }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
