import Glibc

/// Container log files: one file per container instance, written by the child itself (opened
/// `O_APPEND`), kept small by copy-truncate rotation so the child never has to reopen anything.
public enum LogFiles {
    /// If `path` is larger than `maxBytes`: shifts path.1 ... up to path.`keep`, copies `path` to
    /// path.1 and truncates it (with `keep` 0, only truncates). Lines the child writes between the
    /// copy and the truncation are lost, the known price of copy-truncate. Returns whether it
    /// rotated.
    @discardableResult
    public static func rotateIfNeeded(path: String, maxBytes: Int, keep: Int) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, Int(info.st_size) > maxBytes else { return false }
        if keep > 0 {
            unlink("\(path).\(keep)")
            if keep > 1 {
                for index in stride(from: keep - 1, through: 1, by: -1) {
                    rename("\(path).\(index)", "\(path).\(index + 1)")
                }
            }
            guard copy(from: path, to: "\(path).1") else { return false }
        }
        return truncate(path, 0) == 0
    }

    /// The last `lines` lines (all when nil) of [path.N ... path.1, path] read in that order (every
    /// rotated file there is), cut to at most `limitBytes` from the end.
    public static func tail(path: String, lines: Int?, limitBytes: Int?) -> [UInt8] {
        if lines == 0 || limitBytes == 0 { return [] }
        var files = [path]
        var index = 1
        while access("\(path).\(index)", F_OK) == 0 {
            files.insert("\(path).\(index)", at: 0)
            index += 1
        }
        // Read backwards, newest first, only as far as needed.
        var chunks: [[UInt8]] = []
        var total = 0
        var newlines = 0
        // Enough once the last `lines` lines are complete, or once `limitBytes` are read (the
        // answer is then their suffix, however long those lines are).
        func enough() -> Bool {
            if let lines, newlines > lines { return true }
            if let limitBytes, total >= limitBytes { return true }
            return false
        }
        reading: for file in files.reversed() {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0 else { continue }
            var end = Int(info.st_size)
            while end > 0 {
                let start = max(0, end - 65_536)
                var chunk = [UInt8](repeating: 0, count: end - start)
                let count = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
                guard count == end - start else { break }
                chunks.append(chunk)
                total += chunk.count
                newlines += chunk.reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
                end = start
                if enough() { break reading }
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        for chunk in chunks.reversed() { bytes += chunk }
        if let lines { bytes = lastLines(bytes, lines) }
        if let limitBytes, bytes.count > limitBytes { bytes = Array(bytes.suffix(limitBytes)) }
        return bytes
    }

    /// The last `count` lines of `bytes`; a final line without a newline counts as a line.
    static func lastLines(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var index = bytes.count - 1
        if index >= 0, bytes[index] == UInt8(ascii: "\n") { index -= 1 }
        var seen = 0
        while index >= 0 {
            if bytes[index] == UInt8(ascii: "\n") {
                seen += 1
                if seen == count { return Array(bytes[(index + 1)...]) }
            }
            index -= 1
        }
        return bytes
    }

    /// Bytes appended to `path` from `offset` on, as they arrive (polled, 20 ms after new data
    /// growing to 100 ms), until the consuming task is cancelled or `until()` returns true (checked
    /// each time no new data arrived; one last read follows so nothing written before is missed).
    /// A file that shrank below the offset was copy-truncated: reading restarts at 0. A file that
    /// does not exist yet is waited for.
    public static func follow(
        path: String, from offset: UInt64, until: @escaping @Sendable () -> Bool
    ) -> AsyncStream<[UInt8]> {
        let reader = FollowReader(path: path, offset: offset)
        return AsyncStream(unfolding: {
            await reader.next(until: until)
        })
    }

    private static func copy(from source: String, to destination: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count < 0 { return false }
            if count == 0 { return true }
            var written = 0
            while written < count {
                let n = buffer.withUnsafeBytes { write(output, $0.baseAddress! + written, count - written) }
                if n < 0, errno == EINTR { continue }
                if n <= 0 { return false }
                written += n
            }
        }
    }
}

/// The state of one `follow`: the open file and the offset. Only the stream's single consumer
/// calls `next`, one call at a time.
private final class FollowReader: @unchecked Sendable {
    let path: String
    var offset: UInt64
    var fd: Int32 = -1
    var inode: ino_t = 0
    var finished = false
    var interval = Duration.milliseconds(20)

    init(path: String, offset: UInt64) {
        self.path = path
        self.offset = offset
    }

    deinit { if fd >= 0 { close(fd) } }

    func next(until: @Sendable () -> Bool) async -> [UInt8]? {
        while !finished {
            if Task.isCancelled { return stop() }
            if let bytes = readNew() {
                interval = .milliseconds(20)
                return bytes
            }
            if until() {
                // One last read: data written just before `until` turned true.
                finished = true
                if let bytes = readNew() { return bytes }
                return stop()
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                return stop()
            }
            interval = min(interval * 2, .milliseconds(100))
        }
        return stop()
    }

    private func stop() -> [UInt8]? {
        finished = true
        if fd >= 0 {
            close(fd)
            fd = -1
        }
        return nil
    }

    /// New bytes (at most 64 KiB), or nil when there are none.
    private func readNew() -> [UInt8]? {
        var info = stat()
        if stat(path, &info) != 0 { return nil }
        if fd >= 0, info.st_ino != inode {
            // Replaced by a new file: read that one from the start.
            close(fd)
            fd = -1
            offset = 0
        }
        if fd < 0 {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            inode = info.st_ino
        }
        if UInt64(info.st_size) < offset { offset = 0 }  // copy-truncated
        guard UInt64(info.st_size) > offset else { return nil }
        let want = min(Int(UInt64(info.st_size) - offset), 65_536)
        var buffer = [UInt8](repeating: 0, count: want)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
        guard count > 0 else { return nil }
        offset += UInt64(count)
        return Array(buffer.prefix(count))
    }
}
