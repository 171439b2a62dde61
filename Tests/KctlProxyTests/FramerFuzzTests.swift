import Foundation
import NIOCore
import KctlTestSupport
import NIOHTTP1
import Testing

@testable import KctlProxy

/// The ingress's framers on mutated input: whatever the bytes, reading them must not trap (a trap
/// would take kctld down), and must come out the same however the reads split them. Framing that
/// depends on where a read ended is how one parser comes to see a different request than the next.
@Suite struct FramerFuzzTests {
    /// Bytes that mean something to an HTTP/1.1 framer.
    static let telling = "\r\n:; \t,0123456789abcdefABCDEF-=\""

    /// The input and the parts only one of the two reads made.
    static func mismatch(_ bytes: [UInt8], _ seed: Int, _ round: Int, _ whole: [String], _ split: [String]) -> Comment {
        let input = String(decoding: bytes, as: UTF8.self).debugDescription
        let onlyWhole = whole.filter { !split.contains($0) }
        let onlySplit = split.filter { !whole.contains($0) }
        return "input \(input) (seed \(seed), round \(round)):\nread whole: \(onlyWhole)\nread split: \(onlySplit)"
    }

    // MARK: Requests

    static let requests = [
        "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
            + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n0\r\nX-Sum: 1\r\n\r\n"
            + "GET /d HTTP/1.0\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\na\r\n0123456789\r\n0\r\n\r\n"
            + "GET / HTTP/1.1\r\nHost: y\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\u{81}\u{05}hello",
        "GET /a?b=c HTTP/1.1\r\nHost: x:80\r\nContent-Length: 0\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\n"
            + "X-Forwarded-For: 1.2.3.4, 5.6.7.8\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"
            + "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
    ]

    /// What a request framer made of `bytes` read in pieces of `sizes`, as text: one line per
    /// part, body bytes joined within a request (their slicing follows the reads).
    static func readRequests(_ bytes: [UInt8], sizes: [Int]) -> [String] {
        var framer = RequestFramer()
        var parts = CircularBuffer<RequestFramer.Part>()
        var start = 0
        for size in sizes where start < bytes.count {
            var buffer = ByteBuffer(bytes: bytes[start..<min(bytes.count, start + size)])
            framer.feed(&buffer, into: &parts)
            start += size
        }
        // One entry per part; body and upgrade bytes joined (their slicing follows the reads).
        var lines: [String] = []
        var joined: [UInt8] = []
        var joining = ""
        func flush() {
            if !joining.isEmpty { lines.append("\(joining) \(joined)") }
            joining = ""
            joined = []
        }
        for part in parts {
            switch part {
            case .head(let head):
                flush()
                lines.append(
                    "head \(head.method) \(head.target) \(head.version) keepAlive=\(head.keepAlive) host=\(head.host ?? "-") "
                        + "length=\(head.contentLength.map(String.init) ?? "-") chunked=\(head.chunked) "
                        + "upgrade=\(head.isUpgrade) drops=\(head.dropsHeaders) \(Array(head.bytes.readableBytesView))")
            case .body(let buffer), .upgraded(let buffer):
                let kind = if case .body = part { "body" } else { "upgraded" }
                if joining != kind { flush() }
                joining = kind
                joined += Array(buffer.readableBytesView)
            case .end:
                flush()
                lines.append("end")
            case .invalid(let error):
                // Body bytes go on as they arrive, so how much of a bad body went before the
                // error depends on the reads; where the error is and what it says does not.
                if joining == "body" { joining = ""; joined = [] }
                flush()
                lines.append("invalid \(error.status.code) \(error)")
            }
        }
        flush()
        return lines
    }

    /// The rounds are seconds of CPU without a suspension point: run on the cooperative pool (one
    /// thread per core) they held every other test of the suite back at its start, one thread
    /// each, long enough for tests waiting 10 s on a condition to time out. On a thread of their
    /// own, one case after another, they take their turn with the rest.
    static let fuzzing = BlockingExecutor(label: "kctl.test.framer-fuzz")

    @Test(arguments: 0..<FramerFuzzTests.requests.count)
    func mutatedRequestsFrameTheSameHoweverTheyAreSplit(seedIndex: Int) async {
        await withTaskExecutorPreference(Self.fuzzing) { Self.requestRounds(seedIndex: seedIndex) }
    }

