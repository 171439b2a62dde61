import NIOCore
import NIOHTTP1

/// Reads a client's HTTP/1.1 requests from the bytes as they arrive: one scan of each head for
/// what the ingress decides on (method, target, `Host`, keep-alive, upgrade, body framing), the
/// head kept as bytes so that the backend's copy is the client's with a few lines changed, and
/// the body passed on as slices of the read buffer (chunks as they came).
///
/// Because the bytes go on as they are, anything two HTTP parsers could read differently is
/// refused (RFC 9112): a line not ending with CRLF, a folded header, whitespace before a colon,
/// a control byte in a value, `Content-Length` with `Transfer-Encoding`, a `Transfer-Encoding`
/// whose last coding is not `chunked` (or on HTTP/1.0), two different `Content-Length`s, an
/// HTTP/1.1 request without exactly one `Host`. The error says which; the request gets a 400
/// (431 for a head over the limit, 505 for another HTTP version) and the connection ends.
///
/// After an upgrade request (`Connection: Upgrade`) nothing more is framed: what follows goes to
/// the backend as it is if it switches protocols.
struct RequestFramer {
    /// A request head: what the ingress decides on, and the bytes as received. A class: it is
    /// queued, matched and kept by the exchange, and copying its many fields each time cost more
    /// than the one allocation.
    final class Head {
        /// The request line through the blank line after the headers.
        var bytes: ByteBuffer
        var method: HTTPMethod
        var target: String
        var version: HTTPVersion
        /// Where the header lines start in `bytes` (after the request line).
        var headersStart: Int
        /// The `Host` header's value, if any.
        var host: String?
        /// The client keeps the connection open after this request (its version's default, or
        /// what `Connection` says).
        var keepAlive: Bool
        /// `Connection` names `upgrade` and an `Upgrade` header is present.
        var isUpgrade = false
        /// The `Upgrade` header values (only read when `Connection` names `upgrade`).
        var upgrade: [String] = []
        /// `Expect: 100-continue`.
        var expectsContinue = false
        var contentLength: Int?
        var chunked = false
        /// A header the backend must not get is present: hop-by-hop (with those `Connection`
        /// names) or `X-Forwarded-*`, which the ingress sets itself.
        var dropsHeaders = false
        /// Header names `Connection` lists besides `close`, `keep-alive` and `upgrade`, lowercased.
        var connectionNames: [String] = []
        /// The `X-Forwarded-For` entries the client sent, in order.
        var forwardedFor: [String] = []

        init(
            bytes: ByteBuffer, method: HTTPMethod, target: String, version: HTTPVersion, headersStart: Int,
            keepAlive: Bool
        ) {
            self.bytes = bytes
            self.method = method
            self.target = target
            self.version = version
            self.headersStart = headersStart
            self.keepAlive = keepAlive
        }

        /// Safe to send again when a reused connection turns out closed (RFC 9110 9.2.2).
        var isIdempotent: Bool {
            switch method {
            case .GET, .HEAD, .OPTIONS, .PUT, .DELETE, .TRACE: return true
            default: return false
            }
        }
    }

    enum Part {
        case head(Head)
        /// Body bytes as received (chunk framing included).
        case body(ByteBuffer)
        case end
        /// Bytes after an upgrade request, for the backend if it switches protocols.
        case upgraded(ByteBuffer)
        /// What does not parse; nothing after it is read.
        case invalid(FramingError)
    }

    typealias Error = FramingError

    /// Largest head accepted, as NIO's decoder.
    static let maxHeadBytes = 80 * 1024

    private enum State {
        case head
        case body
        case upgraded
        case failed
    }

    private var state = State.head
    /// The head being read has asked for an upgrade.
    private var upgrading = false
    private var body = BodyFramer(subject: "the request", strictLines: true, maxTrailerBytes: maxHeadBytes)

    /// Reads `buffer` through, appending what it completes to `parts`. An error is the last part.
    mutating func feed(_ buffer: inout ByteBuffer, into parts: inout CircularBuffer<Part>) {
        do {
            try read(&buffer, into: &parts)
        } catch let error as FramingError {
            state = .failed
            parts.append(.invalid(error))
        } catch {
            state = .failed
            parts.append(.invalid(FramingError(description: "\(error)")))
        }
    }

