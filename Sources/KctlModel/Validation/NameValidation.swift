/// The name and label rules Kubernetes applies everywhere (`k8s.io/apimachinery/pkg/util/validation`).
/// Each check returns the problems it found as messages; an empty list means the text is valid.
public enum NameValidation {
    static let labelValueMaxLength = 63
    static let dns1123LabelMaxLength = 63
    static let dns1123SubdomainMaxLength = 253

    private static func isAlphanumeric(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber)
    }

    private static func isLowerAlphanumeric(_ c: Character) -> Bool {
        c.isASCII && (c.isNumber || ("a"..."z").contains(c))
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the shape of label values and qualified-name parts.
    /// Read as bytes: every allowed character is one ASCII byte, and any other character (a
    /// multi-byte one included) has a byte outside the allowed set, so the answer is the same.
    static func isQualifiedPart(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last, isAlphanumeric(byte: first), isAlphanumeric(byte: last)
        else { return false }
        return utf8.allSatisfy {
            isAlphanumeric(byte: $0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isAlphanumeric(byte b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    private static func isLowerAlphanumeric(byte b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9"))
    }

    /// `text.count > limit`, counting characters only when the bytes could exceed it (a
    /// character is at least one byte), since counting characters walks grapheme breaks.
    private static func longer(_ text: String, than limit: Int) -> Bool {
        text.utf8.count > limit && text.count > limit
    }

    /// Text whose characters are single bytes (ASCII without CR-LF, the one two-byte ASCII
    /// character), so that splitting its bytes splits its characters.
    private static func isSingleByteCharacters(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 < 0x80 && $0 != 13 }
    }

    /// A DNS-1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric, at most 63 characters.
    public static func dns1123Label(_ text: String) -> [String] {
        var errors: [String] = []
        if longer(text, than: dns1123LabelMaxLength) {
            errors.append("must be no more than \(dns1123LabelMaxLength) characters")
        }
        if !isDNS1123LabelShape(text) {
            errors.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
                    + "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                    + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        return errors
    }

    /// Read as bytes, like `isQualifiedPart`.
    private static func isDNS1123LabelShape(_ text: String) -> Bool {
        isDNS1123LabelShape(bytes: text.utf8[...])
    }

    private static func isDNS1123LabelShape(bytes: Substring.UTF8View) -> Bool {
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(byte: first),
            isLowerAlphanumeric(byte: last)
        else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric(byte: $0) || $0 == UInt8(ascii: "-") }
    }

    /// A DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
    public static func dns1123Subdomain(_ text: String) -> [String] {
        var errors: [String] = []
        if longer(text, than: dns1123SubdomainMaxLength) {
            errors.append("must be no more than \(dns1123SubdomainMaxLength) characters")
        }
        let valid: Bool
        if isSingleByteCharacters(text) {
            valid = !text.isEmpty
                && text[...].utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                    .allSatisfy { isDNS1123LabelShape(bytes: $0) }
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            valid = !text.isEmpty && parts.allSatisfy({ isDNS1123LabelShape(String($0)) })
        }
        if !valid {
            errors.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                    + "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                    + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
        }
        return errors
    }

    /// A qualified name (label and annotation keys): an optional DNS subdomain prefix and `/`, then a name
    /// part of at most 63 characters.
    public static func qualifiedName(_ text: String) -> [String] {
        let parts =
            isSingleByteCharacters(text)
            ? text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            : text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        var errors: [String] = []
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                errors.append(contentsOf: dns1123Subdomain(prefix).map { "prefix part \($0)" })
            }
        default:
            return [
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                    + "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                    + "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain "
                    + "prefix and '/' (e.g. 'example.com/MyName')"
            ]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else {
            if longer(name, than: 63) { errors.append("name part must be no more than 63 characters") }
            if !isQualifiedPart(name) {
                errors.append(
                    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                        + "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
                        + "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
            }
        }
        return errors
    }

    /// A label value: empty, or at most 63 characters of the qualified-name shape.
    public static func labelValue(_ text: String) -> [String] {
        var errors: [String] = []
        if longer(text, than: labelValueMaxLength) {
            errors.append("must be no more than \(labelValueMaxLength) characters")
        }
        if !text.isEmpty && !isQualifiedPart(text) {
            errors.append(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and "
                    + "must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    + "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
        return errors
    }

    /// An IANA service name, as used for named ports: at most 15 lowercase alphanumerics or `-`, with at least
    /// one letter, no leading, trailing or double `-`.
    public static func portName(_ text: String) -> [String] {
        var errors: [String] = []
        if text.count > 15 { errors.append("must be no more than 15 characters") }
        if !text.allSatisfy({ isLowerAlphanumeric($0) || $0 == "-" }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if text.contains("--") { errors.append("must not contain consecutive hyphens") }
        if !text.contains(where: { $0.isASCII && $0.isLetter }) {
            errors.append("must contain at least one letter (a-z)")
        }
        if text.hasPrefix("-") || text.hasSuffix("-") { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// A C identifier-like environment variable name (`[-._a-zA-Z][-._a-zA-Z0-9]*`).
    public static func envVarName(_ text: String) -> [String] {
        guard let first = text.first else { return ["a valid environment variable name must not be empty"] }
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0 == "-" || $0 == "." || $0 == "_") }
        if allowed(first) && text.allSatisfy({ allowed($0) || ($0.isASCII && $0.isNumber) }) { return [] }
        return [
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', "
                + "and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex "
                + "used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"
        ]
    }
}

extension NameValidation {
    /// A DNS-1035 label (Service names): a DNS-1123 label that starts with a letter.
    public static func dns1035Label(_ text: String) -> [String] {
        var errors: [String] = []
        if longer(text, than: dns1123LabelMaxLength) {
            errors.append("must be no more than \(dns1123LabelMaxLength) characters")
        }
        let startsWithLetter = text.first.map { $0.isASCII && ("a"..."z").contains($0) } ?? false
        if !startsWithLetter || !isDNS1123LabelShape(text) {
            errors.append(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
                    + "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
                    + "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
        }
        return errors
    }

    /// A name usable as one URL path segment (HPA names): not `.` or `..`, no `/` or `%`.
    public static func pathSegmentName(_ text: String) -> [String] {
        if text == "." || text == ".." { return ["may not be '\(text)'"] }
        var errors: [String] = []
        if text.contains("/") { errors.append("may not contain '/'") }
        if text.contains("%") { errors.append("may not contain '%'") }
        return errors
    }

    /// A key of a ConfigMap or Secret: `[-._a-zA-Z0-9]+`, at most 253 characters, not `.` or `..`.
    public static func configMapKey(_ text: String) -> [String] {
        var errors: [String] = []
        if longer(text, than: dns1123SubdomainMaxLength) {
            errors.append("must be no more than \(dns1123SubdomainMaxLength) characters")
        }
        let valid = !text.isEmpty
            && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") }
        if !valid {
            errors.append(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
                    + "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
        }
        if text == "." || text == ".." { errors.append("must not be '\(text)'") }
        return errors
    }

    /// An IPv4 address in dotted-quad form.
    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
                    && !(part.count > 1 && part.hasPrefix("0"))
            }
    }

    /// An IPv6 address (loosely: hex groups and colons, at most one `::`).
    public static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":"), text.components(separatedBy: "::").count <= 2 else { return false }
        return text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
    }
}
