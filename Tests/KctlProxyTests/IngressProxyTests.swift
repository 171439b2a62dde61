import Foundation
import KctlModel
import KctlStore
import NIOCore
import Testing

@testable import KctlProxy

/// The ingress proxy against real sockets: HTTP backends on 127.77.x.y, the proxy on 127.0.0.1
/// at a port of its choosing.
@Suite struct IngressProxyTests {
    struct Setup {
        let store: any Store
        let proxy: IngressProxy
        let port: Int
        let a: HTTPTestBackend
        let b: HTTPTestBackend
        let block: String

        func get(_ uri: String, headers: [(String, String)] = []) async throws -> TestResponse {
            try await httpRequest(host: "127.0.0.1", port: port, .GET, uri, headers: headers)
        }
    }

    /// Services `a` and `b` (port 80 named `http`) with one ready backend each, `empty` with only a
    /// not-ready address, an Ingress routing `/a`, `/b`, `/empty` and `/missing` (no such
    /// Service), and another routing `/named` to b by port name.
    func withSetup(_ body: (Setup) async throws -> Void) async throws {
        try await withStore { store in
            let block = loopbackBlock(first: 77)
            let a = try await HTTPTestBackend.start(name: "a", host: "\(block).1")
            let b = try await HTTPTestBackend.start(name: "b", host: "\(block).2")
            for name in ["a", "b", "empty"] {
                try await put(store, service(name, ports: [("http", 80)]), as: .service)
            }
            try await put(store, endpoints("a", portName: "http", [([a.host], [], a.port)]), as: .endpoints)
            try await put(store, endpoints("b", portName: "http", [([b.host], [], b.port)]), as: .endpoints)
            try await put(store, endpoints("empty", portName: "http", [([], ["\(block).3"], 8080)]), as: .endpoints)
            let main = ingress(
                "main",
                rules: [
                    (nil, "/a", "Prefix", "a"), (nil, "/b", "Prefix", "b"), (nil, "/empty", "Prefix", "empty"),
                    (nil, "/missing", "Prefix", "nosuch"),
                ])
            let named = ingress(
                "named", created: "2025-01-02T00:00:00Z", port: ["name": "http"], rules: [(nil, "/named", "Exact", "b")]
            )
            try await put(store, main, as: .ingress)
            try await put(store, named, as: .ingress)

            let proxy = IngressProxy(store: store, logger: testLogger, host: "127.0.0.1", port: 0)
            try await whileRunning([{ try await proxy.run() }]) {
                let address = await proxy.boundAddress
                let port = try #require(address?.port)
                try await body(Setup(store: store, proxy: proxy, port: port, a: a, b: b, block: block))
            }
            await a.stop()
            await b.stop()
        }
    }

    @Test func routesByPathToTheServiceEndpoints() async throws {
        try await withSetup { setup in
            let a = try await setup.get("/a/items?page=2")
            #expect(a.status == .ok)
            #expect(a["backend"] == "a")
            #expect(a["uri"] == "/a/items?page=2")
            #expect(try await setup.get("/b")["backend"] == "b")
            #expect(try await setup.get("/named")["backend"] == "b")
            #expect(try await setup.get("/bee").status == .notFound)
        }
    }

    @Test func answers404And503WithAShortBody() async throws {
        try await withSetup { setup in
            let none = try await setup.get("/nothing/here?x=1")
            #expect(none.status == .notFound)
            #expect(none.body == "no ingress rule for test.local /nothing/here\n")
            let empty = try await setup.get("/empty")
            #expect(empty.status == .serviceUnavailable)
            #expect(empty.body == "no ready endpoints for service default/empty\n")
            let missing = try await setup.get("/missing")
            #expect(missing.status == .serviceUnavailable)
            #expect(missing.body == "no service default/nosuch\n")
        }
    }