    private mutating func read(_ buffer: inout ByteBuffer, into parts: inout CircularBuffer<Part>) throws {
        while buffer.readableBytes > 0 {
            switch state {
            case .failed:
                return
            case .upgraded:
                parts.append(.upgraded(buffer.readSlice(length: buffer.readableBytes)!))
            case .head:
                guard var bytes = try gatherHead(&buffer) else { return }
                // Blank lines before a request line come in with it, or alone as an empty head.
                skipEmptyLines(&bytes)
                guard bytes.readableBytes > 0 else { continue }
                let head = try Self.parseHead(bytes)
                parts.append(.head(head))
                upgrading = head.isUpgrade
                let framing: BodyFramer.Framing = head.chunked ? .chunked : .length(head.contentLength ?? 0)
                if body.start(framing) {
                    state = .body
                } else {
                    end(&parts)
                }
            case .body:
                if try body.feed(&buffer, body: { parts.append(.body($0)) }) { end(&parts) }
            }
        }
    }

    /// A complete head, or nil while it is not; a head over the limit is a 431.
    private mutating func gatherHead(_ buffer: inout ByteBuffer) throws -> ByteBuffer? {
        do {
            return try body.gather(&buffer, limit: Self.maxHeadBytes, what: "head", until: HeadLines.headEnd)
        } catch var error as FramingError {
            error.status = .requestHeaderFieldsTooLarge
            throw error
        }
    }

    private mutating func end(_ parts: inout CircularBuffer<Part>) {
        parts.append(.end)
        state = upgrading ? .upgraded : .head
    }

    /// Empty lines before a request line are ignored (RFC 9112 2.2): some clients send a CRLF
    /// after a body.
    private func skipEmptyLines(_ buffer: inout ByteBuffer) {
        while buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A {
            buffer.moveReaderIndex(forwardBy: 2)
        }
    }

    // MARK: Parsing

    /// Reads a head: its request line, and the headers the ingress decides on; the rest stay bytes.
    static func parseHead(_ bytes: ByteBuffer) throws -> Head {
        try bytes.withUnsafeReadableBytes { raw in
            guard let firstEnd = HeadLines.lineEnd(raw, from: 0) else {
                throw Error(description: "the request has no request line")
            }
            let lineEnd = try HeadLines.contentEnd(
                raw, lineStart: 0, end: firstEnd, subject: "the request", strictLines: true)
            let head = try requestLine(raw, end: lineEnd, bytes: bytes, headersStart: firstEnd)
            var hosts = 0
            var transferEncoding: [UInt8]?
            var connectionUpgrade = false
            var close = false
            var keepAlive = false
            try HeadLines.forEachField(in: raw, from: firstEnd, subject: "the request", strictLines: true) { name, value in
                switch name.count {
                case 4 where ProxyHeaders.equalIgnoringCase(name, "host"):
                    hosts += 1
                    head.host = String(decoding: value, as: UTF8.self)
                case 6 where ProxyHeaders.equalIgnoringCase(name, "expect"):
                    if ProxyHeaders.equalIgnoringCase(value, "100-continue") { head.expectsContinue = true }
                case 7 where ProxyHeaders.equalIgnoringCase(name, "upgrade"):
                    head.dropsHeaders = true
                    head.upgrade.append(String(decoding: value, as: UTF8.self))
                case 10 where ProxyHeaders.equalIgnoringCase(name, "connection"):
                    head.dropsHeaders = true
                    for token in HeadLines.listElements(value) {
                        let token = token.lowercased()
                        switch token {
                        case "close": close = true
                        case "keep-alive": keepAlive = true
                        case "upgrade": connectionUpgrade = true
                        case "": break
                        default: head.connectionNames.append(token)
                        }
                    }
                case 14 where ProxyHeaders.equalIgnoringCase(name, "content-length"):
                    head.contentLength = try HeadLines.contentLength(value, earlier: head.contentLength, subject: "the request")
                case 15 where ProxyHeaders.equalIgnoringCase(name, "x-forwarded-for"):
                    head.dropsHeaders = true
                    head.forwardedFor += HeadLines.listElements(value).filter { !$0.isEmpty }
                case 16 where ProxyHeaders.equalIgnoringCase(name, "x-forwarded-host"),
                    17 where ProxyHeaders.equalIgnoringCase(name, "x-forwarded-proto"):
                    head.dropsHeaders = true
                case 17 where ProxyHeaders.equalIgnoringCase(name, "transfer-encoding"):
                    if transferEncoding != nil { transferEncoding!.append(UInt8(ascii: ",")) }
                    transferEncoding = (transferEncoding ?? []) + value
                default:
                    if ProxyHeaders.isHopByHop(name) { head.dropsHeaders = true }
                }
            }
            head.keepAlive = !close && (head.version == .http1_1 || keepAlive)
            head.isUpgrade = connectionUpgrade && !head.upgrade.isEmpty
            if !connectionUpgrade { head.upgrade = [] }
            if let transferEncoding { try checkChunked(transferEncoding, head) }
            if head.version == .http1_1 && hosts != 1 {
                throw Error(description: hosts == 0 ? "the request has no Host header" : "the request has \(hosts) Host headers")
            }
            return head
        }
    }

