import NIOCore
import NIOHTTP1

/// Finds where a backend's HTTP/1.1 responses begin and end in the bytes as they arrive, so that
/// the ingress passes them on as they are instead of parsing every header into strings and
/// encoding it all again: the response path of a request is one scan of its head and a slice of
/// the read buffer per part. A head is rewritten (`ResponseHeadRewrite`) only when it must be.
///
/// Framing follows RFC 9112 6.3: no body for the answer to a HEAD request, for 1xx, 204 and
/// 304; else a chunked `Transfer-Encoding` (chunks passed through, or unwrapped for an HTTP/1.0
/// client), a `Content-Length`, or the bytes until the backend closes. One response is expected
/// per request (`expect`); bytes nobody asked for are an error.
struct ResponseFramer {
    /// A response head: what the proxy decides on, and the bytes as received.
    struct Head {
        /// The status line through the blank line after the headers.
        var bytes: ByteBuffer
        var version: HTTPVersion
        var status: Int
        var contentLength: Int?
        /// `Transfer-Encoding` ends with `chunked`.
        var chunked: Bool
        /// `Transfer-Encoding` is present.
        var transferEncoded: Bool
        /// The backend keeps the connection open after this response (its version's default,
        /// or what `Connection` says).
        var keepAlive: Bool
        /// A hop-by-hop header is present (`Connection` among them, which may name more).
        var hasHopByHop: Bool
        /// The body ends only when the backend closes the connection (set by the framer, which
        /// knows the request).
        var endsWithClose = false

        /// A `1xx` other than `101`: the final head follows for the same request.
        var isInformational: Bool { (100..<200).contains(status) && status != 101 }
    }

    enum Part {
        case head(Head)
        /// Body bytes as received (chunk framing included), or only the data of each chunk when
        /// unwrapping for an HTTP/1.0 client.
        case body(ByteBuffer)
        case end
        /// A whole response read at once (its length known, its bytes all there): its head, and
        /// its bytes as they came, head and body, to pass on as one slice.
        case complete(Head, whole: ByteBuffer)
        /// A `101`'s head: the bytes after it belong to the new protocol.
        case switched(Head, leftover: ByteBuffer)
    }

    typealias Error = FramingError

    /// Largest head (and trailer section) accepted, as NIO's decoder.
    static let maxHeadBytes = 80 * 1024

    private enum State {
        /// No request outstanding.
        case idle
        case head
        case body
        /// After a `101`: nothing more is framed.
        case switched
    }

    private var state = State.idle
    /// The request being answered is a HEAD.
    private var answeringHEAD = false
    /// Unwrap a chunked body (for an HTTP/1.0 client).
    private var unwrapChunks = false
    private var body = BodyFramer(subject: "the backend's answer", strictLines: false, maxTrailerBytes: maxHeadBytes)

    /// Expects the response to the request just sent.
    mutating func expect(method: HTTPMethod, unwrapChunks: Bool) {
        state = .head
        answeringHEAD = method == .HEAD
        self.unwrapChunks = unwrapChunks
        body.reset()
    }

    /// Reads `buffer` through, appending what it completes to `parts`.
    mutating func feed(_ buffer: inout ByteBuffer, into parts: inout [Part]) throws {
        while buffer.readableBytes > 0 {
            switch state {
            case .idle:
                throw Error(description: "the backend sent \(buffer.readableBytes) bytes with no request outstanding")
            case .switched:
                return
            case .head:
                // The buffer as it was, to slice the whole response from (its reader index moves on).
                let received = body.hasPending ? nil : buffer
                guard let bytes = try body.gather(&buffer, limit: Self.maxHeadBytes, what: "response head", until: HeadLines.headEnd)
                else { return }
                var head = try Self.parseHead(bytes)
                if head.status == 101 {
                    state = .switched
                    parts.append(.switched(head, leftover: buffer.readSlice(length: buffer.readableBytes)!))
                    return
                }
                if head.isInformational {
                    parts.append(.head(head))
                    continue
                }
                let framing = framing(&head)
                if let received, case .length(let length) = framing, length > 0, buffer.readableBytes >= length {
                    buffer.moveReaderIndex(forwardBy: length)
                    let whole = received.getSlice(
                        at: received.readerIndex, length: buffer.readerIndex - received.readerIndex)!
                    parts.append(.complete(head, whole: whole))
                    state = .idle
                    body.reset()
                    continue
                }
                parts.append(.head(head))
                if body.start(framing, unwrapChunks: unwrapChunks) {
                    state = .body
                } else {
                    finish(&parts)
                }
            case .body:
                if try body.feed(&buffer, body: { parts.append(.body($0)) }) { finish(&parts) }
            }
        }
    }

