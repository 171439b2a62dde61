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
        /// A `101`'s head: the bytes after it belong to the new protocol.
        case switched(Head, leftover: ByteBuffer)
    }

    struct Error: Swift.Error, CustomStringConvertible {
        let description: String
    }

    /// Largest head (and trailer section) accepted, as NIO's decoder.
    static let maxHeadBytes = 80 * 1024
    /// Longest chunk-size line accepted.
    static let maxChunkLineBytes = 4096

    private enum State {
        /// No request outstanding.
        case idle
        case head
        case length(remaining: Int)
        case untilClose
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers
        /// After a `101`: nothing more is framed.
        case switched
    }

    private var state = State.idle
    /// The request being answered is a HEAD.
    private var answeringHEAD = false
    /// Unwrap a chunked body (for an HTTP/1.0 client).
    private var unwrapChunks = false
    /// Bytes of an unfinished head, chunk-size line, chunk end or trailer section.
    private var pending = ByteBuffer()

    /// Whether a response is expected or being read.
    var isReading: Bool {
        if case .idle = state { return false }
        return true
    }

    /// Expects the response to the request just sent.
    mutating func expect(method: HTTPMethod, unwrapChunks: Bool) {
        state = .head
        answeringHEAD = method == .HEAD
        self.unwrapChunks = unwrapChunks
        pending.clear()
    }

    /// Reads `buffer` through, appending what it completes to `parts`.
    mutating func feed(_ buffer: inout ByteBuffer, into parts: inout [Part]) throws {
        // Body bytes passed through as received go out as one slice per call, taken from the
        // buffer as it came (the reader index moves past them meanwhile; the storage is shared).
        let received = buffer
        var passStart: Int?
        func flushPassed(_ buffer: ByteBuffer, _ parts: inout [Part]) {
            guard let start = passStart else { return }
            passStart = nil
            let end = buffer.readerIndex
            if end > start { parts.append(.body(received.getSlice(at: start, length: end - start)!)) }
        }
        while buffer.readableBytes > 0 {
            switch state {
            case .idle:
                throw Error(description: "the backend sent \(buffer.readableBytes) bytes with no request outstanding")
            case .switched:
                return
            case .head:
                guard var head = try readHead(&buffer) else { return }
                if head.status == 101 {
                    state = .switched
                    parts.append(.switched(head, leftover: buffer.readSlice(length: buffer.readableBytes)!))
                    return
                }
                if head.isInformational {
                    parts.append(.head(head))
                    continue
                }
                let next = framing(&head)
                parts.append(.head(head))
                state = next
                if case .length(remaining: 0) = next { finish(&parts) }
            case .length(let remaining):
                let count = min(remaining, buffer.readableBytes)
                parts.append(.body(buffer.readSlice(length: count)!))
                state = .length(remaining: remaining - count)
                if count == remaining { finish(&parts) }
            case .untilClose:
                parts.append(.body(buffer.readSlice(length: buffer.readableBytes)!))
            case .chunkSize:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: Self.maxChunkLineBytes, what: "chunk size line") else {
                    flushPassed(buffer, &parts)
                    return
                }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let count = min(remaining, buffer.readableBytes)
                if unwrapChunks {
                    parts.append(.body(buffer.readSlice(length: count)!))
                } else {
                    if passStart == nil { passStart = buffer.readerIndex }
                    buffer.moveReaderIndex(forwardBy: count)
                }
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: 2, what: "chunk end") else {
                    flushPassed(buffer, &parts)
                    return
                }
                guard line.readableBytes == 0 else {
                    throw Error(description: "a chunk is longer than its size says")
                }
                state = .chunkSize
            case .trailers:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: Self.maxHeadBytes, what: "trailer section") else {
                    flushPassed(buffer, &parts)
                    return
                }
                if line.readableBytes == 0 {
                    flushPassed(buffer, &parts)
                    finish(&parts)
                }
            }
        }
        flushPassed(buffer, &parts)
    }

    /// The backend closed its side: ends a body that runs until then; anything else unfinished
    /// is an error.
    mutating func inputEnded(into parts: inout [Part]) throws {
        switch state {
        case .idle, .switched:
            return
        case .untilClose:
            finish(&parts)
        case .head where pending.readableBytes == 0:
            state = .idle
            throw Error(description: "the backend closed the connection before answering")
        default:
            state = .idle
            throw Error(description: "the backend closed the connection mid-response")
        }
    }

    private mutating func finish(_ parts: inout [Part]) {
        state = .idle
        pending.clear()
        parts.append(.end)
    }

    /// Where the body of the final head `head` ends (no body: a length of 0); notes on `head`
    /// when that is the close.
    private func framing(_ head: inout Head) -> State {
        if answeringHEAD || head.status == 204 || head.status == 304 { return .length(remaining: 0) }
        if head.chunked { return .chunkSize }
        if head.transferEncoded {
            head.endsWithClose = true
            return .untilClose
        }
        if let length = head.contentLength { return .length(remaining: length) }
        head.endsWithClose = true
        return .untilClose
    }

    // MARK: Lines

    /// A complete head, or nil (its bytes kept) while it is not.
    private mutating func readHead(_ buffer: inout ByteBuffer) throws -> Head? {
        guard let bytes = try gather(&buffer, limit: Self.maxHeadBytes, what: "response head", until: Self.headEnd)
        else { return nil }
        return try Self.parseHead(bytes)
    }

    /// A line without its line end, or nil (its bytes kept) while it is not complete.
    private mutating func readLine(_ buffer: inout ByteBuffer, limit: Int, what: String) throws -> ByteBuffer? {
        guard var line = try gather(&buffer, limit: limit + 2, what: what, until: Self.lineEnd) else { return nil }
        var length = line.readableBytes - 1
        if length > 0, line.getInteger(at: line.readerIndex + length - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            length -= 1
        }
        return line.readSlice(length: length)
    }

    /// The bytes through the end `end` finds, from what is pending and `buffer`; nil while the
    /// end has not come (the bytes are kept in `pending`, at most `limit`).
    private mutating func gather(
        _ buffer: inout ByteBuffer, limit: Int, what: String, until end: (UnsafeRawBufferPointer, Int) -> Int?
    ) throws -> ByteBuffer? {
        if pending.readableBytes == 0 {
            if let length = buffer.withUnsafeReadableBytes({ end($0, 0) }) {
                guard length <= limit else { throw Error(description: "\(what) over \(limit) bytes") }
                return buffer.readSlice(length: length)
            }
            guard buffer.readableBytes <= limit else { throw Error(description: "\(what) over \(limit) bytes") }
            pending.writeImmutableBuffer(buffer)
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        let before = pending.readableBytes
        // The end may straddle the old bytes and the new: search again from a little before.
        pending.writeImmutableBuffer(buffer)
        guard let length = pending.withUnsafeReadableBytes({ end($0, max(0, before - 3)) }) else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            guard pending.readableBytes <= limit else { throw Error(description: "\(what) over \(limit) bytes") }
            return nil
        }
        guard length <= limit else { throw Error(description: "\(what) over \(limit) bytes") }
        buffer.moveReaderIndex(forwardBy: length - before)
        let bytes = pending.readSlice(length: length)!
        pending = ByteBuffer()
        return bytes
    }

    /// The length through the first `\n`, searching from `from`.
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard from < bytes.count else { return nil }
        return bytes[from...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }
    }

    /// The length through the blank line that ends a head (`\n\n` or `\n\r\n`), searching from `from`.
    static func headEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        while index < bytes.count, let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
            let next = newline + 1
            if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
            if next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") {
                return next + 2
            }
            index = next
        }
        return nil
    }

    // MARK: Parsing

    /// The hex size at the start of a chunk-size line (extensions after `;` ignored).
    static func chunkSize(_ line: ByteBuffer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Error(description: "a chunk size line has no size") }
                return size
            default:
                throw Error(description: "a chunk size line has a byte that is not hex: \(byte)")
            }
            digits += 1
            guard digits <= 15 else { throw Error(description: "a chunk size is too large") }
            size = size << 4 | value
        }
        guard digits > 0 else { throw Error(description: "a chunk size line has no size") }
        return size
    }

    /// Reads a head's status line and the headers framing depends on; the rest stay bytes.
    static func parseHead(_ bytes: ByteBuffer) throws -> Head {
        try bytes.withUnsafeReadableBytes { raw in
            // Status line: HTTP/d.d SP ddd [SP reason]
            guard raw.count >= 12, raw.starts(with: "HTTP/".utf8), isDigit(raw[5]), raw[6] == UInt8(ascii: "."),
                isDigit(raw[7]), raw[8] == UInt8(ascii: " "), isDigit(raw[9]), isDigit(raw[10]), isDigit(raw[11])
            else {
                throw Error(description: "the backend's answer does not start with an HTTP/1.x status line")
            }
            let version = HTTPVersion(major: Int(raw[5] - 48), minor: Int(raw[7] - 48))
            guard version.major == 1 else { throw Error(description: "the backend answered with HTTP/\(version.major)") }
            let status = Int(raw[9] - 48) * 100 + Int(raw[10] - 48) * 10 + Int(raw[11] - 48)
            var head = Head(
                bytes: bytes, version: version, status: status, contentLength: nil, chunked: false,
                transferEncoded: false, keepAlive: version.minor >= 1, hasHopByHop: false)
            var lineStart = lineEnd(raw, from: 0)!
            while lineStart < raw.count, let end = lineEnd(raw, from: lineStart) {
                var lineEnd = end - 1
                if lineEnd > lineStart, raw[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                defer { lineStart = end }
                if lineEnd == lineStart { break }
                guard raw[lineStart] != UInt8(ascii: " ") && raw[lineStart] != UInt8(ascii: "\t") else {
                    throw Error(description: "the backend's answer folds a header line")
                }
                guard let colon = raw[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")), colon > lineStart else {
                    throw Error(description: "the backend's answer has a header line without a name")
                }
                let name = UnsafeRawBufferPointer(rebasing: raw[lineStart..<colon])
                guard name.allSatisfy(isTokenByte) else {
                    throw Error(description: "the backend's answer has a header name that is not a token")
                }
                guard !raw[colon..<lineEnd].contains(UInt8(ascii: "\r")), !raw[colon..<lineEnd].contains(0) else {
                    throw Error(description: "the backend's answer has a header value with a CR or NUL")
                }
                var valueStart = colon + 1
                var valueEnd = lineEnd
                while valueStart < valueEnd, raw[valueStart] == 32 || raw[valueStart] == 9 { valueStart += 1 }
                while valueEnd > valueStart, raw[valueEnd - 1] == 32 || raw[valueEnd - 1] == 9 { valueEnd -= 1 }
                let value = UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd])
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
            var length = 0
            guard !value.isEmpty, value.count <= 18, value.allSatisfy(isDigit) else {
                throw Error(description: "the backend's answer has an invalid Content-Length")
            }
            for digit in value { length = length * 10 + Int(digit - 48) }
            if let earlier = head.contentLength, earlier != length {
                throw Error(description: "the backend's answer has two different Content-Lengths")
            }
            head.contentLength = length
        case 17 where ProxyHeaders.equalIgnoringCase(name, "transfer-encoding"):
            head.transferEncoded = true
            head.chunked = ProxyHeaders.endsWithChunked(String(decoding: value, as: UTF8.self))
        case 10 where ProxyHeaders.equalIgnoringCase(name, "connection"):
            head.hasHopByHop = true
            for token in String(decoding: value, as: UTF8.self).split(separator: ",") {
                switch token.trimmingSpaces().lowercased() {
                case "close": head.keepAlive = false
                case "keep-alive": head.keepAlive = true
                default: break
                }
            }
        default:
            if ProxyHeaders.isHopByHop(name) { head.hasHopByHop = true }
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// A `tchar` of RFC 9110: what a header name is made of.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 48...57,
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"),
            UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"),
            UInt8(ascii: "+"), UInt8(ascii: "^"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
