/// A field that holds a number or a string (`targetPort: 8080` or `targetPort: http`,
/// `maxSurge: 1` or `maxSurge: "25%"`).
public enum IntOrString: Codable, Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int32.self) {
            self = .int(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            throw DecodingError.typeMismatch(
                IntOrString.self,
                .init(codingPath: decoder.codingPath, debugDescription: "expected an integer or a string"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        }
    }

    public var description: String {
        switch self {
        case .int(let number): return String(number)
        case .string(let text): return text
        }
    }

    public var intValue: Int32? { if case .int(let n) = self { return n }; return nil }
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    /// The percentage when the value is a string like `"25%"`.
    public var percent: Int? {
        guard case .string(let text) = self, text.hasSuffix("%"), let value = Int(text.dropLast()) else { return nil }
        return value
    }

    /// Resolves a count against `total`: an integer as is, a percentage of `total` rounded up or down
    /// (as `maxSurge` rounds up and `maxUnavailable` rounds down). Nil for a non-percent string.
    public func scaledValue(total: Int, roundUp: Bool) -> Int? {
        switch self {
        case .int(let number): return Int(number)
        case .string:
            guard let percent else { return nil }
            let product = percent * total
            if roundUp { return (product + 99) / 100 }
            return product / 100
        }
    }
}
