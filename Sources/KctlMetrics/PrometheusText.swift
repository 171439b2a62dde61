/// One sample of a Prometheus text exposition: `name{labels} value [timestamp]`, with the type
/// of the family it belongs to (from its `# TYPE` line).
public struct PrometheusSample: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram, summary, untyped
    }

    /// The sample's own name (`http_request_duration_seconds_sum` for a histogram's sum).
    public var name: String
    public var labels: [String: String]
    /// May be NaN or ±Inf, as the format allows.
    public var value: Double
    /// Milliseconds since the epoch, when the exporter wrote one.
    public var timestampMilliseconds: Int64?
    /// The family's type; `untyped` without a `# TYPE` line.
    public var kind: Kind
    /// The family name (`http_request_duration_seconds` for its `_sum`, `_count` and `_bucket`).
    public var family: String

    public init(
        name: String, labels: [String: String] = [:], value: Double, timestampMilliseconds: Int64? = nil,
        kind: Kind = .untyped, family: String? = nil
    ) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.kind = kind
        self.family = family ?? name
    }
}

/// A line the parser could not read. Like Prometheus, one bad line fails the whole scrape: a
/// partly read exposition could silently drop the series the HPA depends on.
public struct PrometheusTextError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based.
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// A parser of the Prometheus text exposition format 0.0.4 (what `/metrics` endpoints serve):
/// `# HELP` and `# TYPE` lines, other comments, labels with `\\`, `\"` and `\n` escapes (and
/// a trailing comma), values including `NaN`, `+Inf` and `-Inf`, and optional timestamps.
///
///     let samples = try PrometheusText.parse("""
///         # TYPE queue_depth gauge
///         queue_depth{queue="orders"} 12
///         """)
///     samples[0].labels["queue"]   // "orders"
///
/// Not handled: OpenMetrics-only syntax (exemplars, `# UNIT`, `_created` series) beyond
/// ignoring `# EOF` and other comments.
public enum PrometheusText {
    public static func parse(_ text: String) throws -> [PrometheusSample] {
        var types: [String: PrometheusSample.Kind] = [:]
        var samples: [PrometheusSample] = []
        var number = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var line = LineReader(bytes: Array(rawLine), number: number)
            line.trimTrailingCarriageReturn()
            line.skipBlanks()
            if line.atEnd { continue }
            if line.peek == UInt8(ascii: "#") {
                if let (name, kind) = try line.typeDeclaration() { types[name] = kind }
                continue
            }
            var sample = try line.sample()
            (sample.kind, sample.family) = family(of: sample.name, types: types)
            samples.append(sample)
        }
        return samples
    }

    /// A sample belongs to the family of its own name, or, for a histogram's `_bucket` and a
    /// histogram's or summary's `_sum` and `_count`, to the family without the suffix.
    static func family(of name: String, types: [String: PrometheusSample.Kind]) -> (PrometheusSample.Kind, String) {
        if let kind = types[name] { return (kind, name) }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            guard let kind = types[base] else { continue }
            if kind == .histogram || (kind == .summary && suffix != "_bucket") { return (kind, base) }
        }
        return (.untyped, name)
    }
}

/// Reads one line, byte by byte.
private struct LineReader {
    let bytes: [UInt8]
    let number: Int
    var position = 0
    var end: Int

    init(bytes: [UInt8], number: Int) {
        self.bytes = bytes
        self.number = number
        self.end = bytes.count
    }

    var atEnd: Bool { position >= end }
    var peek: UInt8? { atEnd ? nil : bytes[position] }

    mutating func trimTrailingCarriageReturn() {
        if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    }

    mutating func skipBlanks() {
        while let byte = peek, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { position += 1 }
    }

    func failure(_ message: String) -> PrometheusTextError {
        PrometheusTextError(line: number, message: message)
    }

    /// A `# TYPE name kind` line's declaration; nil for HELP lines and other comments.
    mutating func typeDeclaration() throws -> (String, PrometheusSample.Kind)? {
        position += 1  // '#'
        skipBlanks()
        guard word() == "TYPE" else { return nil }
        skipBlanks()
        let name = try metricName()
        skipBlanks()
        let kindText = word()
        guard let kind = PrometheusSample.Kind(rawValue: kindText) else {
            throw failure("unknown metric type \"\(kindText)\" for \(name)")
        }
        skipBlanks()
        guard atEnd else { throw failure("unexpected text after the TYPE of \(name)") }
        return (name, kind)
    }

