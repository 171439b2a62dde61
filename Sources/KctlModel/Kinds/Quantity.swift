/// A Kubernetes resource quantity (`250m`, `1.5`, `128Mi`, `1e3`), held exactly.
///
/// The amount is kept as a sign and a 128-bit count of nano-units (10⁻⁹), so every quantity
/// Kubernetes can write with up to nine decimal places is exact and no floating point is involved.
/// Amounts finer than a nano-unit round up (away from zero), as Kubernetes does. The text a quantity
/// was read from is kept and written back unchanged, so manifests round-trip byte for byte.
///
///     let q = try Quantity("1.5Gi")
///     q.value        // 1610612736
///     try Quantity("250m").milliValue  // 250
public struct Quantity: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The text as written (or a canonical form for quantities built from numbers).
    public let string: String
    /// True when the amount is below zero.
    public let isNegative: Bool
    private let nanos: UInt128Value

    /// Parses Kubernetes quantity text: an optionally signed decimal number followed by a binary-SI
    /// suffix (`Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei`), a decimal-SI suffix (`n`, `u`, `m`, `k`, `M`, `G`,
    /// `T`, `P`, `E`), a decimal exponent (`e3`, `E-2`), or nothing.
    public init(_ text: String) throws {
        let parsed = try QuantityParser.parse(text)
        self.string = text
        self.nanos = parsed.nanos
        self.isNegative = parsed.negative && !parsed.nanos.isZero
    }

    /// A whole number of units (`Quantity(value: 3)` is `3`).
    public init(value: Int64) {
        self.init(nanoMagnitude: UInt128Value(value.magnitude).multiplied(by: 1_000_000_000)!, negative: value < 0)
    }

    /// A number of thousandths (`Quantity(milli: 250)` is `250m`).
    public init(milli: Int64) {
        self.init(nanoMagnitude: UInt128Value(milli.magnitude).multiplied(by: 1_000_000)!, negative: milli < 0)
    }

    private init(nanoMagnitude: UInt128Value, negative: Bool) {
        self.nanos = nanoMagnitude
        self.isNegative = negative && !nanoMagnitude.isZero
        self.string = Quantity.canonical(nanoMagnitude, negative: self.isNegative)
    }

    /// The amount in thousandths, rounded up (away from zero), saturating at the `Int64` range.
    public var milliValue: Int64 { scaled(dividingBy: 1_000_000) }

    /// The amount in whole units, rounded up (away from zero), saturating at the `Int64` range.
    public var value: Int64 { scaled(dividingBy: 1_000_000_000) }

    /// The amount in nano-units when it fits in an `Int64`.
    public var nanoValue: Int64? {
        guard nanos.high == 0, nanos.low <= UInt64(Int64.max) else { return nil }
        return isNegative ? -Int64(nanos.low) : Int64(nanos.low)
    }

    /// A floating-point approximation, for display and ratios only.
    public var doubleValue: Double {
        let magnitude = (Double(nanos.high) * 18_446_744_073_709_551_616.0 + Double(nanos.low)) / 1e9
        return isNegative ? -magnitude : magnitude
    }

    public var isZero: Bool { nanos.isZero }

    /// The canonical text of the amount, without the original spelling: `1`, `250m`, `1500u`, `3n`.
    public var canonicalString: String { Quantity.canonical(nanos, negative: isNegative) }

    public var description: String { string }

    // MARK: Arithmetic

    public static func + (lhs: Quantity, rhs: Quantity) -> Quantity {
        if lhs.isNegative == rhs.isNegative {
            guard let sum = lhs.nanos.adding(rhs.nanos) else {
                return Quantity(nanoMagnitude: .max, negative: lhs.isNegative)
            }
            return Quantity(nanoMagnitude: sum, negative: lhs.isNegative)
        }
        if lhs.nanos >= rhs.nanos {
            return Quantity(nanoMagnitude: lhs.nanos.subtracting(rhs.nanos), negative: lhs.isNegative)
        }
        return Quantity(nanoMagnitude: rhs.nanos.subtracting(lhs.nanos), negative: rhs.isNegative)
    }

    public static prefix func - (q: Quantity) -> Quantity {
        Quantity(nanoMagnitude: q.nanos, negative: !q.isNegative)
    }

    public static func - (lhs: Quantity, rhs: Quantity) -> Quantity { lhs + (-rhs) }

    public static let zero = Quantity(value: 0)

    // MARK: Equality and order (by amount, not spelling)

    public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
        lhs.isNegative == rhs.isNegative && lhs.nanos == rhs.nanos
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(isNegative)
        hasher.combine(nanos)
    }

    public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
        switch (lhs.isNegative, rhs.isNegative) {
        case (true, false): return true
        case (false, true): return false
        case (false, false): return lhs.nanos < rhs.nanos
        case (true, true): return rhs.nanos < lhs.nanos
        }
    }

    // MARK: Codable (a string; a JSON number is accepted on input)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            do { try self.init(text) } catch let error as QuantityError {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        } else if let integer = try? container.decode(Int64.self) {
            try self.init(String(integer))
        } else if let number = try? container.decode(Double.self), number.isFinite {
            do { try self.init(Quantity.text(of: number)) } catch let error as QuantityError {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
            }
        } else {
            throw DecodingError.typeMismatch(
                Quantity.self,
                .init(codingPath: decoder.codingPath, debugDescription: "a quantity must be a string or a number"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(string)
    }

    // MARK: Helpers

    private func scaled(dividingBy divisor: UInt64) -> Int64 {
        let (quotient, remainder) = nanos.quotientAndRemainder(dividingBy: divisor)
        let rounded = remainder == 0 ? quotient : quotient.adding(UInt128Value(1)) ?? .max
        guard rounded.high == 0, rounded.low <= UInt64(Int64.max) else { return isNegative ? .min : .max }
        return isNegative ? -Int64(rounded.low) : Int64(rounded.low)
    }

    /// Shortest decimal text of a Double, without an exponent when it is small.
    private static func text(of number: Double) -> String {
        if number.rounded() == number, abs(number) < 1e18 { return String(Int64(number)) }
        return "\(number)"
    }

    private static func canonical(_ nanos: UInt128Value, negative: Bool) -> String {
        let sign = negative ? "-" : ""
        for (divisor, suffix) in [(UInt64(1_000_000_000), ""), (1_000_000, "m"), (1_000, "u")] {
            let (q, r) = nanos.quotientAndRemainder(dividingBy: divisor)
            if r == 0 { return sign + q.description + suffix }
        }
        return sign + nanos.description + "n"
    }
}

/// Why quantity text was rejected.
public struct QuantityError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$': \(quoted(text)): \(reason)" }
}

