import NIOCore
import NIOHTTP1

/// Why bytes are not an HTTP/1.1 message the ingress will pass on, and the status a client's
/// request gets for it.
struct FramingError: Swift.Error, CustomStringConvertible {
    let description: String
    var status: HTTPResponseStatus = .badRequest
}

/// Finds where an HTTP/1.1 message body ends in the bytes as they arrive, for both directions of
/// the ingress: `RequestFramer` and `ResponseFramer` read a head, decide the body's framing, and
/// hand the body to this. It also keeps the bytes of an unfinished head or line between reads.
///
/// Chunks are passed through as received (size lines, extensions and trailers included), one
/// slice of the read buffer per call, or unwrapped to their data. `strictLines` (requests, whose
/// bytes go on as they are) refuses a line that does not end with CRLF: two parsers that split
/// lines differently is how requests get smuggled past a proxy.
struct BodyFramer {
    enum Framing {
        case length(Int)
        case chunked
        /// Until the peer closes (responses only).
        case untilClose
    }

    typealias Error = FramingError

    /// Longest chunk-size line accepted.
    static let maxChunkLineBytes = 4096

    private enum State {
        case none
        case length(remaining: Int)
        case untilClose
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers
    }

    /// Whose bytes these are, for errors ("the backend's answer", "the request").
    let subject: String
    /// Every line ends with CRLF.
    let strictLines: Bool
    /// Largest trailer section accepted.
    let maxTrailerBytes: Int
    private var state = State.none
    private var unwrapChunks = false
    /// Bytes of an unfinished head, chunk-size line, chunk end or trailer section.
    private var pending = ByteBuffer()

