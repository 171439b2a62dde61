import Yams

/// The type YAML's implicit rules give an untagged plain scalar, decided by reading its bytes.
///
/// Yams' default resolver runs up to seven regular expressions over every plain scalar, which was a
/// third of `kctl apply`'s CPU. This reads the same rules (Yams' `Resolver.Rule` patterns, in the
/// same order: bool, int, float, merge, null, timestamp, value) by hand and gives the same tag for
/// every string; the tests hold it against `Resolver.default`. It deliberately keeps YAML 1.1's
/// quirks (`yes` is a bool, `012` an int, `1:30` base 60): what the tag then becomes in JSON is
/// `Manifest.scalarValue`'s business, unchanged.
enum PlainScalarTag: Equatable {
    case bool, int, float, merge, null, timestamp, value, str

    /// The tag name Yams uses for this case.
    var name: String {
        switch self {
        case .bool: "tag:yaml.org,2002:bool"
        case .int: "tag:yaml.org,2002:int"
        case .float: "tag:yaml.org,2002:float"
        case .merge: "tag:yaml.org,2002:merge"
        case .null: "tag:yaml.org,2002:null"
        case .timestamp: "tag:yaml.org,2002:timestamp"
        case .value: "tag:yaml.org,2002:value"
        case .str: "tag:yaml.org,2002:str"
        }
    }

    /// The tag of `text` as an untagged plain scalar, or nil when only the regular expressions can
    /// say: their `$` also matches before a line terminator at the very end, which a plain scalar
    /// never has, so that case is left to Yams rather than imitated.
    static func resolve(_ text: String) -> PlainScalarTag? {
        var text = text
        return text.withUTF8 { bytes in
            if let last = bytes.last, (0x0A...0x0D).contains(last) || last >= 0x80 {
                // `\n`, `\v`, `\f`, `\r`, and any non-ASCII ending (U+0085, U+2028 and U+2029 among them).
                return last >= 0x80 && !endsWithLineTerminator(bytes) ? .str : nil
            }
            return resolve(bytes)
        }
    }

    /// The tag Yams' default resolver gives `text` as an untagged plain scalar: the reference, and
    /// the answer where `resolve` returns nil.
    static func resolverTag(of text: String) -> String {
        Resolver.default.resolveTag(of: Yams.Node(text)).rawValue
    }