    /// The run of non-blank bytes at the position.
    mutating func word() -> String {
        let start = position
        while let byte = peek, byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func sample() throws -> PrometheusSample {
        let name = try metricName()
        skipBlanks()
        var labels: [String: String] = [:]
        if peek == UInt8(ascii: "{") {
            position += 1
            labels = try labelSet(of: name)
        }
        skipBlanks()
        let valueText = word()
        guard !valueText.isEmpty else { throw failure("\(name) has no value") }
        guard let value = Self.float(valueText) else { throw failure("invalid value \"\(valueText)\" for \(name)") }
        skipBlanks()
        var timestamp: Int64?
        if !atEnd {
            let text = word()
            guard let milliseconds = Int64(text) else { throw failure("invalid timestamp \"\(text)\" for \(name)") }
            timestamp = milliseconds
            skipBlanks()
            guard atEnd else { throw failure("unexpected text after the timestamp of \(name)") }
        }
        return PrometheusSample(name: name, labels: labels, value: value, timestampMilliseconds: timestamp)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    mutating func metricName() throws -> String {
        try identifier(allowColon: true, what: "a metric name")
    }

    mutating func identifier(allowColon: Bool, what: String) throws -> String {
        let start = position
        while let byte = peek {
            let letter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || byte == UInt8(ascii: "_")
                || (allowColon && byte == UInt8(ascii: ":"))
            let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            guard letter || (digit && position > start) else { break }
            position += 1
        }
        guard position > start else {
            let found = peek.map { "'\(String(decoding: [$0], as: UTF8.self))'" } ?? "the end of the line"
            throw failure("expected \(what), found \(found)")
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// `name="value", ...}` after the opening brace; a trailing comma is allowed.
    mutating func labelSet(of metric: String) throws -> [String: String] {
        var labels: [String: String] = [:]
        while true {
            skipBlanks()
            if peek == UInt8(ascii: "}") {
                position += 1
                return labels
            }
            let label = try identifier(allowColon: false, what: "a label name or '}' in the labels of \(metric)")
            skipBlanks()
            guard peek == UInt8(ascii: "=") else { throw failure("expected '=' after the label \(label) of \(metric)") }
            position += 1
            skipBlanks()
            guard peek == UInt8(ascii: "\"") else {
                throw failure("expected a quoted value for the label \(label) of \(metric)")
            }
            position += 1
            let value = try quotedValue(label: label, metric: metric)
            guard labels.updateValue(value, forKey: label) == nil else {
                throw failure("duplicate label \(label) in \(metric)")
            }
            skipBlanks()
            switch peek {
            case UInt8(ascii: ",")?: position += 1
            case UInt8(ascii: "}")?: continue
            default: throw failure("expected ',' or '}' after the label \(label) of \(metric)")
            }
        }
    }

    /// The rest of a label value after its opening quote, unescaped.
    mutating func quotedValue(label: String, metric: String) throws -> String {
        var value: [UInt8] = []
        while let byte = peek {
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = peek else { break }
                position += 1
                switch escaped {
                case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(escaped)
                case UInt8(ascii: "n"): value.append(UInt8(ascii: "\n"))
                default:
                    throw failure(
                        "invalid escape \\\(String(decoding: [escaped], as: UTF8.self)) in the label \(label) of \(metric)")
                }
            default:
                value.append(byte)
            }
        }
        throw failure("unterminated value of the label \(label) of \(metric)")
    }

    /// Go's float syntax as exporters write it: decimals, exponents, `NaN`, `+Inf`, `-Inf`.
    static func float(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": return .nan
        case "+inf", "inf", "+infinity", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default:
            // Double(_:) would also take hexadecimal and "nan(...)" forms; exporters never write those.
            guard text.utf8.allSatisfy({ Self.floatBytes.contains($0) }) else { return nil }
            return Double(text)
        }
    }

    static let floatBytes = Set("0123456789+-.eE".utf8)
}
