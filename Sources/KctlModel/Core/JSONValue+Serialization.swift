import Foundation

/// Compact JSON reading and writing for `JSONValue`. Objects are written with sorted keys, so the
/// same object always has the same bytes (the store compares them, and `-o json` reads well).
extension JSONValue {
    /// Parses JSON text. Errors carry the byte offset, so a bad manifest points at the spot.
    public static func parse(_ data: some Collection<UInt8>) throws -> JSONValue {
        if let value = try data.withContiguousStorageIfAvailable({ try parse(buffer: $0) }) { return value }
        return try Array(data).withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    /// `parse` for the common case, callable from other modules without generic dispatch.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try bytes.withUnsafeBufferPointer { try parse(buffer: $0) }
    }

    /// `parse` of bytes in memory the caller owns for the duration of the call.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> JSONValue {
        try parse(buffer: bytes.assumingMemoryBound(to: UInt8.self))
    }

    private static func parse(buffer bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws -> JSONValue { try parse(Array(text.utf8)) }

    /// Serializes to compact JSON with sorted keys.
    public func serialized(pretty: Bool = false) -> [UInt8] {
        var out = JSONBytes(capacity: 512)
        write(to: &out, pretty: pretty, indent: 0)
        return out.finish()
    }

    public func serializedData(pretty: Bool = false) -> Data { Data(serialized(pretty: pretty)) }

    public func serializedString(pretty: Bool = false) -> String {
        String(decoding: serialized(pretty: pretty), as: UTF8.self)
    }

    private func write(to out: inout JSONBytes, pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .int(let i): out.appendInteger(i)
        case .double(let d):
            if d.isFinite, d.rounded() == d, abs(d) < 1e15 {
                out.appendInteger(Int64(d))
            } else if d.isFinite {
                out.appendQuotedOrPlain("\(d)", quoted: false)
            } else {
                out.append("null")
            }
        case .string(let s): out.appendQuotedOrPlain(s, quoted: true)
        case .array(let a):
            if a.isEmpty { out.append("[]"); return }
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if pretty { out.newline(indent + 2) }
                v.write(to: &out, pretty: pretty, indent: indent + 2)
            }
            if pretty { out.newline(indent) }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { out.append("{}"); return }
            out.append(UInt8(ascii: "{"))
            if o.count == 1, let member = o.first {
                JSONValue.writeMember(member, first: true, to: &out, pretty: pretty, indent: indent)
            } else {
                // Sorting the pairs, not the keys, saves hashing every key again to find its value;
                // sorting them in a temporary buffer saves allocating an array per object.
                withUnsafeTemporaryAllocation(of: (key: String, value: JSONValue).self, capacity: o.count) { buffer in
                    var count = 0
                    for member in o {
                        (buffer.baseAddress! + count).initialize(to: member)
                        count += 1
                    }
                    var members = UnsafeMutableBufferPointer(rebasing: buffer[..<count])
                    members.sort { $0.key < $1.key }
                    for index in members.indices {
                        JSONValue.writeMember(members[index], first: index == 0, to: &out, pretty: pretty, indent: indent)
                    }
                    _ = members.deinitialize()
                }
            }
            if pretty { out.newline(indent) }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func writeMember(
        _ member: (key: String, value: JSONValue), first: Bool, to out: inout JSONBytes, pretty: Bool, indent: Int
    ) {
        if !first { out.append(UInt8(ascii: ",")) }
        if pretty { out.newline(indent + 2) }
        out.appendQuotedOrPlain(member.key, quoted: true)
        out.append(UInt8(ascii: ":"))
        if pretty { out.append(UInt8(ascii: " ")) }
        member.value.write(to: &out, pretty: pretty, indent: indent + 2)
    }

    static func writeString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, to: &out) }
    }

    /// Appends `text` as a JSON string (quoted and escaped as `serialized` writes it): for code
    /// that writes a document's bytes itself rather than building a `JSONValue` to serialize.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) { writeString(text, to: &out) }

    /// `appendQuoted` of text given as UTF-8 bytes.
    public static func appendQuoted(utf8 text: [UInt8], to out: inout [UInt8]) {
        text.withUnsafeBufferPointer { writeString(utf8: $0, to: &out) }
    }

    /// Ends a JSON string whose opening quote is at `out[start - 1]` and whose text, UTF-8,
    /// was appended as it is from `start` on: escapes that text where it needs it, then adds
    /// the closing quote. For text written straight into `out` that nearly never needs escaping.
    public static func closeQuoted(from start: Int, in out: inout [UInt8]) {
        let plain = out.withUnsafeBufferPointer { bytes in
            UnsafeBufferPointer(rebasing: bytes[start...]).allSatisfy(JSONText.isPlain)
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        let text = Array(out[start...])
        out.removeSubrange((start - 1)...)
        appendQuoted(utf8: text, to: &out)
    }

    private static func writeString(utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Copy runs of bytes that need no escape in one go; escape the rest one by one.
        var run = 0
        for i in utf8.indices {
            let b = utf8[i]
            if JSONText.isPlain(b) { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
            run = i + 1
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { escape in
                let length = JSONText.writeEscape(b, at: escape.baseAddress!)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: escape[..<length]))
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        out.append(UInt8(ascii: "\""))
    }
}

/// Thrown for text that is not JSON.
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
    public var offset: Int
    public var reason: String
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

/// Reads from a buffer that outlives it (`parse(buffer:)` keeps the bytes alive meanwhile).
private struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    /// Members of the objects being parsed, innermost last (see `parseObject`).
    var members: [(String, JSONValue)] = []
    static let maxDepth = 512

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func error(_ reason: String) -> JSONParseError { JSONParseError(offset: index, reason: reason) }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 32, 9, 10, 13: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw error("nested too deeply") }
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(bytes[index])))'")
        }
    }

    mutating func expect(_ word: String) throws {
        for b in word.utf8 {
            guard index < bytes.count, bytes[index] == b else { throw error("expected '\(word)'") }
            index += 1
        }
    }

    mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object([:]) }
        // Members wait on a stack shared by all nesting levels, so the dictionary is made once at
        // its final size: growing it one member at a time would hash every key again per resize.
        let base = members.count
        defer { members.removeSubrange(base...) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                var object = [String: JSONValue](minimumCapacity: members.count - base)
                // In order, so that of repeated keys the last one wins.
                for i in base..<members.count { object[members[i].0] = members[i].1 }
                return .object(object)
            }
            throw error("expected ',' or '}'")
        }
    }

    mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(array) }
            throw error("expected ',' or ']'")
        }
    }

    mutating func parseString() throws -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 32 { throw error("control character in string") }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { index += 1; return String(decoding: out, as: UTF8.self) }
            if b < 32 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") {
                // Copy the run up to the next escape, quote or control character in one go.
                let run = index
                index += 1
                while index < bytes.count, bytes[index] >= 32, bytes[index] != UInt8(ascii: "\""),
                    bytes[index] != UInt8(ascii: "\\")
                {
                    index += 1
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): out.append(34)
            case UInt8(ascii: "\\"): out.append(92)
            case UInt8(ascii: "/"): out.append(47)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == 92, bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid unicode escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("short unicode escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            index += 1
            v <<= 4
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v |= UInt32(b - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v |= UInt32(b - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v |= UInt32(b - 55)
            default: throw error("invalid hex digit")
            }
        }
        return v
    }

    mutating func parseNumber() throws -> JSONValue {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        while index < bytes.count {
            let b = bytes[index]
            if b >= 48 && b <= 57 { index += 1; continue }
            if b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
            {
                isInteger = false; index += 1; continue
            }
            break
        }
        // Integers of up to 18 digits cannot overflow: read them without making a String.
        let digits = index - start - (bytes[start] == UInt8(ascii: "-") ? 1 : 0)
        if isInteger, digits > 0, digits <= 18, digits == 1 || bytes[index - digits] != UInt8(ascii: "0") {
            var value: Int64 = 0
            for b in bytes[(index - digits)..<index] { value = value * 10 + Int64(b - 48) }
            return .int(bytes[start] == UInt8(ascii: "-") ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard Self.isNumber(bytes[start..<index]) else {
            throw JSONParseError(offset: start, reason: "invalid number '\(text)'")
        }
        if isInteger, let i = Int64(text) { return .int(i) }
        // A finite double or nothing: infinity has no JSON form and would be written back as null.
        guard let d = Double(text), d.isFinite else {
            throw JSONParseError(offset: start, reason: "number '\(text)' is out of range")
        }
        return .double(d)
    }

    /// RFC 8259's number grammar, `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, which
    /// is stricter than what `Double` and `Int64` accept (`01`, `1.`, `1e+`).
    private static func isNumber(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var i = bytes.startIndex
        func digits() -> Int {
            let from = i
            while i < bytes.endIndex, bytes[i] >= 48, bytes[i] <= 57 { i += 1 }
            return i - from
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let integer = digits()
        guard integer == 1 || (integer > 1 && bytes[i - integer] != UInt8(ascii: "0")) else { return false }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { return false }
        }
        if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == bytes.endIndex
    }
}

/// The serializer's output: bytes appended without the checks of an Array append (uniqueness,
/// growth one call at a time), in room made once per string or number. A serialized pod is a
/// few KiB; the store serializes every object it writes.
private struct JSONBytes {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    /// The bytes written, as an array; frees the buffer (the writer is not used after).
    mutating func finish() -> [UInt8] {
        let bytes = Array(UnsafeBufferPointer(start: base, count: count))
        base.deallocate()
        count = 0
        capacity = 0
        return bytes
    }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    private mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = max(capacity * 2, 64)
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    mutating func append(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount)
        (base + count).initialize(from: text.utf8Start, count: text.utf8CodeUnitCount)
        count += text.utf8CodeUnitCount
    }

    mutating func newline(_ indent: Int) {
        reserve(indent + 1)
        base[count] = UInt8(ascii: "\n")
        (base + count + 1).initialize(repeating: UInt8(ascii: " "), count: indent)
        count += indent + 1
    }

    /// The decimal digits of `value`.
    mutating func appendInteger(_ value: Int64) {
        reserve(20)
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        count += JSONText.writeDecimal(value.magnitude, at: base + count)
    }

    /// `text` as a JSON string (quoted, escaped as `JSONValue.appendQuoted` escapes), or as it is.
    mutating func appendQuotedOrPlain(_ text: String, quoted: Bool) {
        var text = text
        text.withUTF8 { utf8 in
            guard quoted else {
                reserve(utf8.count)
                if let source = utf8.baseAddress { (base + count).initialize(from: source, count: utf8.count) }
                count += utf8.count
                return
            }
            // At most 6 bytes a byte (\u00XX) and the quotes.
            reserve(utf8.count * 6 + 2)
            var j = count
            base[j] = UInt8(ascii: "\"")
            j += 1
            for b in utf8 {
                if JSONText.isPlain(b) {
                    base[j] = b
                    j += 1
                } else {
                    j += JSONText.writeEscape(b, at: base + j)
                }
            }
            base[j] = UInt8(ascii: "\"")
            count = j + 1
        }
    }

}

