#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The line rules both of the ingress' framers read heads by: where lines and heads end, what a
/// header name and value may hold, and each header field of a head in turn.
enum HeadLines {
    /// The length through the first `\n`, searching from `from`.
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        index(of: UInt8(ascii: "\n"), in: bytes, from: from, to: bytes.count).map { $0 + 1 }
    }

    /// The length through the blank line that ends a head (`\n\n` or `\n\r\n`), searching from `from`.
    static func headEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> Int? {
        var index = from
        while let newline = Self.index(of: UInt8(ascii: "\n"), in: bytes, from: index, to: bytes.count) {
            let next = newline + 1
            if next < bytes.count, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
            if next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") {
                return next + 2
            }
            index = next
        }
        return nil
    }

    /// Calls `field` with the name and the value (without the spaces around it) of each header
    /// line from `start` to the blank line. Refused: a folded line, a name that is not a token
    /// (space before the colon included), a control byte in a value, and with `strictLines` a
    /// line that does not end with CRLF (else a bare LF ends one too).
    static func forEachField(
        in raw: UnsafeRawBufferPointer, from start: Int, subject: String, strictLines: Bool,
        _ field: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var lineStart = start
        while lineStart < raw.count, let end = lineEnd(raw, from: lineStart) {
            let lineEnd = try contentEnd(raw, lineStart: lineStart, end: end, subject: subject, strictLines: strictLines)
            defer { lineStart = end }
            if lineEnd == lineStart { return }
            guard raw[lineStart] != UInt8(ascii: " ") && raw[lineStart] != UInt8(ascii: "\t") else {
                throw FramingError(description: "\(subject) folds a header line")
            }
            guard let colon = index(of: UInt8(ascii: ":"), in: raw, from: lineStart, to: lineEnd), colon > lineStart else {
                throw FramingError(description: "\(subject) has a header line without a name")
            }
            let name = UnsafeRawBufferPointer(rebasing: raw[lineStart..<colon])
            guard name.allSatisfy(isTokenByte) else {
                throw FramingError(description: "\(subject) has a header name that is not a token")
            }
            guard raw[(colon + 1)..<lineEnd].allSatisfy(isFieldByte) else {
                throw FramingError(
                    description: "\(subject) has a control byte (such as CR or NUL) in header \(String(decoding: name, as: UTF8.self))")
            }
            var valueStart = colon + 1
            var valueEnd = lineEnd
            while valueStart < valueEnd, raw[valueStart] == 32 || raw[valueStart] == 9 { valueStart += 1 }
            while valueEnd > valueStart, raw[valueEnd - 1] == 32 || raw[valueEnd - 1] == 9 { valueEnd -= 1 }
            try field(name, UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd]))
        }
    }

    /// A `Content-Length` value: digits only, and the same as an earlier one if there was one
    /// (two different lengths are how messages get smuggled).
    static func contentLength(_ value: UnsafeRawBufferPointer, earlier: Int?, subject: String) throws -> Int {
        guard !value.isEmpty, value.count <= 18, value.allSatisfy(isDigit) else {
            throw FramingError(description: "\(subject) has an invalid Content-Length")
        }
        var length = 0
        for digit in value { length = length * 10 + Int(digit - 48) }
        if let earlier, earlier != length {
            throw FramingError(description: "\(subject) has two different Content-Lengths")
        }
        return length
    }

    /// A comma-separated field value's elements (`Connection`, `Transfer-Encoding`,
    /// `X-Forwarded-For`), each without the spaces and tabs around it; one that holds only
    /// whitespace comes out empty.
    static func listElements(_ value: some Collection<UInt8>) -> [String] {
        String(decoding: value, as: UTF8.self).split(separator: ",").map { $0.trimmingSpaces() }
    }

    /// Where a line's content ends: before its CRLF (or with lenient lines, a bare LF).
    static func contentEnd(
        _ raw: UnsafeRawBufferPointer, lineStart: Int, end: Int, subject: String, strictLines: Bool
    ) throws -> Int {
        if end - 2 >= lineStart, raw[end - 2] == UInt8(ascii: "\r") { return end - 2 }
        guard !strictLines else { throw FramingError(description: "\(subject) has a line that does not end with CRLF") }
        return end - 1
    }

    /// Where `byte` first is in `bytes[from..<to]` (`memchr`: heads are scanned for every request).
    static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to, let base = bytes.baseAddress, let found = memchr(base + from, Int32(byte), to - from) else {
            return nil
        }
        return base.distance(to: UnsafeRawPointer(found))
    }

    static func isDigit(_ byte: UInt8) -> Bool { (48...57).contains(byte) }

    /// A byte a field value may hold (RFC 9110 5.5): visible ASCII, space, tab, and bytes above
    /// ASCII; no other control byte.
    static func isFieldByte(_ byte: UInt8) -> Bool {
        byte == 9 || (32...126).contains(byte) || byte >= 128
    }

    /// A `tchar` of RFC 9110: what a header name and a method are made of.
    static func isTokenByte(_ byte: UInt8) -> Bool {
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