    init(subject: String, strictLines: Bool, maxTrailerBytes: Int) {
        self.subject = subject
        self.strictLines = strictLines
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// Whether a body is being read.
    var isReading: Bool {
        if case .none = state { return false }
        return true
    }

    /// Whether the body runs until the peer closes.
    var endsWithClose: Bool {
        if case .untilClose = state { return true }
        return false
    }

    /// Starts a body; false when it is empty (nothing to read).
    mutating func start(_ framing: Framing, unwrapChunks: Bool = false) -> Bool {
        self.unwrapChunks = unwrapChunks
        pending.clear()
        switch framing {
        case .length(0): state = .none
        case .length(let length): state = .length(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
        return isReading
    }

    /// Forgets any body and pending bytes.
    mutating func reset() {
        state = .none
        pending.clear()
    }

    /// Reads body bytes from `buffer`, handing each run of them to `body`; true when the body
    /// ended (the rest of `buffer` is the next message's).
    mutating func feed(_ buffer: inout ByteBuffer, body: (ByteBuffer) -> Void) throws -> Bool {
        // Chunks passed through as received go out as one slice per call, taken from the
        // buffer as it came (the reader index moves past them meanwhile; the storage is shared).
        let received = buffer
        var passStart: Int?
        func flushPassed(_ buffer: ByteBuffer) {
            guard let start = passStart else { return }
            passStart = nil
            let end = buffer.readerIndex
            if end > start { body(received.getSlice(at: start, length: end - start)!) }
        }
        while buffer.readableBytes > 0 {
            switch state {
            case .none:
                return true
            case .length(let remaining):
                let count = min(remaining, buffer.readableBytes)
                body(buffer.readSlice(length: count)!)
                state = count == remaining ? .none : .length(remaining: remaining - count)
                if count == remaining { return true }
            case .untilClose:
                body(buffer.readSlice(length: buffer.readableBytes)!)
            case .chunkSize:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: Self.maxChunkLineBytes, what: "chunk size line") else {
                    flushPassed(buffer)
                    return false
                }
                let size = try chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let count = min(remaining, buffer.readableBytes)
                if unwrapChunks {
                    body(buffer.readSlice(length: count)!)
                } else {
                    if passStart == nil { passStart = buffer.readerIndex }
                    buffer.moveReaderIndex(forwardBy: count)
                }
                state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
            case .chunkDataEnd:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: 2, what: "chunk end") else {
                    flushPassed(buffer)
                    return false
                }
                guard line.readableBytes == 0 else {
                    throw Error(description: "\(subject) has a chunk longer than its size says")
                }
                state = .chunkSize
            case .trailers:
                if !unwrapChunks, passStart == nil { passStart = buffer.readerIndex }
                guard let line = try readLine(&buffer, limit: maxTrailerBytes, what: "trailer section") else {
                    flushPassed(buffer)
                    return false
                }
                if line.readableBytes == 0 {
                    flushPassed(buffer)
                    state = .none
                    return true
                }
                try checkTrailer(line)
            }
        }
        flushPassed(buffer)
        return !isReading
    }

    // MARK: Lines

    /// A line without its line end, or nil (its bytes kept) while it is not complete.
    private mutating func readLine(_ buffer: inout ByteBuffer, limit: Int, what: String) throws -> ByteBuffer? {
        guard var line = try gather(&buffer, limit: limit + 2, what: what, until: HeadLines.lineEnd) else { return nil }
        var length = line.readableBytes - 1
        if length > 0, line.getInteger(at: line.readerIndex + length - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            length -= 1
        } else if strictLines {
            throw Error(description: "\(subject) has a \(what) that does not end with CRLF")
        }
        return line.readSlice(length: length)
    }

    /// The bytes through the end `end` finds, from what is pending and `buffer`; nil while the
    /// end has not come (the bytes are kept, at most `limit`).
    mutating func gather(
        _ buffer: inout ByteBuffer, limit: Int, what: String, until end: (UnsafeRawBufferPointer, Int) -> Int?
    ) throws -> ByteBuffer? {
        if pending.readableBytes == 0 {
            if let length = buffer.withUnsafeReadableBytes({ end($0, 0) }) {
                guard length <= limit else { throw Error(description: "\(subject) has a \(what) over \(limit) bytes") }
                return buffer.readSlice(length: length)
            }
            guard buffer.readableBytes <= limit else {
                throw Error(description: "\(subject) has a \(what) over \(limit) bytes")
            }
            pending.writeImmutableBuffer(buffer)
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return nil
        }
        let before = pending.readableBytes
        // The end may straddle the old bytes and the new: search again from a little before.
        pending.writeImmutableBuffer(buffer)
        guard let length = pending.withUnsafeReadableBytes({ end($0, max(0, before - 3)) }) else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            guard pending.readableBytes <= limit else {
                throw Error(description: "\(subject) has a \(what) over \(limit) bytes")
            }
            return nil
        }
        guard length <= limit else { throw Error(description: "\(subject) has a \(what) over \(limit) bytes") }
        buffer.moveReaderIndex(forwardBy: length - before)
        let bytes = pending.readSlice(length: length)!
        pending = ByteBuffer()
        return bytes
    }

    /// Whether bytes of an unfinished head or line are kept.
    var hasPending: Bool { pending.readableBytes > 0 }

    // MARK: Parsing

    /// The hex size at the start of a chunk-size line; extensions after `;` are passed on, but in
    /// strict mode only when made of field bytes.
    private func chunkSize(_ line: ByteBuffer) throws -> Int {
        var size = 0
        var digits = 0
        for byte in line.readableBytesView {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Error(description: "\(subject) has a chunk size line with no size") }
                if strictLines, !line.readableBytesView.allSatisfy(HeadLines.isFieldByte) {
                    throw Error(description: "\(subject) has a chunk extension with a control byte")
                }
                return size
            default:
                throw Error(description: "\(subject) has a chunk size line with a byte that is not hex: \(byte)")
            }
            digits += 1
            guard digits <= 15 else { throw Error(description: "\(subject) has a chunk size that is too large") }
            size = size << 4 | value
        }
        guard digits > 0 else { throw Error(description: "\(subject) has a chunk size line with no size") }
        return size
    }

    /// In strict mode a trailer line is a field line: a token name, a colon, field bytes.
    private func checkTrailer(_ line: ByteBuffer) throws {
        guard strictLines else { return }
        let view = line.readableBytesView
        guard let colon = view.firstIndex(of: UInt8(ascii: ":")), colon > view.startIndex,
            view[..<colon].allSatisfy(HeadLines.isTokenByte), view[colon...].allSatisfy(HeadLines.isFieldByte)
        else {
            throw Error(description: "\(subject) has a trailer line that is not a field")
        }
    }
}