private enum QuantityParser {
    struct Parsed {
        var negative: Bool
        var nanos: UInt128Value
    }

    static let binarySuffixes: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
    static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]

    static func parse(_ text: String) throws -> Parsed {
        func fail(_ reason: String) -> QuantityError { QuantityError(text: text, reason: reason) }
        let chars = Array(text.utf8)
        guard !chars.isEmpty else { throw fail("empty quantity") }
        var i = 0
        var negative = false
        if chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") {
            negative = chars[i] == UInt8(ascii: "-")
            i += 1
        }
        var coefficient = UInt128Value(0)
        var digitCount = 0
        var fractionDigits = 0
        var seenPoint = false
        while i < chars.count {
            let c = chars[i]
            if c == UInt8(ascii: ".") {
                if seenPoint { throw fail("more than one decimal point") }
                seenPoint = true
            } else if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                guard let next = coefficient.multiplied(by: 10)?.adding(UInt128Value(UInt64(c - 48))) else {
                    throw fail("too many digits")
                }
                coefficient = next
                digitCount += 1
                if seenPoint { fractionDigits += 1 }
            } else {
                break
            }
            i += 1
        }
        guard digitCount > 0 else { throw fail("no digits") }
        let suffix = String(decoding: chars[i...], as: UTF8.self)
        var power10 = -fractionDigits + 9
        var power2 = 0
        if let bits = binarySuffixes[suffix] {
            power2 = bits
        } else if let exponent = decimalSuffixes[suffix] {
            power10 += exponent
        } else if let first = suffix.first, first == "e" || first == "E" {
            let digits = suffix.dropFirst()
            let body = digits.first == "+" || digits.first == "-" ? digits.dropFirst() : digits
            guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }), body.count <= 4,
                let exponent = Int(digits.first == "+" ? String(body) : String(digits))
            else { throw fail("invalid exponent \(quoted(String(suffix)))") }
            power10 += exponent
        } else {
            throw fail("unknown suffix \(quoted(suffix))")
        }
        var amount = coefficient
        for _ in 0..<power2 {
            guard let next = amount.multiplied(by: 2) else { throw fail("too large") }
            amount = next
        }
        if power10 >= 0 {
            for _ in 0..<power10 {
                guard let next = amount.multiplied(by: 10) else { throw fail("too large") }
                amount = next
            }
        } else {
            var inexact = false
            for _ in 0..<(-power10) {
                let (q, r) = amount.quotientAndRemainder(dividingBy: 10)
                if r != 0 { inexact = true }
                amount = q
                if amount.isZero { break }
            }
            // Below a nano-unit: round up (away from zero), as Kubernetes does.
            if inexact { amount = amount.adding(UInt128Value(1)) ?? .max }
        }
        return Parsed(negative: negative, nanos: amount)
    }
}

