import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import KctlProxy

/// The ingress's framers on mutated input: whatever the bytes, reading them must not trap (a trap
/// would take kctld down), and must come out the same however the reads split them. Framing that
/// depends on where a read ended is how one parser comes to see a different request than the next.
@Suite struct FramerFuzzTests {
    /// A fixed-seed generator, so that a failure names an input that can be read again.
    struct Generator: RandomNumberGenerator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Bytes that mean something to an HTTP/1.1 framer.
    static let telling = Array("\r\n:; \t,0123456789abcdefABCDEF-=\"".utf8) + [0x00, 0x7F, 0x80, 0xFF]

    /// `seed` with one to three random edits: a byte changed or inserted, a byte or a run deleted,
    /// a run repeated.
    static func mutated(_ seed: [UInt8], _ random: inout Generator) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            let byte =
                Bool.random(using: &random) ? telling.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0 where !bytes.isEmpty: bytes[at] = byte
            case 1: bytes.insert(byte, at: at)
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &random)))
            default:
                let run = bytes[at..<min(bytes.count, at + Int.random(in: 1...12, using: &random))]
                bytes.insert(contentsOf: run, at: at)
            }
        }
        return bytes
    }

    /// Read sizes: all at once, a byte at a time, or random pieces of up to 16 bytes.
    static func splits(_ count: Int, _ style: Int, _ random: inout Generator) -> [Int] {
        switch style {
        case 0: return [max(count, 1)]
        case 1: return Array(repeating: 1, count: max(count, 1))
        default:
            var sizes: [Int] = []
            var left = count
            while left > 0 {
                let size = min(left, Int.random(in: 1...16, using: &random))
                sizes.append(size)
                left -= size
            }
            return sizes.isEmpty ? [1] : sizes
        }
    }

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

    @Test(arguments: 0..<FramerFuzzTests.requests.count)
    func mutatedRequestsFrameTheSameHoweverTheyAreSplit(seedIndex: Int) {
        var random = Generator(state: 0x6b63_746c + UInt64(seedIndex))
        let seed = Array(Self.requests[seedIndex].utf8)
        var mismatches = 0
        for round in 0..<600 {
            let bytes = round == 0 ? seed : Self.mutated(seed, &random)
            let whole = Self.readRequests(bytes, sizes: Self.splits(bytes.count, 0, &random))
            for style in 1...2 {
                let split = Self.readRequests(bytes, sizes: Self.splits(bytes.count, style, &random))
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
    func mutatedResponsesFrameTheSameHoweverTheyAreSplit(seedIndex: Int) {
        var random = Generator(state: 0x7265_7370 + UInt64(seedIndex))
        let seed = Self.responses[seedIndex]
        let seedBytes = Array(seed.text.utf8)
        var mismatches = 0
        for round in 0..<600 {
            let bytes = round == 0 ? seedBytes : Self.mutated(seedBytes, &random)
            func read(_ style: Int) -> [String] {
                Self.readResponse(
                    bytes, method: seed.method, unwrapChunks: seed.unwrapChunks, close: seed.close,
                    sizes: Self.splits(bytes.count, style, &random))
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
