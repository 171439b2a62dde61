import Foundation

/// Which loopback addresses something on this host already listens on (from /proc/net/tcp).
/// Pod IPs and Service cluster IPs are handed out from 127.x ranges; skipping addresses in use
/// keeps two kctld on one machine (or a leftover process) from colliding with each other.
public enum LoopbackListeners {
    /// IPv4 addresses with a listening TCP socket, as numbers (127.2.0.1 = 0x7F020001); empty
    /// where /proc is not there. `local_address` is printed as the address's bytes read as a
    /// little-endian number; state 0A is LISTEN.
    public static func addresses() -> Set<UInt32> {
        guard let data = readWhole("/proc/net/tcp") else { return [] }
        var addresses = Set<UInt32>()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A" else { continue }
            guard let word = fields[1].split(separator: ":").first.flatMap({ UInt32($0, radix: 16) }) else { continue }
            addresses.insert(word.byteSwapped)
        }
        return addresses
    }

    /// Reads a /proc file to its end: they report a size of 0 and hand out a page per read, so
    /// one sized read (what `FileManager.contents(atPath:)` may do) can miss most of it.
    static func readWhole(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }
}