    /// The request line: `method SP request-target SP HTTP/1.x`, single spaces, nothing else.
    private static func requestLine(
        _ raw: UnsafeRawBufferPointer, end: Int, bytes: ByteBuffer, headersStart: Int
    ) throws -> Head {
        let line = raw[0..<end]
        guard let firstSpace = line.firstIndex(of: 32), firstSpace > 0,
            let lastSpace = line.lastIndex(of: 32), lastSpace > firstSpace + 1
        else {
            throw Error(description: "the request line is not 'METHOD TARGET HTTP/1.1'")
        }
        let method = UnsafeRawBufferPointer(rebasing: raw[0..<firstSpace])
        guard method.allSatisfy(HeadLines.isTokenByte) else {
            throw Error(description: "the request's method is not a token")
        }
        let target = UnsafeRawBufferPointer(rebasing: raw[(firstSpace + 1)..<lastSpace])
        guard target.allSatisfy({ (33...126).contains($0) }) else {
            throw Error(description: "the request's target has a space or a byte that is not visible ASCII")
        }
        let version = UnsafeRawBufferPointer(rebasing: raw[(lastSpace + 1)..<end])
        guard version.count == 8, version.starts(with: "HTTP/".utf8), HeadLines.isDigit(version[5]),
            version[6] == UInt8(ascii: "."), HeadLines.isDigit(version[7])
        else {
            throw Error(description: "the request line does not end with an HTTP version")
        }
        guard version[5] == UInt8(ascii: "1"), version[7] == UInt8(ascii: "0") || version[7] == UInt8(ascii: "1")
        else {
            throw Error(
                description: "the request is HTTP/\(Character(UnicodeScalar(version[5]))).\(Character(UnicodeScalar(version[7]))); the ingress speaks HTTP/1.1 and 1.0",
                status: .httpVersionNotSupported)
        }
        let httpVersion: HTTPVersion = version[7] == UInt8(ascii: "1") ? .http1_1 : .http1_0
        return Head(
            bytes: bytes, method: Self.method(method), target: String(decoding: target, as: UTF8.self),
            version: httpVersion, headersStart: headersStart, keepAlive: httpVersion == .http1_1)
    }

    /// A request's `Transfer-Encoding` must end with `chunked`, once, on HTTP/1.1, without a
    /// `Content-Length`: anything else leaves its length for two parsers to disagree on.
    private static func checkChunked(_ value: [UInt8], _ head: Head) throws {
        guard head.version == .http1_1 else {
            throw Error(description: "the request has a Transfer-Encoding on HTTP/1.0")
        }
        guard head.contentLength == nil else {
            throw Error(description: "the request has both Content-Length and Transfer-Encoding")
        }
        let codings = HeadLines.listElements(value)
        guard let last = codings.last, ProxyHeaders.equalIgnoringCase(last, "chunked") else {
            throw Error(description: "the request's Transfer-Encoding does not end with chunked")
        }
        guard !codings.dropLast().contains(where: { ProxyHeaders.equalIgnoringCase($0, "chunked") }) else {
            throw Error(description: "the request's Transfer-Encoding names chunked twice")
        }
        head.chunked = true
    }

    /// The method, without making a string for the common ones.
    private static func method(_ raw: UnsafeRawBufferPointer) -> HTTPMethod {
        switch raw.count {
        case 3 where raw.elementsEqual("GET".utf8): return .GET
        case 3 where raw.elementsEqual("PUT".utf8): return .PUT
        case 4 where raw.elementsEqual("POST".utf8): return .POST
        case 4 where raw.elementsEqual("HEAD".utf8): return .HEAD
        case 5 where raw.elementsEqual("PATCH".utf8): return .PATCH
        case 5 where raw.elementsEqual("TRACE".utf8): return .TRACE
        case 6 where raw.elementsEqual("DELETE".utf8): return .DELETE
        case 7 where raw.elementsEqual("OPTIONS".utf8): return .OPTIONS
        case 7 where raw.elementsEqual("CONNECT".utf8): return .CONNECT
        default: return HTTPMethod(rawValue: String(decoding: raw, as: UTF8.self))
        }
    }
}