    @Test func setsForwardedHeadersAndDropsHopByHopOnes() async throws {
        try await withSetup { setup in
            let response = try await setup.get(
                "/a",
                headers: [("X-Forwarded-For", "10.1.2.3"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1")])
            #expect(response["xff"] == "10.1.2.3, 127.0.0.1")
            #expect(response["xfp"] == "http")
            #expect(response["xfh"] == "test.local")
            #expect(response["host"] == "test.local")
            #expect(response["connection"] == "")
            #expect(!response.body.contains("X-Secret"))
        }
    }

    @Test func keepsClientAndBackendConnectionsAlive() async throws {
        try await withSetup { setup in
            let before = setup.a.connections
            let responses = try await withHTTPConnection(host: "127.0.0.1", port: setup.port) { connection in
                var responses: [TestResponse] = []
                for index in 0..<5 { responses.append(try await connection.send(.GET, "/a/\(index)")) }
                // A HEAD answer has no body, and the connection goes on after it.
                responses.append(try await connection.send(.HEAD, "/a/head"))
                responses.append(try await connection.send(.POST, "/a/post", bodySize: 1000))
                // So it does after the proxy's own answers, even one given before the body was read.
                responses.append(try await connection.send(.POST, "/nothing", bodySize: 200_000))
                responses.append(try await connection.send(.GET, "/b/last"))
                return responses
            }
            #expect(responses.map(\.status.code) == [200, 200, 200, 200, 200, 200, 200, 404, 200])
            #expect(responses[0..<5].map { $0["uri"] } == ["/a/0", "/a/1", "/a/2", "/a/3", "/a/4"])
            #expect(responses[5].bodyBytes == 0)
            #expect(responses[6]["bytes"] == "1000")
            #expect(responses[8]["backend"] == "b")
            // One client connection, one backend connection for all of a's requests.
            #expect(Set(responses[0..<5].map { $0["conn"] }).count == 1)
            #expect(responses[6]["conn"] == responses[0]["conn"])
            #expect(setup.a.connections == before + 1)
        }
    }

    @Test func answersPipelinedRequestsInOrder() async throws {
        try await withSetup { setup in
            let answers = try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                let request = { (path: String) in "GET \(path) HTTP/1.1\r\nHost: test.local\r\n\r\n" }
                try await connection.write(request("/a/1") + request("/nothing") + request("/b/2") + request("/a/3"))
                var answers: [String] = []
                for _ in 0..<4 {
                    let head = try #require(try await connection.readHead())
                    let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
                    let count = try #require(length)
                    let body = try #require(try await connection.read(count: count))
                    let text = String(decoding: body, as: UTF8.self)
                    answers.append(
                        text.split(separator: "\n").first { $0.hasPrefix("uri=") }.map(String.init) ?? text)
                }
                return answers
            }
            #expect(answers == ["uri=/a/1", "no ingress rule for test.local /nothing\n", "uri=/b/2", "uri=/a/3"])
        }
    }

    /// An HTTP/1.0 client cannot take chunks: it gets the data unwrapped, framed by the close.
    @Test func anHTTP10ClientGetsAChunkedBodyUnwrapped() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write("GET /a/large?bytes=100000 HTTP/1.0\r\nHost: test.local\r\n\r\n")
                let head = try #require(try await connection.readHead())
                #expect(head.hasPrefix("HTTP/1.0 200 OK\r\n"))
                #expect(!head.lowercased().contains("transfer-encoding"))
                #expect(head.lowercased().contains("connection: close"))
                #expect(head.contains("X-Backend: a"))
                let body = try #require(try await connection.read(count: 100_000))
                #expect(body.allSatisfy { $0 == UInt8(ascii: "x") })
                #expect(try await connection.closesWithoutData())
            }
        }
    }

    @Test func aRequestThatDoesNotParseGets400() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write("GET /a/x HTTP/1.1\r\nHost test.local\r\n\r\n")
                let head = try #require(try await connection.readHead())
                #expect(head.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
                #expect(try await connection.closesWithoutData())
            }
        }
    }

    /// A pipelined request that does not parse is answered in its turn, after the good one before it.
    @Test func aBadPipelinedRequestIsAnsweredAfterTheOneBeforeIt() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write(
                    "GET /a/first HTTP/1.1\r\nHost: test.local\r\n\r\n"
                        + "POST /a/x HTTP/1.1\r\nHost: test.local\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
                let first = try #require(try await connection.readHead())
                #expect(first.hasPrefix("HTTP/1.1 200 OK\r\n"))
                let length = try #require(
                    first.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                        .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) })
                let body = try #require(try await connection.read(count: length))
                #expect(String(decoding: body, as: UTF8.self).contains("uri=/a/first"))
                let second = try #require(try await connection.readHead())
                #expect(second.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
                #expect(try await connection.closesWithoutData())
            }
        }
    }

    @Test func aConnectRequestGets405AndTheConnectionEnds() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write("CONNECT test.local:443 HTTP/1.1\r\nHost: test.local:443\r\n\r\n\u{16}\u{03}\u{01}")
                let head = try #require(try await connection.readHead())
                #expect(head.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
                #expect(head.lowercased().contains("connection: close"))
            }
        }
    }

    @Test func retriesOnAnotherEndpointWhenAConnectFails() async throws {
        try await withSetup { setup in
            // .9 has no listener; every request still lands on a.
            try await put(
                setup.store,
                endpoints("a", portName: "http", [(["\(setup.block).9", setup.a.host], [], setup.a.port)]),
                as: .endpoints)
            for index in 0..<6 {
                let response = try await setup.get("/a/\(index)")
                #expect(response.status == .ok)
                #expect(response["backend"] == "a")
            }
            // Nothing was sent on a refused connect, so a POST moves on too.
            let post = try await httpRequest(host: "127.0.0.1", port: setup.port, .POST, "/a/post", bodySize: 10)
            #expect(post["bytes"] == "10")
        }
    }

    @Test func answers502WhenTheBackendBreaksMidRequest() async throws {
        try await withSetup { setup in
            let broken = try await setup.get("/a/break")
            #expect(broken.status == .badGateway)
            #expect(broken.body.hasPrefix("backend \(setup.a.host):\(setup.a.port) of service default/a failed"))
        }
    }

    @Test func passesAWebSocketThrough() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write(
                    "GET /a/chat HTTP/1.1\r\nHost: test.local\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
                let head = try #require(try await connection.readHead())
                #expect(head.hasPrefix("HTTP/1.1 101"))
                #expect(head.lowercased().contains("upgrade: websocket"))
                #expect(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
                for message in ["hello", "through the ingress"] {
                    try await connection.write(Self.maskedTextFrame(message))
                    let header = try #require(try await connection.read(count: 2))
                    #expect(header[0] == 0x81)
                    let payload = try #require(try await connection.read(count: Int(header[1])))
                    #expect(String(decoding: payload, as: UTF8.self) == message)
                }
            }
        }
    }

    @Test func streamsLargeBodiesBothWays() async throws {
        try await withSetup { setup in
            let size = 16 * 1024 * 1024
            let upload = try await httpRequest(host: "127.0.0.1", port: setup.port, .PUT, "/a/upload", bodySize: size)
            #expect(upload.status == .ok)
            #expect(upload["bytes"] == String(size))
            let chunked = try await httpRequest(
                host: "127.0.0.1", port: setup.port, .POST, "/a/upload", bodySize: size / 4, chunked: true)
            #expect(chunked["bytes"] == String(size / 4))
            let download = try await setup.get("/a/large?bytes=\(size)")
            #expect(download.status == .ok)
            #expect(download.bodyBytes == size)
            #expect(download.headers["transfer-encoding"] == ["chunked"])
        }
    }

    @Test func appliesIngressChangesWithoutARestart() async throws {
        try await withSetup { setup in
            #expect(try await setup.get("/a")["backend"] == "a")
            try await put(setup.store, ingress("main", rules: [(nil, "/a", "Prefix", "b")]), as: .ingress)
            try await eventually("/a goes to b") { try await setup.get("/a")["backend"] == "b" }
            #expect(try await setup.get("/b").status == .notFound)
        }
    }

    /// A client-to-server WebSocket text frame (masked, as RFC 6455 requires of clients).
    static func maskedTextFrame(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 % 4] }
    }
}