/// A minimal unsigned 128-bit integer: just what exact quantities need (the standard `UInt128` needs
/// newer Apple platforms than the package's minimum).
struct UInt128Value: Sendable, Hashable, Comparable, CustomStringConvertible {
    var high: UInt64
    var low: UInt64

    init(_ low: UInt64) {
        self.high = 0
        self.low = low
    }

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    static let max = UInt128Value(high: .max, low: .max)

    var isZero: Bool { high == 0 && low == 0 }

    func adding(_ other: UInt128Value) -> UInt128Value? {
        let (lo, carry) = low.addingReportingOverflow(other.low)
        let (hi1, o1) = high.addingReportingOverflow(other.high)
        let (hi2, o2) = hi1.addingReportingOverflow(carry ? 1 : 0)
        if o1 || o2 { return nil }
        return UInt128Value(high: hi2, low: lo)
    }

    /// `self - other`; the caller guarantees `self >= other`.
    func subtracting(_ other: UInt128Value) -> UInt128Value {
        let (lo, borrow) = low.subtractingReportingOverflow(other.low)
        let hi = high &- other.high &- (borrow ? 1 : 0)
        return UInt128Value(high: hi, low: lo)
    }

    func multiplied(by factor: UInt64) -> UInt128Value? {
        let lowProduct = low.multipliedFullWidth(by: factor)
        let highProduct = high.multipliedFullWidth(by: factor)
        guard highProduct.high == 0 else { return nil }
        let (hi, overflow) = highProduct.low.addingReportingOverflow(lowProduct.high)
        if overflow { return nil }
        return UInt128Value(high: hi, low: lowProduct.low)
    }

    func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt128Value, remainder: UInt64) {
        let (qHigh, rHigh) = high.quotientAndRemainder(dividingBy: divisor)
        let (qLow, rLow) = divisor.dividingFullWidth((high: rHigh, low: low))
        return (UInt128Value(high: qHigh, low: qLow), rLow)
    }

    static func < (lhs: UInt128Value, rhs: UInt128Value) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }

    var description: String {
        if high == 0 { return String(low) }
        var digits: [String] = []
        var rest = self
        let chunk: UInt64 = 10_000_000_000_000_000_000
        while !rest.isZero {
            let (q, r) = rest.quotientAndRemainder(dividingBy: chunk)
            digits.append(String(r))
            rest = q
        }
        var text = digits.removeLast()
        for part in digits.reversed() {
            text += String(repeating: "0", count: 19 - part.count) + part
        }
        return text
    }
}