    static func resolve(_ s: UnsafeBufferPointer<UInt8>) -> PlainScalarTag {
        if s.isEmpty { return .null }
        // Every pattern's first byte is one of these; anything else (most keys and names) is a string.
        switch s[0] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            if isInt(s) { return .int }
            if isFloat(s) { return .float }
            if isTimestamp(s) { return .timestamp }
            return .str
        case UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"),
            UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
            if isBool(s) { return .bool }
            if isNull(s) { return .null }
            return .str
        case UInt8(ascii: "<"):
            return equals(s, "<<") ? .merge : .str
        case UInt8(ascii: "~"):
            return s.count == 1 ? .null : .str
        case UInt8(ascii: "="):
            return s.count == 1 ? .value : .str
        default:
            return .str
        }
    }

    private static func endsWithLineTerminator(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        if n >= 2 && s[n - 2] == 0xC2 && s[n - 1] == 0x85 { return true }  // U+0085
        if n >= 3 && s[n - 3] == 0xE2 && s[n - 2] == 0x80 && (s[n - 1] == 0xA8 || s[n - 1] == 0xA9) { return true }
        return false
    }

    private static func equals(_ s: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard s.count == word.utf8CodeUnitCount else { return false }
        let w = word.utf8Start
        for i in 0..<s.count where s[i] != w[i] { return false }
        return true
    }

    /// `word`, `Word` or `WORD`, as the patterns spell each word out (not `wORD`).
    private static func isWord(_ s: UnsafeBufferPointer<UInt8>, _ lower: StaticString) -> Bool {
        guard s.count == lower.utf8CodeUnitCount else { return false }
        let w = lower.utf8Start
        let capital = s[0] == w[0] &- 32
        guard s[0] == w[0] || capital else { return false }
        if s.count == 1 { return true }
        let upper = capital && s[1] == w[1] &- 32
        for i in 1..<s.count where s[i] != (upper ? w[i] &- 32 : w[i]) { return false }
        return true
    }

    private static func isBool(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        isWord(s, "yes") || isWord(s, "no") || isWord(s, "true") || isWord(s, "false") || isWord(s, "on")
            || isWord(s, "off")
    }

    private static func isNull(_ s: UnsafeBufferPointer<UInt8>) -> Bool { isWord(s, "null") }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    /// Index after an optional `+` or `-`.
    private static func afterSign(_ s: UnsafeBufferPointer<UInt8>) -> Int {
        s[0] == UInt8(ascii: "+") || s[0] == UInt8(ascii: "-") ? 1 : 0
    }

    /// Index after the longest run from `i` whose bytes satisfy `accept`.
    private static func skip(_ s: UnsafeBufferPointer<UInt8>, from i: Int, while accept: (UInt8) -> Bool) -> Int {
        var i = i
        while i < s.count && accept(s[i]) { i += 1 }
        return i
    }

    /// `(?::[0-5]?[0-9])+` from `i` to the end, or (with `thenFraction`) followed by `\.[0-9_]*`.
    private static func isSexagesimalTail(_ s: UnsafeBufferPointer<UInt8>, from start: Int, thenFraction: Bool) -> Bool {
        // Each group is `:` and one or two digits (the first of two at most 5). Groups are
        // unambiguous: a group ends where the next `:` (or the `.`, or the end) is.
        var i = start
        var groups = 0
        while i < s.count && s[i] == UInt8(ascii: ":") {
            let digits = skip(s, from: i + 1, while: isDigit) - (i + 1)
            if digits == 1 {
            } else if digits == 2 && s[i + 1] <= UInt8(ascii: "5") {
            } else {
                return false
            }
            i += 1 + digits
            groups += 1
        }
        guard groups > 0 else { return false }
        if !thenFraction { return i == s.count }
        guard i < s.count && s[i] == UInt8(ascii: ".") else { return false }
        return skip(s, from: i + 1, while: { isDigit($0) || $0 == UInt8(ascii: "_") }) == s.count
    }

    private static func isInt(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = afterSign(s)
        guard start < s.count else { return false }
        let n = s.count
        if s[start] == UInt8(ascii: "0") {
            if start + 1 == n { return true }  // `0`
            let next = s[start + 1]
            if next == UInt8(ascii: "b") {
                return start + 2 < n && skip(s, from: start + 2, while: { $0 == 0x30 || $0 == 0x31 || $0 == 0x5F }) == n
            }
            if next == UInt8(ascii: "x") {
                return start + 2 < n && skip(s, from: start + 2, while: { isHex($0) || $0 == 0x5F }) == n
            }
            let digits = next == UInt8(ascii: "o") ? start + 2 : start + 1
            return digits < n && skip(s, from: digits, while: { ($0 >= 0x30 && $0 <= 0x37) || $0 == 0x5F }) == n
        }
        guard s[start] >= UInt8(ascii: "1") && s[start] <= UInt8(ascii: "9") else { return false }
        let end = skip(s, from: start + 1, while: { isDigit($0) || $0 == 0x5F })
        if end == n { return true }
        return isSexagesimalTail(s, from: end, thenFraction: false)
    }

    private static func isHex(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    /// `[eE][-+]?[0-9]+` (sign optional or required) from `i` to the end.
    private static func isExponent(_ s: UnsafeBufferPointer<UInt8>, from i: Int, signRequired: Bool) -> Bool {
        guard i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") else { return false }
        var j = i + 1
        if j < s.count && (s[j] == UInt8(ascii: "+") || s[j] == UInt8(ascii: "-")) {
            j += 1
        } else if signRequired {
            return false
        }
        return j < s.count && skip(s, from: j, while: isDigit) == s.count
    }

    private static func isFloat(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        let start = afterSign(s)
        guard start < n else { return false }
        if isDigit(s[start]) {
            // `[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?`, or base 60 with a fraction.
            let whole = skip(s, from: start + 1, while: { isDigit($0) || $0 == 0x5F })
            if whole == n { return true }
            if s[whole] == UInt8(ascii: ":") { return isSexagesimalTail(s, from: whole, thenFraction: true) }
            var i = whole
            if s[i] == UInt8(ascii: ".") {
                i = skip(s, from: i + 1, while: { isDigit($0) || $0 == 0x5F })
                if i == n { return true }
            }
            return isExponent(s, from: i, signRequired: false)
        }
        guard s[start] == UInt8(ascii: ".") else { return false }
        let rest = UnsafeBufferPointer(rebasing: s[(start + 1)...])
        if isWord(rest, "inf") { return true }
        guard start == 0 else { return false }  // `.5`, `.nan` take no sign.
        if equals(rest, "nan") || equals(rest, "NaN") || equals(rest, "NAN") { return true }
        // `\.[0-9_]+([eE][-+][0-9]+)?`
        let end = skip(s, from: 1, while: { isDigit($0) || $0 == 0x5F })
        guard end > 1 else { return false }
        return end == n || isExponent(s, from: end, signRequired: true)
    }

    private static func isTimestamp(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        func digits(_ from: Int, _ count: Int) -> Bool {
            from + count <= n && (from..<from + count).allSatisfy { isDigit(s[$0]) }
        }
        guard digits(0, 4), n > 4, s[4] == UInt8(ascii: "-") else { return false }
        // `YYYY-MM-DD` exactly.
        if n == 10 && digits(5, 2) && s[7] == UInt8(ascii: "-") && digits(8, 2) { return true }
        // `YYYY-M(M)-D(D)` then `T`, `t` or blanks, `H(H):MM:SS`, a fraction, a zone.
        var i = 5
        func oneOrTwoDigits() -> Bool {
            guard i < n && isDigit(s[i]) else { return false }
            i += 1
            if i < n && isDigit(s[i]) { i += 1 }
            return true
        }
        func byte(_ c: UInt8) -> Bool {
            guard i < n && s[i] == c else { return false }
            i += 1
            return true
        }
        guard oneOrTwoDigits(), byte(UInt8(ascii: "-")), oneOrTwoDigits(), i < n else { return false }
        if s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: "t") {
            i += 1
        } else {
            let blanks = skip(s, from: i, while: { $0 == 0x20 || $0 == 0x09 })
            guard blanks > i else { return false }
            i = blanks
        }
        guard oneOrTwoDigits(), byte(UInt8(ascii: ":")), digits(i, 2) else { return false }
        i += 2
        guard byte(UInt8(ascii: ":")), digits(i, 2) else { return false }
        i += 2
        if i < n && s[i] == UInt8(ascii: ".") { i = skip(s, from: i + 1, while: isDigit) }
        if i == n { return true }
        // `[ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?)`
        i = skip(s, from: i, while: { $0 == 0x20 || $0 == 0x09 })
        if byte(UInt8(ascii: "Z")) { return i == n }
        guard byte(UInt8(ascii: "+")) || byte(UInt8(ascii: "-")), oneOrTwoDigits() else { return false }
        if i == n { return true }
        guard byte(UInt8(ascii: ":")), digits(i, 2) else { return false }
        return i + 2 == n
    }
}