    /// The backend closed its side: ends a body that runs until then; anything else unfinished
    /// is an error.
    mutating func inputEnded(into parts: inout [Part]) throws {
        switch state {
        case .idle, .switched:
            return
        case .body where body.endsWithClose:
            finish(&parts)
        case .head where !body.hasPending:
            state = .idle
            throw Error(description: "the backend closed the connection before answering")
        default:
            state = .idle
            throw Error(description: "the backend closed the connection mid-response")
        }
    }

    private mutating func finish(_ parts: inout [Part]) {
        state = .idle
        body.reset()
        parts.append(.end)
    }

    /// How the body of the final head `head` is framed (no body: a length of 0); notes on
    /// `head` when it ends with the close.
    private func framing(_ head: inout Head) -> BodyFramer.Framing {
        if answeringHEAD || head.status == 204 || head.status == 304 { return .length(0) }
        if head.chunked { return .chunked }
        if head.transferEncoded {
            head.endsWithClose = true
            return .untilClose
        }
        if let length = head.contentLength { return .length(length) }
        head.endsWithClose = true
        return .untilClose
    }

    // MARK: Parsing

    /// Reads a head's status line and the headers framing depends on; the rest stay bytes.
    static func parseHead(_ bytes: ByteBuffer) throws -> Head {
        try bytes.withUnsafeReadableBytes { raw in
            // Status line: HTTP/d.d SP ddd [SP reason]
            guard raw.count >= 12, raw.starts(with: "HTTP/".utf8), HeadLines.isDigit(raw[5]), raw[6] == UInt8(ascii: "."),
                HeadLines.isDigit(raw[7]), raw[8] == UInt8(ascii: " "), HeadLines.isDigit(raw[9]), HeadLines.isDigit(raw[10]), HeadLines.isDigit(raw[11])
            else {
                throw Error(description: "the backend's answer does not start with an HTTP/1.x status line")
            }
            let version = HTTPVersion(major: Int(raw[5] - 48), minor: Int(raw[7] - 48))
            guard version.major == 1 else { throw Error(description: "the backend answered with HTTP/\(version.major)") }
            let status = Int(raw[9] - 48) * 100 + Int(raw[10] - 48) * 10 + Int(raw[11] - 48)
            var head = Head(
                bytes: bytes, version: version, status: status, contentLength: nil, chunked: false,
                transferEncoded: false, keepAlive: version.minor >= 1, hasHopByHop: false)
            try HeadLines.forEachField(
                in: raw, from: HeadLines.lineEnd(raw, from: 0)!, subject: "the backend's answer", strictLines: false
            ) { name, value in
                try note(name: name, value: value, in: &head)
            }
            // Two framings at once is how responses get smuggled: refused, as NIO's parser does.
            if head.transferEncoded && head.contentLength != nil {
                throw Error(description: "the backend's answer has both Content-Length and Transfer-Encoding")
            }
            return head
        }
    }

    private static func note(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, in head: inout Head) throws {
        switch name.count {
        case 14 where ProxyHeaders.equalIgnoringCase(name, "content-length"):
            head.contentLength = try HeadLines.contentLength(value, earlier: head.contentLength, subject: "the backend's answer")
        case 17 where ProxyHeaders.equalIgnoringCase(name, "transfer-encoding"):
            head.transferEncoded = true
            head.chunked = ProxyHeaders.endsWithChunked(value)
        case 10 where ProxyHeaders.equalIgnoringCase(name, "connection"):
            head.hasHopByHop = true
            for token in HeadLines.listElements(value) {
                switch token.lowercased() {
                case "close": head.keepAlive = false
                case "keep-alive": head.keepAlive = true
                default: break
                }
            }
        default:
            if ProxyHeaders.isHopByHop(name) { head.hasHopByHop = true }
        }
    }
}
