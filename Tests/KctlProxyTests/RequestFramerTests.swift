import NIOCore
import NIOHTTP1
import Testing

@testable import KctlProxy

@Suite struct RequestFramerTests {
    /// What the framer made of some bytes: heads, body bytes joined per request, ends, bytes
    /// after an upgrade, the error.
    struct Read {
        var heads: [RequestFramer.Head] = []
        var bodies: [String] = []
        var ends = 0
        var upgraded = ""
        var error: FramingError?
    }

    /// Feeds `text` in pieces of `split` bytes (all at once when nil).
    func read(_ text: String, split: Int? = nil) -> Read {
        var framer = RequestFramer()
        var parts = CircularBuffer<RequestFramer.Part>()
        let bytes = Array(text.utf8)
        var start = 0
        repeat {
            let end = min(bytes.count, start + (split ?? bytes.count))
            var buffer = ByteBuffer(bytes: bytes[start..<end])
            framer.feed(&buffer, into: &parts)
            start = end
        } while start < bytes.count
        var read = Read()
        for part in parts {
            switch part {
            case .head(let head):
                read.heads.append(head)
                read.bodies.append("")
            case .body(let buffer): read.bodies[read.bodies.count - 1] += String(buffer: buffer)
            case .end: read.ends += 1
            case .upgraded(let buffer): read.upgraded += String(buffer: buffer)
            case .invalid(let error): read.error = error
            }
        }
        return read
    }

    static let pipelined =
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
        + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\n"
        + "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        + "3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n"
        + "GET /d HTTP/1.0\r\n\r\n"

    @Test(arguments: [nil, 1, 7])
    func pipelinedRequestsAreFramedWithTheirBodiesAsTheyCame(split: Int?) {
        let read = read(Self.pipelined, split: split)
        #expect(read.error == nil)
        #expect(read.heads.map(\.target) == ["/a", "/b", "/c", "/d"])
        #expect(read.heads.map(\.method) == [.GET, .POST, .PUT, .GET])
        #expect(read.ends == 4)
        // A chunked body goes on with its chunk framing, extensions and trailers.
        #expect(read.bodies == ["", "hello", "3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n", ""])
        #expect(read.heads[1].contentLength == 5)
        #expect(read.heads[2].chunked)
        #expect(read.heads.map(\.host) == ["x", "x", "x", nil])
        // The empty line after the POST body was skipped, not read as a request.
        #expect(read.heads[2].method == .PUT)
    }

    @Test func keepAliveFollowsTheVersionAndConnection() {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
            ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
        ]
        for (text, keepAlive) in cases {
            #expect(read(text).heads.first?.keepAlive == keepAlive, "\(text.debugDescription)")
        }
        let expecting = read("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
        #expect(expecting.heads.first?.expectsContinue == true)
        #expect(expecting.ends == 0, "the body has not come")
    }

    @Test func bytesAfterAnUpgradeRequestAreNotFramed() {
        let read = read(
            "GET /chat HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}GET / HTTP/1.1",
            split: 9)
        #expect(read.error == nil)
        #expect(read.heads.count == 1 && read.ends == 1)
        #expect(read.heads[0].isUpgrade && read.heads[0].upgrade == ["websocket"])
        #expect(read.upgraded == "\u{81}\u{05}GET / HTTP/1.1")
    }

    @Test func whatTwoParsersCouldReadDifferentlyIsRefused() {
        let cases: [(String, String, HTTPResponseStatus)] = [
            ("GET / HTTP/1.1\nHost: x\n\n", "CRLF", .badRequest),
            ("GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n", "CRLF", .badRequest),
            ("GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "folds", .badRequest),
            ("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "not a token", .badRequest),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r2\r\n\r\n", "control byte", .badRequest),
            ("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\u{0}\r\n\r\n", "control byte", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", "does not end with chunked", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "twice", .badRequest),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "two different", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", "Content-Length", .badRequest),
            ("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\n", "Content-Length", .badRequest),
            ("GET / HTTP/1.1\r\n\r\n", "no Host", .badRequest),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "2 Host", .badRequest),
            ("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", "target", .badRequest),
            ("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", "target", .badRequest),
            ("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "method", .badRequest),
            ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/2.0", .httpVersionNotSupported),
            ("GET /\r\n\r\n", "request line", .badRequest),
            ("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", "CRLF", .badRequest),
            ("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", "longer", .badRequest),
            ("PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n", "not hex", .badRequest),
        ]
        for (text, says, status) in cases {
            for split in [nil, 3] {
                let error = read(text, split: split).error
                #expect(error?.description.contains(says) == true, "\(text.debugDescription): \(String(describing: error))")
                #expect(error?.status == status, "\(text.debugDescription)")
            }
        }
        let huge = "GET / HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 5000)
        let tooLarge = read(huge, split: 4096).error
        #expect(tooLarge?.description.contains("over") == true)
        #expect(tooLarge?.status == .requestHeaderFieldsTooLarge)
    }

    @Test func nothingIsReadAfterAnError() {
        let read = read("GET / HTTP/1.1\r\nHost: x\r\n\r\nBAD\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(read.heads.count == 1 && read.ends == 1)
        #expect(read.error != nil)
    }
}
