import CKctlSpawn
import Foundation
import Glibc

/// The parent's ends of a child's stdin, stdout and stderr (`ProcessOutput.pipes`), for a caller
/// that streams them, as `kubectl exec` does. Reads and writes block, so each runs on a thread of
/// its own, never on the cooperative pool. Every end is closed once, by `close...` or `deinit`.
public final class ProcessPipes: @unchecked Sendable {  // the fds that change are guarded by `lock`
    private let lock = NSLock()
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    /// Stdin writes, in order, off the caller's thread.
    private let writer = DispatchQueue(label: "kctl.process-pipes.stdin")

    /// A pseudo-terminal's master (`ProcessOutput.terminal`), kept for resizes; -1 for pipes.
    private let terminalFD: Int32

    init(stdin: Int32, stdout: Int32, stderr: Int32) {
        stdinFD = stdin
        stdoutFD = stdout
        stderrFD = stderr
        terminalFD = -1
    }

    /// A terminal's master: written as stdin, read as stdout (which carries stderr too).
    init(terminal master: Int32) {
        stdinFD = dup(master)
        stdoutFD = master
        stderrFD = -1
        terminalFD = dup(master)
    }

    deinit {
        for fd in [stdinFD, stdoutFD, stderrFD, terminalFD] where fd >= 0 { Glibc.close(fd) }
    }

    /// Whether the child's stdio is a terminal.
    public var isTerminal: Bool { terminalFD >= 0 }

    /// Sets the terminal's size (a terminal resize from `kubectl exec -t`); nothing for pipes.
    public func resize(columns: UInt16, rows: UInt16) {
        if terminalFD >= 0 { _ = kctl_set_window_size(terminalFD, rows, columns) }
    }

    /// What the child writes to stdout, until it closes it (usually when it exits).
    public func stdout() -> AsyncStream<[UInt8]> { stream(taking: \.stdoutFD, name: "stdout") }

    /// What the child writes to stderr, until it closes it.
    public func stderr() -> AsyncStream<[UInt8]> { stream(taking: \.stderrFD, name: "stderr") }

    /// Queues bytes for the child's stdin. Bytes the child never reads are dropped when it exits
    /// (the write fails with EPIPE, which is not a signal here: Swift runtimes ignore SIGPIPE).
    public func write(_ bytes: [UInt8]) {
        writer.async { [self] in
            let fd = lock.withLock { stdinFD }
            guard fd >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    /// Ends the child's stdin (after the writes queued before). A terminal has no end of input of
    /// its own: it gets the EOF character (^D) instead, as typed at a shell.
    public func closeStdin() {
        writer.async { [self] in
            let fd = lock.withLock { () -> Int32 in
                defer { stdinFD = -1 }
                return stdinFD
            }
            guard fd >= 0 else { return }
            if isTerminal {
                var eof: UInt8 = 4
                _ = Glibc.write(fd, &eof, 1)
            }
            Glibc.close(fd)
        }
    }

    /// Reads one end on a thread of its own until EOF, then closes it.
    private func stream(taking end: ReferenceWritableKeyPath<ProcessPipes, Int32>, name: String) -> AsyncStream<[UInt8]> {
        let fd = lock.withLock { () -> Int32 in
            defer { self[keyPath: end] = -1 }
            return self[keyPath: end]
        }
        return AsyncStream { continuation in
            guard fd >= 0 else {
                continuation.finish()
                return
            }
            let thread = Thread {
                var buffer = [UInt8](repeating: 0, count: 32 * 1024)
                while true {
                    let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    continuation.yield(Array(buffer[0..<count]))
                }
                Glibc.close(fd)
                continuation.finish()
            }
            thread.name = "kctl-pipe-\(name)"
            thread.start()
        }
    }
}
