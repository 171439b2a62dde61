import NIOHTTP1
import Testing

@testable import KctlProxy

@Suite struct ProxyHeadersTests {
    func request(_ headers: [(String, String)], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .GET, uri: "/", headers: HTTPHeaders(headers))
    }

    @Test func backendRequestsDropHopByHopHeadersAndGainForwardedOnes() {
        let out = ProxyHeaders.backendRequest(
            request(
                [
                    ("Host", "shop.local"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1"), ("Keep-Alive", "300"),
                    ("TE", "trailers"), ("X-Forwarded-For", "10.0.0.1, 10.0.0.2"), ("X-Forwarded-For", "10.0.0.3"),
                    ("X-Forwarded-Proto", "https"), ("Accept", "*/*"), ("Transfer-Encoding", "chunked"),
                ], version: .http1_0),
            clientAddress: "127.0.0.1")
        #expect(out.version == .http1_1)
        #expect(out.headers["connection"].isEmpty)
        #expect(out.headers["x-hop"].isEmpty)
        #expect(out.headers["keep-alive"].isEmpty)
        #expect(out.headers["te"].isEmpty)
        #expect(out.headers["x-forwarded-for"] == ["10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1"])
        #expect(out.headers["x-forwarded-proto"] == ["http"])
        #expect(out.headers["x-forwarded-host"] == ["shop.local"])
        #expect(out.headers["host"] == ["shop.local"])
        #expect(out.headers["accept"] == ["*/*"])
        // The body framing stays for NIO's encoder.
        #expect(out.headers["transfer-encoding"] == ["chunked"])
    }

    @Test func upgradeRequestsKeepTheirUpgradeHeaders() {
        let head = request([("Host", "chat"), ("Connection", "keep-alive, Upgrade"), ("Upgrade", "websocket")])
        #expect(ProxyHeaders.isUpgrade(head))
        let out = ProxyHeaders.backendRequest(head, clientAddress: nil)
        #expect(out.headers["connection"] == ["Upgrade"])
        #expect(out.headers["upgrade"] == ["websocket"])
        #expect(!ProxyHeaders.isUpgrade(request([("Upgrade", "websocket")])))
        #expect(!ProxyHeaders.isUpgrade(request([("Connection", "upgrade")])))
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
