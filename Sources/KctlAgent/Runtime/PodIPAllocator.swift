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
    private struct State {
        var owners: [UInt32: String] = [:]  // host part (1...65534) -> pod uid
        /// Where the search for a free address starts: after the last one handed out.
        var cursor: UInt32 = 1
    }
    private let state = Locked(State())

    private let inUse: @Sendable () -> Set<UInt32>

    /// - Parameter listening: the addresses (host part) taken on this host; by default read
    ///   from /proc/net/tcp (sockets listening on an address of the range).
    public init(prefix: (UInt8, UInt8) = (127, 1), listening: (@Sendable () -> Set<UInt32>)? = nil) {
        self.prefix = prefix
        self.inUse = listening ?? { Self.listeningHosts(prefix: prefix) }
    }

    /// Host parts of the range's addresses with a listening TCP socket on this host.
    static func listeningHosts(prefix: (UInt8, UInt8)) -> Set<UInt32> {
        let base = UInt32(prefix.0) << 24 | UInt32(prefix.1) << 16
        return Set(LoopbackListeners.addresses().filter { $0 & 0xFFFF_0000 == base }.map { $0 & 0xFFFF })
    }

    /// The range in CIDR form, for logs and docs.
    public var range: String { "\(prefix.0).\(prefix.1).0.0/16" }

    /// Gives `uid` the address it already had (when in range and free), or a free one; nil only
    /// when all 65,534 are taken.
    public func allocate(for uid: String, preferring previous: String? = nil) -> String? {
        // Addresses something on this host already listens on (another kctld's pods, a leftover
        // process) are skipped, so that two daemons on one machine do not collide. Read from
        // /proc outside the lock.
        let busy = inUse()
        return state.withLock { state -> String? in
            if let existing = state.owners.first(where: { $0.value == uid })?.key { return format(existing) }
            if let previous, let host = hostPart(previous), state.owners[host] == nil || state.owners[host] == uid {
                state.owners[host] = uid
                return previous
            }
            var candidate = state.cursor
            for _ in 0..<65_534 {
                if candidate == 0 || candidate >= 65_535 { candidate = 1 }
                // Skip .0 and .255 in the last octet: some tools treat them as network/broadcast.
                let last = candidate & 0xFF
                if last != 0, last != 255, state.owners[candidate] == nil, !busy.contains(candidate) {
                    state.owners[candidate] = uid
                    state.cursor = candidate + 1
                    return format(candidate)
                }
                candidate += 1
            }
            return nil
        }
    }

    /// Returns `uid`'s address to the pool.
    public func release(uid: String) {
        state.withLock { state in
            for (host, owner) in state.owners where owner == uid { state.owners[host] = nil }
        }
    }

    /// The pod uid holding `ip`, if any.
    public func owner(of ip: String) -> String? {
        guard let host = hostPart(ip) else { return nil }
        return state.withLock { $0.owners[host] }
    }

    public var allocatedCount: Int { state.withLock { $0.owners.count } }

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
