import NIOCore
import NIOHTTP1
import Testing

@testable import KctlProxy

@Suite struct ProxyHeadersTests {
    func request(_ headers: [(String, String)], version: HTTPVersion = .http1_1) throws -> RequestFramer.Head {
        let lines = headers.map { "\($0.0): \($0.1)\r\n" }.joined()
        return try RequestFramer.parseHead(
            ByteBuffer(string: "GET / HTTP/1.\(version.minor)\r\n\(lines)\r\n"))
    }

    /// A request head in bytes, read back: its request line and headers.
    func parsed(_ bytes: ByteBuffer) -> (line: String, headers: HTTPHeaders) {
        let text = String(buffer: bytes)
        #expect(text.hasSuffix("\r\n\r\n"))
        var lines = text.split(whereSeparator: \.isNewline)[...]
        let line = String(lines.popFirst() ?? "")
        var headers = HTTPHeaders()
        for header in lines {
            let colon = header.firstIndex(of: ":")!
            headers.add(name: String(header[..<colon]), value: String(header[header.index(colon, offsetBy: 2)...]))
        }
        return (line, headers)
    }

    @Test func backendRequestsDropHopByHopHeadersAndGainForwardedOnes() throws {
        let (line, headers) = parsed(ProxyHeaders.backendRequest(
            try request(
                [
                    ("Host", "shop.local"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "300"),
                    ("TE", "trailers"), ("X-Forwarded-For", "10.0.0.1, 10.0.0.2"), ("X-Forwarded-For", "10.0.0.3"),
                    ("X-Forwarded-Proto", "https"), ("Accept", "*/*"), ("Content-Length", "12"),
                ], version: .http1_0),
            clientAddress: "127.0.0.1"))
        #expect(line == "GET / HTTP/1.1")
        #expect(headers["connection"].isEmpty)
        #expect(headers["x-hop"].isEmpty)
        #expect(headers["keep-alive"].isEmpty)
        #expect(headers["te"].isEmpty)
        #expect(headers["x-forwarded-for"] == ["10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1"])
        #expect(headers["x-forwarded-proto"] == ["http"])
        #expect(headers["x-forwarded-host"] == ["shop.local"])
        #expect(headers["host"] == ["shop.local"])
        #expect(headers["accept"] == ["*/*"])
        // The body framing stays: the body goes on as it came.
        #expect(headers["content-length"] == ["12"])
    }

    @Test func upgradeRequestsKeepTheirUpgradeHeaders() throws {
        let head = try request([("Host", "chat"), ("Connection", "keep-alive, Upgrade"), ("Upgrade", "websocket")])
        #expect(head.isUpgrade)
        let out = parsed(ProxyHeaders.backendRequest(head, clientAddress: nil)).headers
        #expect(out["connection"] == ["Upgrade"])
        #expect(out["upgrade"] == ["websocket"])
        #expect(out["x-forwarded-for"].isEmpty)
        #expect(try !request([("Host", "chat"), ("Upgrade", "websocket")]).isUpgrade)
        #expect(try !request([("Host", "chat"), ("Connection", "upgrade")]).isUpgrade)
    }

    @Test func aRequestWithNothingToDropIsCopiedWhole() throws {
        let text = "POST /a?b=1 HTTP/1.1\r\nHost: shop\r\nContent-Length: 3\r\nX-Odd:  spaced  \r\n\r\n"
        let head = try RequestFramer.parseHead(ByteBuffer(string: text))
        #expect(!head.dropsHeaders)
        let out = String(buffer: ProxyHeaders.backendRequest(head, clientAddress: "127.0.0.9"))
        #expect(
            out == String(decoding: text.utf8.dropLast(2), as: UTF8.self)
                + "X-Forwarded-For: 127.0.0.9\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: shop\r\n\r\n")
    }

    @Test func clientResponsesSayWhetherTheConnectionStays() {
        let backend = HTTPResponseHead(
            version: .http1_1, status: .ok,
            headers: ["Connection": "close", "Keep-Alive": "timeout=5", "Content-Length": "3", "X-App": "1"])
        let kept = ProxyHeaders.clientResponse(backend, version: .http1_1, keepAlive: true)
        #expect(kept.headers["connection"].isEmpty)
        #expect(kept.headers["keep-alive"].isEmpty)
        #expect(kept.headers["content-length"] == ["3"])
        #expect(kept.headers["x-app"] == ["1"])
        #expect(
            ProxyHeaders.clientResponse(backend, version: .http1_1, keepAlive: false).headers["connection"] == ["close"]
        )
        let old = ProxyHeaders.clientResponse(backend, version: .http1_0, keepAlive: true)
        #expect(old.version == .http1_0)
        #expect(old.headers["connection"] == ["keep-alive"])
    }

    @Test func hopByHopNamesMatchInAnyCaseAndNothingElseDoes() {
        for name in ProxyHeaders.hopByHop {
            #expect(ProxyHeaders.isHopByHop(name))
            #expect(ProxyHeaders.isHopByHop(name.uppercased()))
            #expect(!ProxyHeaders.isHopByHop(name + "s"))
        }
        for name in ["Host", "Content-Length", "Transfer-Encoding", "X-Upgrade", "tE-", "Keep_Alive", "Connectio"] {
            #expect(!ProxyHeaders.isHopByHop(name), "\(name)")
        }
    }

    @Test func headersNamedByConnectionGoAndTheRestKeepTheirOrder() {
        var headers: HTTPHeaders = [
            "A": "1", "Connection": "close, X-Secret", "x-secret": "s", "B": "2", "TE": "trailers", "C": "3",
        ]
        ProxyHeaders.removeHopByHop(&headers)
        #expect(headers.map(\.name) == ["A", "B", "C"])
        var clean: HTTPHeaders = ["Host": "chat", "Content-Length": "0"]
        ProxyHeaders.removeHopByHop(&clean)
        #expect(clean.map(\.name) == ["Host", "Content-Length"])
    }
}