/// The byte rules both JSON writers (`JSONBytes`, and `appendQuoted`/`appendDecimal` on byte
/// arrays) share: which string bytes are escaped and how, and an integer's digits.
private enum JSONText {
    /// Whether `byte` goes into a JSON string as it is.
    @inline(__always)
    static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 32 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }

    /// Writes the escape of a byte that is not plain at `out` (room for 6 bytes); returns its length.
    @inline(__always)
    static func writeEscape(_ byte: UInt8, at out: UnsafeMutablePointer<UInt8>) -> Int {
        out[0] = UInt8(ascii: "\\")
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out[1] = byte
        case 10: out[1] = UInt8(ascii: "n")
        case 13: out[1] = UInt8(ascii: "r")
        case 9: out[1] = UInt8(ascii: "t")
        default:
            out[1] = UInt8(ascii: "u")
            out[2] = 48
            out[3] = 48
            out[4] = hexDigit(byte >> 4)
            out[5] = hexDigit(byte & 15)
            return 6
        }
        return 2
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 48 + nibble : 87 + nibble }

    /// Writes the decimal digits of `magnitude` at `out` (room for 20 bytes); returns how many.
    @inline(__always)
    static func writeDecimal<T: UnsignedInteger>(_ magnitude: T, at out: UnsafeMutablePointer<UInt8>) -> Int {
        var value = UInt64(magnitude)
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        var index = digits
        repeat {
            index -= 1
            out[index] = UInt8(truncatingIfNeeded: 48 + value % 10)
            value /= 10
        } while value > 0
        return digits
    }
}

extension Array where Element == UInt8 {
    /// Appends the decimal digits of `value`, as `String(value)` has them, without making a
    /// String (the scheduler's decision record holds a few hundred numbers, nearly all below 1000).
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 { append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        if magnitude < 10 {
            append(UInt8(truncatingIfNeeded: 48 + magnitude))
            return
        }
        // 20 digits hold UInt64.max.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            let digits = JSONText.writeDecimal(magnitude, at: buffer.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<digits]))
        }
    }
}
