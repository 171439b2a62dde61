/// Parsing the string form of a label selector (`app=chat,env in (a,b),!legacy`), matching label
/// sets, rendering the string form back, and validating typed selectors from manifests.
extension LabelSelector {
    /// Parses a selector as `kubectl -l` and `?labelSelector=` write it.
    ///
    /// Supported: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k` (exists), `!k` (does not exist),
    /// separated by commas, with any whitespace around tokens. The empty string selects everything.
    ///
    ///     let s = try LabelSelector.parse("app=chat, tier!=db")
    ///     s.matches(["app": "chat"])   // true
    public static func parse(_ text: String) throws -> LabelSelector {
        var parser = SelectorParser(text: text)
        return try parser.parse()
    }

    /// True when no requirement is set: the selector matches every label set.
    public var isEmpty: Bool {
        (matchLabels ?? [:]).isEmpty && (matchExpressions ?? []).isEmpty
    }

    /// Whether `labels` satisfies every `matchLabels` entry and every expression.
    /// `NotIn` and `DoesNotExist` hold when the key is absent, as in Kubernetes.
    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels ?? [:] where labels[key] != value { return false }
        for requirement in matchExpressions ?? [] where !requirement.matches(labels) { return false }
        return true
    }

    /// Whether a selector given as a plain label map (as in `Service.spec.selector`) matches `labels`.
    /// An empty map matches everything; callers that want "nothing" for an empty selector check first.
    public static func labelsMatch(_ selector: [String: String], _ labels: [String: String]) -> Bool {
        selector.allSatisfy { labels[$0.key] == $0.value }
    }

    /// The canonical string form: `matchLabels` sorted by key, then expressions in order.
    /// A one-value `NotIn` is written `k!=v`; `parse(stringForm)` gives an equivalent selector.
    public var stringForm: String {
        var parts = (matchLabels ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        for requirement in matchExpressions ?? [] {
            parts.append(requirement.stringForm)
        }
        return parts.joined(separator: ",")
    }

    /// Checks a typed selector (from a manifest) and returns one cause per problem, with field paths
    /// under `path` (`spec.selector.matchLabels`, `spec.selector.matchExpressions[0].values`).
    public func validate(path: String) -> [StatusError.Cause] {
        var causes: [StatusError.Cause] = []
        for (key, value) in (matchLabels ?? [:]).sorted(by: { $0.key < $1.key }) {
            for message in NameValidation.qualifiedName(key) {
                causes.append(.invalidValue(key, message, field: "\(path).matchLabels"))
            }
            for message in NameValidation.labelValue(value) {
                causes.append(.invalidValue(value, message, field: "\(path).matchLabels"))
            }
        }
        for (index, requirement) in (matchExpressions ?? []).enumerated() {
            let base = "\(path).matchExpressions[\(index)]"
            for message in NameValidation.qualifiedName(requirement.key) {
                causes.append(.invalidValue(requirement.key, message, field: "\(base).key"))
            }
            let values = requirement.values ?? []
            switch requirement.operator {
            case .in, .notIn:
                if values.isEmpty {
                    causes.append(
                        StatusError.Cause(
                            reason: "FieldValueRequired",
                            message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
                            field: "\(base).values"))
                }
            case .exists, .doesNotExist:
                if !values.isEmpty {
                    causes.append(
                        StatusError.Cause(
                            reason: "FieldValueForbidden",
                            message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                            field: "\(base).values"))
                }
            }
            for (vIndex, value) in values.enumerated() {
                for message in NameValidation.labelValue(value) {
                    causes.append(.invalidValue(value, message, field: "\(base).values[\(vIndex)]"))
                }
            }
        }
        return causes
    }
}

extension LabelSelector.Requirement {
    /// Whether one label set satisfies this requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        let value = labels[key]
        switch `operator` {
        case .in:
            guard let value else { return false }
            return (values ?? []).contains(value)
        case .notIn:
            guard let value else { return true }
            return !(values ?? []).contains(value)
        case .exists:
            return value != nil
        case .doesNotExist:
            return value == nil
        }
    }

    /// The requirement in the selector string form.
    public var stringForm: String {
        let list = (values ?? []).joined(separator: ",")
        switch `operator` {
        case .in: return "\(key) in (\(list))"
        case .notIn: return (values ?? []).count == 1 ? "\(key)!=\(list)" : "\(key) notin (\(list))"
        case .exists: return key
        case .doesNotExist: return "!\(key)"
        }
    }
}

extension StatusError.Cause {
    /// A `FieldValueInvalid` cause written as Kubernetes does: `Invalid value: "x": <detail>`.
    static func invalidValue(_ value: String, _ detail: String, field: String) -> StatusError.Cause {
        StatusError.Cause(
            reason: "FieldValueInvalid", message: "Invalid value: \(quoted(value)): \(detail)", field: field)
    }
}

/// Writes a string with Go-style `%q` quoting, as Kubernetes messages show values.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 32 {
                out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// A small tokenizer and recursive-descent parser for the label selector string form.
private struct SelectorParser {
    enum Token: Equatable {
        case identifier(String)
        case equals  // = or ==
        case notEquals  // !=
        case bang  // !
        case open  // (
        case close  // )
        case comma
        case end
    }