    static func requestRounds(seedIndex: Int) {
        var random = ByteMutator(seed: 0x6b63_746c + UInt64(seedIndex), telling: Self.telling)
        var mismatches = 0
        for (round, bytes) in random.variants(of: Self.requests[seedIndex], count: 600).enumerated() {
            let whole = Self.readRequests(bytes, sizes: random.splits(bytes.count, style: 0))
            for style in 1...2 {
                let split = Self.readRequests(bytes, sizes: random.splits(bytes.count, style: style))
                if split != whole, mismatches < 3 {
                    mismatches += 1
                    Issue.record(Self.mismatch(bytes, seedIndex, round, whole, split))
                }
            }
        }
        #expect(mismatches == 0)
    }

    // MARK: Responses

    static let responses: [(text: String, method: HTTPMethod, unwrapChunks: Bool, close: Bool)] = [
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello", .GET, false, false),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: 1\r\n\r\n", .GET, false, false),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", .GET, true, false),
        ("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nleftover", .GET, false, false),
        ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX: y\r\n\r\n", .POST, false, false),
        ("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthe body ends with the connection", .GET, false, true),
        ("HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbody", .HEAD, false, false),
    ]

    /// What a response framer made of `bytes` read in pieces of `sizes`, as text; a thrown error
    /// is the last line.
    static func readResponse(
        _ bytes: [UInt8], method: HTTPMethod, unwrapChunks: Bool, close: Bool, sizes: [Int]
    ) -> [String] {
        var framer = ResponseFramer()
        framer.expect(method: method, unwrapChunks: unwrapChunks)
        var parts: [ResponseFramer.Part] = []
        var lines: [String] = []
        // After a `101` the framer leaves what follows in the buffer, for the relay that takes over.
        var unread: [UInt8] = []
        do {
            var start = 0
            for size in sizes where start < bytes.count {
                var buffer = ByteBuffer(bytes: bytes[start..<min(bytes.count, start + size)])
                try framer.feed(&buffer, into: &parts)
                unread += Array(buffer.readableBytesView)
                start += size
            }
            if close { try framer.inputEnded(into: &parts) }
        } catch {
            // How many stray bytes a read held depends on the split.
            lines.append(
                "error \(error)".replacingOccurrences(of: #"sent \d+ bytes"#, with: "sent some bytes", options: .regularExpression))
        }
        var body: [UInt8] = []
        var described: [String] = []
        func head(_ head: ResponseFramer.Head) -> String {
            "head \(head.status) keepAlive=\(head.keepAlive) \(Array(head.bytes.readableBytesView))"
        }
        for part in parts {
            switch part {
            case .head(let h): described.append(head(h))
            case .body(let buffer): body += Array(buffer.readableBytesView)
            case .end: described.append("end \(body)")
            case .complete(let h, let whole):
                described.append(head(h))
                body += Array(whole.readableBytesView.dropFirst(h.bytes.readableBytes))
                described.append("end \(body)")
            case .switched(let h, let leftover):
                described.append(head(h))
                described.append("switched \(Array(leftover.readableBytesView) + unread)")
            }
        }
        if !body.isEmpty, described.last?.hasPrefix("end ") != true { described.append("body \(body)") }
        // An error ends the reading where it was found; what was framed before it depends on
        // how much had arrived, so only the error is compared then.
        return lines.isEmpty ? described : lines
    }

    @Test(arguments: 0..<FramerFuzzTests.responses.count)
    func mutatedResponsesFrameTheSameHoweverTheyAreSplit(seedIndex: Int) async {
        await withTaskExecutorPreference(Self.fuzzing) { Self.responseRounds(seedIndex: seedIndex) }
    }

    static func responseRounds(seedIndex: Int) {
        var random = ByteMutator(seed: 0x7265_7370 + UInt64(seedIndex), telling: Self.telling)
        let seed = Self.responses[seedIndex]
        var mismatches = 0
        for (round, bytes) in random.variants(of: seed.text, count: 600).enumerated() {
            func read(_ style: Int) -> [String] {
                Self.readResponse(
                    bytes, method: seed.method, unwrapChunks: seed.unwrapChunks, close: seed.close,
                    sizes: random.splits(bytes.count, style: style))
            }
            let whole = read(0)
            for style in 1...2 {
                let split = read(style)
                if split != whole, mismatches < 3 {
                    mismatches += 1
                    Issue.record(Self.mismatch(bytes, seedIndex, round, whole, split))
                }
            }
        }
        #expect(mismatches == 0)
    }
}
