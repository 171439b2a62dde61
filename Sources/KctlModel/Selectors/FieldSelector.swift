/// A field selector (`?fieldSelector=metadata.name=web,status.phase!=Running`): equality tests on
/// dotted paths into an object's JSON. A missing field compares as the empty string.
public struct FieldSelector: Sendable, Hashable, CustomStringConvertible {
    public struct Requirement: Sendable, Hashable {
        public var field: String
        /// True for `!=`, false for `=`/`==`.
        public var negated: Bool
        public var value: String

        public init(field: String, negated: Bool = false, value: String) {
            self.field = field
            self.negated = negated
            self.value = value
        }

        public func matches(_ object: KubeObject) -> Bool {
            (FieldSelector.fieldString(object.value.value(atPath: field)) == value) != negated
        }
    }

    public var requirements: [Requirement]

    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// Parses `a.b=v`, `a.b==v`, `a.b!=v` terms separated by commas. In values, `\,`, `\=` and `\\`
    /// escape those characters. The empty string selects everything.
    public static func parse(_ text: String) throws -> FieldSelector {
        var requirements: [Requirement] = []
        for term in try split(text) {
            let trimmed = term.trimmingSpaces
            if trimmed.isEmpty {
                if text.trimmingSpaces.isEmpty { continue }
                throw StatusError.badRequest("invalid field selector \(quoted(text)): empty requirement")
            }
            requirements.append(try parseTerm(trimmed, in: text))
        }
        return FieldSelector(requirements)
    }

    public var isEmpty: Bool { requirements.isEmpty }

    public func matches(_ object: KubeObject) -> Bool {
        requirements.allSatisfy { $0.matches(object) }
    }

    /// The value a selector requires for `field` with `=` (e.g. `metadata.name`), if any: lets a caller
    /// narrow a list before matching.
    public func requiredValue(for field: String) -> String? {
        requirements.first { $0.field == field && !$0.negated }?.value
    }

    public var stringForm: String {
        requirements.map { "\($0.field)\($0.negated ? "!=" : "=")\(FieldSelector.escape($0.value))" }
            .joined(separator: ",")
    }

    public var description: String { stringForm }

    /// The string a JSON value compares as: strings as they are, numbers and booleans as written in
    /// JSON, missing or null as "".
    static func fieldString(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let s)?: return s
        case .bool(let b)?: return b ? "true" : "false"
        case .int(let i)?: return String(i)
        case let other?: return other.serializedString()
        }
    }

    static func escape(_ value: String) -> String {
        var out = ""
        for c in value {
            if c == "\\" || c == "," || c == "=" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Splits on unescaped commas, keeping escapes for the term parser.
    private static func split(_ text: String) throws -> [String] {
        var terms: [String] = []
        var current = ""
        var escaping = false
        for c in text {
            if escaping {
                current.append(c); escaping = false
            } else if c == "\\" {
                current.append(c); escaping = true
            } else if c == "," {
                terms.append(current); current = ""
            } else {
                current.append(c)
            }
        }
        if escaping { throw StatusError.badRequest("invalid field selector \(quoted(text)): trailing backslash") }
        terms.append(current)
        return terms
    }

    private static func parseTerm(_ term: String, in text: String) throws -> Requirement {
        let chars = Array(term)
        var i = 0
        var field = ""
        while i < chars.count, chars[i] != "=", chars[i] != "!" {
            if chars[i] == "\\" {
                throw StatusError.badRequest("invalid field selector \(quoted(text)): escape in field name \(quoted(term))")
            }
            field.append(chars[i]); i += 1
        }
        field = field.trimmingSpaces
        var negated = false
        if i + 1 < chars.count, chars[i] == "!", chars[i + 1] == "=" {
            negated = true; i += 2
        } else if i < chars.count, chars[i] == "=" {
            i += (i + 1 < chars.count && chars[i + 1] == "=") ? 2 : 1
        } else {
            throw StatusError.badRequest(
                "invalid field selector \(quoted(text)): \(quoted(term)) has no operator (=, ==, !=)")
        }
        guard !field.isEmpty else {
            throw StatusError.badRequest("invalid field selector \(quoted(text)): \(quoted(term)) has no field name")
        }
        var value = ""
        var escaping = false
        while i < chars.count {
            let c = chars[i]
            if escaping {
                value.append(c); escaping = false
            } else if c == "\\" {
                escaping = true
            } else if c == "=" {
                throw StatusError.badRequest(
                    "invalid field selector \(quoted(text)): \(quoted(term)) has an unescaped '=' in its value")
            } else {
                value.append(c)
            }
            i += 1
        }
        return Requirement(field: field, negated: negated, value: value.trimmingSpaces)
    }
}

extension String {
    /// The text without leading and trailing spaces, tabs and newlines.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