    let text: String
    private var tokens: [Token] = []
    private var position = 0

    init(text: String) { self.text = text }

    mutating func parse() throws -> LabelSelector {
        tokens = try tokenize()
        var matchLabels: [String: String] = [:]
        var expressions: [LabelSelector.Requirement] = []
        if tokens == [.end] { return LabelSelector() }
        while true {
            let requirement = try parseRequirement()
            if requirement.operator == .in, let values = requirement.values, values.count == 1,
                requirement.isEquality, matchLabels[requirement.key] == nil
            {
                matchLabels[requirement.key] = values[0]
            } else {
                expressions.append(requirement.plain)
            }
            switch next() {
            case .comma: continue
            case .end:
                return LabelSelector(
                    matchLabels: matchLabels.isEmpty ? nil : matchLabels,
                    matchExpressions: expressions.isEmpty ? nil : expressions)
            case let token: throw failure("expected ',' or the end after a requirement, found \(describe(token))")
            }
        }
    }

    private struct ParsedRequirement {
        var key: String
        var `operator`: LabelSelector.Requirement.Operator
        var values: [String]?
        var isEquality: Bool
        var plain: LabelSelector.Requirement { .init(key: key, operator: `operator`, values: values) }
    }

    private mutating func parseRequirement() throws -> ParsedRequirement {
        if peek() == .bang {
            position += 1
            let key = try parseKey()
            return ParsedRequirement(key: key, operator: .doesNotExist, values: nil, isEquality: false)
        }
        let key = try parseKey()
        switch peek() {
        case .comma, .end:
            return ParsedRequirement(key: key, operator: .exists, values: nil, isEquality: false)
        case .equals:
            position += 1
            return ParsedRequirement(key: key, operator: .in, values: [try parseValue()], isEquality: true)
        case .notEquals:
            position += 1
            return ParsedRequirement(key: key, operator: .notIn, values: [try parseValue()], isEquality: true)
        case .identifier("in"):
            position += 1
            return ParsedRequirement(key: key, operator: .in, values: try parseSet(key), isEquality: false)
        case .identifier("notin"):
            position += 1
            return ParsedRequirement(key: key, operator: .notIn, values: try parseSet(key), isEquality: false)
        case let token:
            throw failure("expected an operator (=, ==, !=, in, notin) after \(quoted(key)), found \(describe(token))")
        }
    }

    private mutating func parseKey() throws -> String {
        let token = next()
        guard case .identifier(let key) = token else {
            throw failure("expected a label key, found \(describe(token))")
        }
        let problems = NameValidation.qualifiedName(key)
        if let problem = problems.first {
            throw failure("invalid label key \(quoted(key)): \(problem)")
        }
        return key
    }

    /// A value after `=`/`!=`; may be empty (`app=`).
    private mutating func parseValue() throws -> String {
        var value = ""
        if case .identifier(let v) = peek() {
            position += 1
            value = v
        } else if peek() != .comma && peek() != .end {
            throw failure("expected a label value, found \(describe(peek()))")
        }
        try checkValue(value)
        return value
    }

    private mutating func parseSet(_ key: String) throws -> [String] {
        guard next() == .open else { throw failure("expected '(' after 'in'/'notin' for \(quoted(key))") }
        var values: [String] = []
        while true {
            var value = ""
            if case .identifier(let v) = peek() {
                position += 1
                value = v
            }
            try checkValue(value)
            values.append(value)
            switch next() {
            case .comma: continue
            case .close: return values
            case let token: throw failure("expected ',' or ')' in the value set of \(quoted(key)), found \(describe(token))")
            }
        }
    }

    private func checkValue(_ value: String) throws {
        if let problem = NameValidation.labelValue(value).first {
            throw failure("invalid label value \(quoted(value)): \(problem)")
        }
    }

    private func peek() -> Token { tokens[position] }

    private mutating func next() -> Token {
        let token = tokens[position]
        if token != .end { position += 1 }
        return token
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .identifier(let s): return quoted(s)
        case .equals: return "'='"
        case .notEquals: return "'!='"
        case .bang: return "'!'"
        case .open: return "'('"
        case .close: return "')'"
        case .comma: return "','"
        case .end: return "the end"
        }
    }

    private func failure(_ detail: String) -> StatusError {
        StatusError.badRequest("unable to parse label selector \(quoted(text)): \(detail)")
    }

    private func tokenize() throws -> [Token] {
        var result: [Token] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case " ", "\t", "\n", "\r":
                i += 1
            case ",":
                result.append(.comma); i += 1
            case "(":
                result.append(.open); i += 1
            case ")":
                result.append(.close); i += 1
            case "=":
                result.append(.equals)
                i += (i + 1 < chars.count && chars[i + 1] == "=") ? 2 : 1
            case "!":
                if i + 1 < chars.count && chars[i + 1] == "=" {
                    result.append(.notEquals); i += 2
                } else {
                    result.append(.bang); i += 1
                }
            default:
                var word = ""
                while i < chars.count, !" \t\n\r,()=!".contains(chars[i]) {
                    word.append(chars[i]); i += 1
                }
                result.append(.identifier(word))
            }
        }
        result.append(.end)
        return result
    }
}
