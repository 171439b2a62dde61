import Yams

extension Manifest {
    /// Renders a value as YAML the way `kubectl get -o yaml` does: keys sorted, block style, sequences
    /// inside mappings not indented, multi-line strings as `|` blocks, and strings quoted only when they
    /// would otherwise read back as something else (`"8080"`, `"true"`, `""`, `"a: b"`).
    public static func yaml(_ value: JSONValue) -> String {
        var writer = YAMLWriter()
        writer.write(value)
        return writer.output
    }

    /// Several objects as one multi-document YAML stream, separated by `---`.
    public static func yaml(documents values: [JSONValue]) -> String {
        values.map { yaml($0) }.joined(separator: "---\n")
    }
}

private struct YAMLWriter {
    var output = ""

    mutating func write(_ value: JSONValue) {
        switch value {
        case .object(let object) where !object.isEmpty: mapping(object, indent: 0)
        case .array(let items) where !items.isEmpty: sequence(items, indent: 0)
        default:
            if case .string(let text) = value, let block = YAMLWriter.block(text, indent: 0) {
                output += block.header + "\n" + block.body
            } else {
                output += YAMLWriter.inline(value) + "\n"
            }
        }
    }

    private mutating func mapping(_ object: [String: JSONValue], indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for key in object.keys.sorted() {
            let value = object[key]!
            let prefix = pad + YAMLWriter.scalarText(key) + ":"
            switch value {
            case .object(let child) where !child.isEmpty:
                output += prefix + "\n"
                mapping(child, indent: indent + 2)
            case .array(let items) where !items.isEmpty:
                output += prefix + "\n"
                sequence(items, indent: indent)
            case .string(let text):
                if let block = YAMLWriter.block(text, indent: indent + 2) {
                    output += prefix + " " + block.header + "\n" + block.body
                } else {
                    output += prefix + " " + YAMLWriter.scalarText(text) + "\n"
                }
            default:
                output += prefix + " " + YAMLWriter.inline(value) + "\n"
            }
        }
    }

    private mutating func sequence(_ items: [JSONValue], indent: Int) {
        let pad = String(repeating: " ", count: indent)
        for item in items {
            switch item {
            case .object(let child) where !child.isEmpty:
                // The first key goes on the dash line; the rest align under it.
                var nested = YAMLWriter()
                nested.mapping(child, indent: indent + 2)
                var text = nested.output
                text.replaceSubrange(
                    text.startIndex..<text.index(text.startIndex, offsetBy: indent + 2), with: pad + "- ")
                output += text
            case .array(let inner) where !inner.isEmpty:
                output += pad + "-\n"
                sequence(inner, indent: indent + 2)
            case .string(let text):
                if let block = YAMLWriter.block(text, indent: indent + 2) {
                    output += pad + "- " + block.header + "\n" + block.body
                } else {
                    output += pad + "- " + YAMLWriter.scalarText(text) + "\n"
                }
            default:
                output += pad + "- " + YAMLWriter.inline(item) + "\n"
            }
        }
    }

    /// Scalars and empty collections on one line.
    static func inline(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if !d.isFinite { return d.isNaN ? ".nan" : (d < 0 ? "-.inf" : ".inf") }
            if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        case .string(let s): return scalarText(s)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    /// A literal block (`|`, `|-`) for multi-line strings that can be written that way, else nil.
    static func block(_ text: String, indent: Int) -> (header: String, body: String)? {
        guard text.contains("\n"), !text.contains("\r"), !text.hasPrefix(" "), !text.hasPrefix("\n"),
            !text.hasSuffix("\n\n"),
            text.unicodeScalars.allSatisfy({ $0 == "\n" || $0 == "\t" || !isControl($0) })
        else { return nil }
        let header = text.hasSuffix("\n") ? "|" : "|-"
        let content = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let pad = String(repeating: " ", count: indent)
        let body = content.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : pad + $0 }
            .joined(separator: "\n")
        return (header, body + "\n")
    }

    /// A string as a plain scalar when it reads back as the same string, else double-quoted.
    static func scalarText(_ text: String) -> String {
        needsQuotes(text) ? doubleQuoted(text) : text
    }

    static func needsQuotes(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last else { return true }
        if first == " " || last == " " || last == ":" { return true }
        if "-?:,[]{}#&*!|>'\"%@`".contains(first) { return true }
        if text.contains(": ") || text.contains(" #") || text.contains("\t") || text.contains("\n") { return true }
        if text.unicodeScalars.contains(where: isControl) { return true }
        // Words YAML 1.1 readers (kubectl's) take as booleans or null.
        let lower = text.lowercased()
        if ["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"].contains(lower) { return true }
        // Anything a YAML resolver would read as a number, boolean, null or timestamp.
        let tag = Yams.Node(text).tag.rawValue
        if tag != Tag.Name.str.rawValue { return true }
        return false
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value)
            || scalar.value == 0xFEFF || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    static func doubleQuoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if isControl(scalar) {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += scalar.value <= 0xFF
                        ? "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
                        : "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
