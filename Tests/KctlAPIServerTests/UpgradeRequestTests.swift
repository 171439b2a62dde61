import Foundation
import KctlTestSupport
import Testing

/// Requests that ask to upgrade to a protocol kctld does not speak (`curl --http2` asks for h2c,
/// SPDY clients for SPDY/3.1, a WebSocket without its handshake) are served as HTTP/1.1, as they
/// were before the server took WebSocket upgrades for `kubectl exec`.
@Suite struct UpgradeRequestTests {
    @Test func unknownUpgradesAreServedAsHTTP11() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let port = try #require(URL(string: d.url)?.port)
        for upgrade in ["h2c", "SPDY/3.1", "websocket", "foo, websocket"] {
            let answer = try await Self.exchange(
                port: port, "GET /version HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: \(upgrade)\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "Upgrade: \(upgrade) -> \(answer.prefix(200))")
            #expect(answer.contains("\"gitVersion\""), "Upgrade: \(upgrade)")
        }
    }

    /// Writes `request` on a new connection and reads until the server closes it (or 5 s pass),
    /// with blocking calls: on a thread of its own, not the cooperative pool's.
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await Task(executorPreference: BlockingExecutor()) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(port).bigEndian
            let connected = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw TestFailure("connect to 127.0.0.1:\(port) failed") }
            let bytes = Array(request.utf8)
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            var answer: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { break }
                answer += buffer[0..<count]
                // A single answer is complete once its body (Content-Length) is in.
                if !request.contains("close"), let text = String(bytes: answer, encoding: .utf8),
                    let split = text.range(of: "\r\n\r\n"),
                    let length = text[..<split.lowerBound].split(separator: "\r\n")
                        .first(where: { $0.lowercased().hasPrefix("content-length:") })
                        .flatMap({ Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }),
                    text.utf8.count - text.utf8.distance(from: text.startIndex, to: split.upperBound) >= length
                {
                    break
                }
            }
            return String(decoding: answer, as: UTF8.self)
        }.value
    }
}
