import Foundation
import KctlModel

/// Hands every pod its own loopback address, so that replicas on one host can all listen on the
/// same container port, as pods do on their own network namespaces. Linux routes all of
/// 127.0.0.0/8 to the loopback interface, so any address in the range can be bound without setup.
///
/// A pod keeps the address recorded in its `status.podIP` across daemon restarts (`reserve`), so
/// endpoints stay valid; a new pod gets the lowest free address.
public final class PodIPAllocator: Sendable {
    /// The first two octets of the range (`127.1.0.0/16` by default).
    public let prefix: (UInt8, UInt8)
    private let owners = Locked([UInt32: String]())  // host part (1...65534) -> pod uid
    private let cursor = Locked(UInt32(1))

    private let inUse: @Sendable () -> Set<UInt32>

    /// - Parameter listening: the addresses (host part) taken on this host; by default read
    ///   from /proc/net/tcp (sockets listening on an address of the range).
    public init(prefix: (UInt8, UInt8) = (127, 1), listening: (@Sendable () -> Set<UInt32>)? = nil) {
        self.prefix = prefix
        self.inUse = listening ?? { Self.listeningHosts(prefix: prefix) }
    }

    /// Host parts of the range's addresses with a listening TCP socket, from /proc/net/tcp
    /// (`local_address` is the IPv4 address in hex, least significant byte first; state 0A is LISTEN).
    static func listeningHosts(prefix: (UInt8, UInt8)) -> Set<UInt32> {
        guard let data = FileManager.default.contents(atPath: "/proc/net/tcp") else { return [] }
        var hosts = Set<UInt32>()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard let word = UInt32(local.first ?? "", radix: 16) else { continue }
            let a = UInt8(word & 0xFF), b = UInt8((word >> 8) & 0xFF)
            guard a == prefix.0, b == prefix.1 else { continue }
            hosts.insert((((word >> 16) & 0xFF) << 8) | ((word >> 24) & 0xFF))
        }
        return hosts
    }

    /// The range in CIDR form, for logs and docs.
    public var range: String { "\(prefix.0).\(prefix.1).0.0/16" }

    /// Gives `uid` the address it already had (when in range and free), or a free one; nil only
    /// when all 65,534 are taken.
    public func allocate(for uid: String, preferring previous: String? = nil) -> String? {
        owners.withLock { owners -> String? in
            if let existing = owners.first(where: { $0.value == uid })?.key { return format(existing) }
            if let previous, let host = hostPart(previous), owners[host] == nil || owners[host] == uid {
                owners[host] = uid
                return previous
            }
            // Addresses something on this host already listens on (another kctld's pods, a
            // leftover process) are skipped, so that two daemons on one machine do not collide.
            let busy = inUse()
            var candidate = cursor.withLock { $0 }
            for _ in 0..<65_534 {
                if candidate == 0 || candidate >= 65_535 { candidate = 1 }
                // Skip .0 and .255 in the last octet: some tools treat them as network/broadcast.
                let last = candidate & 0xFF
                if last != 0, last != 255, owners[candidate] == nil, !busy.contains(candidate) {
                    owners[candidate] = uid
                    let next = candidate + 1
                    cursor.withLock { $0 = next }
                    return format(candidate)
                }
                candidate += 1
            }
            return nil
        }
    }

    /// Returns `uid`'s address to the pool.
    public func release(uid: String) {
        owners.withLock { owners in
            for (host, owner) in owners where owner == uid { owners[host] = nil }
        }
    }

    /// The pod uid holding `ip`, if any.
    public func owner(of ip: String) -> String? {
        guard let host = hostPart(ip) else { return nil }
        return owners.withLock { $0[host] }
    }

    public var allocatedCount: Int { owners.withLock { $0.count } }

    private func format(_ host: UInt32) -> String {
        "\(prefix.0).\(prefix.1).\(host >> 8).\(host & 0xFF)"
    }

    private func hostPart(_ ip: String) -> UInt32? {
        let parts = ip.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts[0] == UInt32(prefix.0), parts[1] == UInt32(prefix.1), parts[2] < 256,
            parts[3] < 256
        else { return nil }
        let host = parts[2] << 8 | parts[3]
        return host == 0 || host >= 65_535 ? nil : host
    }
}
