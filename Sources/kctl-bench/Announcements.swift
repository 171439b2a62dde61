import Foundation
import Glibc

/// Nanoseconds on CLOCK_MONOTONIC: the one clock every timestamp of the agent benchmark is taken
/// on (the kill, the datagram's arrival, the watch event's arrival), from any thread.
enum Monotonic {
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    static func milliseconds(from start: UInt64, to end: UInt64) -> Double {
        Double(Int64(bitPattern: end &- start)) / 1e6
    }
}

/// A moment something was first seen, with the pid it named (0 when none).
struct Stamp: Sendable {
    var at: UInt64
    var pid: Int32
}

/// First-seen times by key, and waiters for keys not seen yet. Writers are any thread (the UDP
/// receiver, a watch consumer); a waiter's timing never depends on when it wakes up, because the
/// time is taken by the writer.
final class Stamps: @unchecked Sendable {  // all state behind `lock`
    private let lock = NSLock()
    private var stamps: [String: Stamp] = [:]
    private var waiters: [String: [(id: Int, continuation: CheckedContinuation<Stamp?, Never>)]] = [:]
    private var nextWaiter = 0

    /// Keeps the first stamp of `key`; later ones are ignored.
    func record(_ key: String, _ stamp: Stamp) {
        lock.lock()
        guard stamps[key] == nil else {
            lock.unlock()
            return
        }
        stamps[key] = stamp
        let woken = waiters.removeValue(forKey: key) ?? []
        lock.unlock()
        for waiter in woken { waiter.continuation.resume(returning: stamp) }
    }

    func stamp(_ key: String) -> Stamp? {
        lock.lock()
        defer { lock.unlock() }
        return stamps[key]
    }

    /// The stamp of `key`, waiting for it up to `timeout`; nil when it did not come.
    func wait(_ key: String, timeout: Duration) async -> Stamp? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Stamp?, Never>) in
            lock.lock()
            if let stamp = stamps[key] {
                lock.unlock()
                continuation.resume(returning: stamp)
                return
            }
            let id = nextWaiter
            nextWaiter += 1
            waiters[key, default: []].append((id, continuation))
            lock.unlock()
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(key, id: id)
            }
        }
    }

    private func expire(_ key: String, id: Int) {
        lock.lock()
        let index = waiters[key]?.firstIndex { $0.id == id }
        let waiter = index.map { waiters[key]!.remove(at: $0) }
        lock.unlock()
        waiter?.continuation.resume(returning: nil)
    }
}

/// Receives the datagrams the benchmark's program sends when it starts, `"PID NAME"` (bash:
/// `echo "$$ NAME" > /dev/udp/127.0.0.1/PORT; exec sleep infinity`), on a loopback port. Each is
/// stamped on arrival, on a thread of its own, as `NAME#N` for the Nth start of NAME: the start
/// of a replacement is `NAME#2`. kctld and supervisord run the same program, so both are timed
/// by the same receiver in the same way.
final class Announcements: @unchecked Sendable {  // `fd` and `port` immutable; `stopped` behind `lock`
    let port: UInt16
    let stamps = Stamps()
    private let fd: Int32
    private let lock = NSLock()
    private var stopped = false
    private var counts: [String: Int] = [:]
    private let onPid: @Sendable (Int32) -> Void

    /// Binds 127.0.0.1 on a free port and starts receiving. `onPid` sees every announced pid
    /// (to clean them up whatever happens).
    init(onPid: @escaping @Sendable (Int32) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("udp socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw BenchError("udp bind: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // Wakes the receiving thread now and then, so that `stop()` ends it.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer: Int32 = 1 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        self.port = UInt16(bigEndian: address.sin_port)
        self.onPid = onPid
        let thread = Thread { [self] in self.receive() }
        thread.name = "kctl-bench-udp"
        thread.start()
    }

    /// How many times `name` has announced itself.
    func count(_ name: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[name] ?? 0
    }

    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            let at = Monotonic.now()
            lock.lock()
            let done = stopped
            lock.unlock()
            if done { break }
            guard received > 0 else { continue }  // the timeout, or EINTR
            let text = String(decoding: buffer.prefix(received), as: UTF8.self)
            let parts = text.split(whereSeparator: \.isWhitespace)
            guard parts.count == 2, let pid = Int32(parts[0]) else { continue }
            let name = String(parts[1])
            onPid(pid)
            lock.lock()
            counts[name, default: 0] += 1
            let n = counts[name]!
            lock.unlock()
            stamps.record("\(name)#\(n)", Stamp(at: at, pid: pid))
        }
        close(fd)
    }

    /// The program both supervisors run: announce, then become an idle `sleep`. `dollars` is how
    /// the shell's `$$` must be written for the supervisor's own expansion (`$$$$` in a Pod,
    /// where `$$` means a literal `$`).
    func program(name: String, dollars: String = "$$") -> String {
        "echo \"\(dollars) \(name)\" > /dev/udp/127.0.0.1/\(port); exec sleep infinity"
    }
}
