import NIOCore
import NIOHTTP1
import Testing

@testable import KctlProxy

/// The ingress' response framing on bytes alone: where heads, bodies and messages end, however
/// the bytes are split, and how a head is passed on or rewritten for the client.
@Suite struct ResponseFramerTests {
    /// What the framer made of a response: its heads, its body bytes joined, whether it ended,
    /// and what came after a `101`.
    struct Read {
        var heads: [ResponseFramer.Head] = []
        var body = ""
        var ended = false
        var leftover: String?

        var statuses: [Int] { heads.map(\.status) }
    }

    /// Feeds `text` in pieces of `split` bytes (all at once when nil), then the close when `close`.
    func read(
        _ text: String, method: HTTPMethod = .GET, unwrapChunks: Bool = false, split: Int? = nil, close: Bool = false
    ) throws -> Read {
        var framer = ResponseFramer()
        framer.expect(method: method, unwrapChunks: unwrapChunks)
        var parts: [ResponseFramer.Part] = []
        let bytes = Array(text.utf8)
        let size = split ?? max(bytes.count, 1)
        var start = 0
        while start < bytes.count {
            var buffer = ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)])
            try framer.feed(&buffer, into: &parts)
            start += size
        }
        if close { try framer.inputEnded(into: &parts) }
        var result = Read()
        for part in parts {
            #expect(!result.ended, "nothing after the end")
            switch part {
            case .head(let head): result.heads.append(head)
            case .body(let buffer): result.body += String(buffer: buffer)
            case .end: result.ended = true
            case .complete(let head, let whole):
                result.heads.append(head)
                #expect(String(buffer: whole).hasPrefix(String(buffer: head.bytes)))
                result.body += String(decoding: whole.readableBytesView.dropFirst(head.bytes.readableBytes), as: UTF8.self)
                result.ended = true
            case .switched(let head, let leftover):
                result.heads.append(head)
                result.leftover = String(buffer: leftover)
            }
        }
        return result
    }

    static let chunkedBody = "5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Checksum: 1\r\n\r\n"

    @Test(arguments: [nil, 1, 3, 17])
    func aLengthDelimitedResponseEndsAfterItsLength(split: Int?) throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n"
        let read = try read(head + "hello world", split: split)
        #expect(read.statuses == [200])
        #expect(String(buffer: read.heads[0].bytes) == head)
        #expect(read.heads[0].contentLength == 11)
        #expect(read.heads[0].keepAlive && !read.heads[0].hasHopByHop && !read.heads[0].endsWithClose)
        #expect(read.body == "hello world")
        #expect(read.ended)
    }

    @Test(arguments: [nil, 1, 2, 5])
    func chunksPassThroughAsTheyCameOrUnwrapped(split: Int?) throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + Self.chunkedBody
        let passed = try read(text, split: split)
        #expect(passed.heads.map(\.chunked) == [true])
        #expect(passed.body == Self.chunkedBody)
        #expect(passed.ended)
        let unwrapped = try read(text, unwrapChunks: true, split: split)
        #expect(unwrapped.body == "hello, world")
        #expect(unwrapped.ended)
    }

    @Test func answersWithoutABodyEndAtTheirHead() throws {
        let head = try read("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", method: .HEAD)
        #expect(head.ended && head.body.isEmpty)
        for status in ["204 No Content", "304 Not Modified"] {
            let read = try read("HTTP/1.1 \(status)\r\nContent-Length: 5\r\n\r\n")
            #expect(read.ended && read.body.isEmpty)
        }
        let empty = try read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(empty.ended && empty.body.isEmpty)
    }

    @Test func informationalHeadsComeBeforeTheFinalOne() throws {
        let read = try read("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", split: 4)
        #expect(read.statuses == [100, 201])
        #expect(read.heads[0].isInformational)
        #expect(read.body == "ok" && read.ended)
    }

    @Test func aSwitchHandsOverWhatFollowsIt() throws {
        let read = try read("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{1}frame")
        #expect(read.statuses == [101])
        #expect(read.leftover == "\u{1}frame")
        #expect(!read.ended)
    }

    @Test func aBodyWithoutLengthRunsUntilTheClose() throws {
        let open = try read("HTTP/1.0 200 OK\r\n\r\nall of it")
        #expect(!open.ended && open.body == "all of it")
        #expect(open.heads[0].endsWithClose && !open.heads[0].keepAlive)
        let closed = try read("HTTP/1.1 200 OK\r\n\r\nall of it", close: true)
        #expect(closed.ended && closed.body == "all of it")
        #expect(closed.heads[0].endsWithClose)
    }

    @Test func connectionHeadersDecideKeepAlive() throws {
        let close = try read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").heads[0]
        #expect(!close.keepAlive && close.hasHopByHop)
        let old = try read("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").heads[0]
        #expect(old.keepAlive && old.version == .http1_0)
        let hop = try read("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n").heads[0]
        #expect(hop.keepAlive && hop.hasHopByHop)
        let bare = try read("HTTP/1.1 200 OK\nContent-Length: 2\n\nok")
        #expect(bare.body == "ok" && bare.ended)
    }

    @Test func badAnswersAreErrorsThatSayWhat() throws {
        let cases: [(String, String)] = [
            ("SSH-2.0-OpenSSH\r\n\r\n", "status line"),
            ("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "two different"),
            ("HTTP/1.1 200 OK\r\n folded\r\n\r\n", "folds"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hex"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than its size"),
            ("HTTP/2 200\r\n\r\n", "status line"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "both"),
            ("HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\n", "not a token"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", "CR or NUL"),
        ]
        for (text, says) in cases {
            let error = #expect(throws: ResponseFramer.Error.self) { try read(text) }
            #expect(error?.description.contains(says) == true, "\(text.debugDescription): \(String(describing: error))")
        }
        let midBody = #expect(throws: ResponseFramer.Error.self) {
            try read("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", close: true)
        }
        #expect(midBody?.description.contains("mid-response") == true)
        let huge = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 5000)
        let tooLarge = #expect(throws: ResponseFramer.Error.self) { try read(huge, split: 4096) }
        #expect(tooLarge?.description.contains("over") == true)
    }

    @Test func bytesWithNoRequestOutstandingAreAnError() throws {
        var framer = ResponseFramer()
        var parts: [ResponseFramer.Part] = []
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n")
        #expect(throws: ResponseFramer.Error.self) { try framer.feed(&buffer, into: &parts) }
        framer.expect(method: .GET, unwrapChunks: false)
        var twice = ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        #expect(throws: ResponseFramer.Error.self) { try framer.feed(&twice, into: &parts) }
        #expect(parts.count == 2, "the first answer was framed before the error")
    }

    // MARK: Heads for the client

    @Test func aHeadThatNeedsNoChangeIsPassedOnAsItCame() throws {
        let head = try read("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pod: a\r\n\r\n").heads[0]
        let out = ProxyHeaders.clientResponse(head, version: .http1_1, keepAlive: true)
        #expect(out == head.bytes)
    }

    @Test func aHeadIsRewrittenForTheClientWhenItMustBe() throws {
        let head = try read(
            "HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nTransfer-Encoding: chunked\r\nX-Pod: a\r\n\r\n"
        ).heads[0]
        let kept = String(buffer: ProxyHeaders.clientResponse(head, version: .http1_1, keepAlive: true))
        #expect(kept == "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Pod: a\r\n\r\n")
        let old = String(
            buffer: ProxyHeaders.clientResponse(head, version: .http1_0, keepAlive: false, unwrapped: true))
        #expect(old == "HTTP/1.0 200 OK\r\nX-Pod: a\r\nConnection: close\r\n\r\n")
        let plain = try read("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").heads[0]
        #expect(
            String(buffer: ProxyHeaders.clientResponse(plain, version: .http1_1, keepAlive: false))
                == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(
            String(buffer: ProxyHeaders.clientResponse(plain, version: .http1_0, keepAlive: true))
                == "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n")
    }
}
