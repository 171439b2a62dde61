import CKctlSpawn
import Glibc

/// Small whole-file reads without Foundation, for /proc where sizes are unknown until read.
enum ProcFile {
    static func read(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return nil }
            if count == 0 { break }
            result += buffer.prefix(count)
        }
        return result
    }

    /// The numeric entries of a directory such as /proc or /proc/self/task.
    static func pids(in path: String) -> [Int32] {
        var capacity = 1024
        while true {
            var pids = [Int32](repeating: 0, count: capacity)
            let count = pids.withUnsafeMutableBufferPointer { kctl_list_pids(path, $0.baseAddress, Int32(capacity)) }
            if count < 0 { return [] }
            if Int(count) <= capacity { return Array(pids.prefix(Int(count))) }
            capacity = Int(count) + 256
        }
    }
}
