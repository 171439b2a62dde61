/// Collects the causes of an Invalid error with Kubernetes' reasons and message shapes
/// (`Required value`, `Invalid value: 70000: must be between 1 and 65535, inclusive`, ...).
struct FieldErrors: Sendable {
    var causes: [StatusError.Cause] = []

    var isEmpty: Bool { causes.isEmpty }

    mutating func append(_ reason: String, _ field: String, _ message: String) {
        causes.append(StatusError.Cause(reason: reason, message: message, field: field))
    }

    mutating func required(_ field: String, _ detail: String? = nil) {
        append("FieldValueRequired", field, detail.map { "Required value: \($0)" } ?? "Required value")
    }

    mutating func invalid(_ field: String, _ value: String, _ detail: String) {
        append("FieldValueInvalid", field, "Invalid value: \(quoted(value)): \(detail)")
    }

    mutating func invalid(_ field: String, number: some BinaryInteger, _ detail: String) {
        append("FieldValueInvalid", field, "Invalid value: \(number): \(detail)")
    }

    mutating func invalid(_ field: String, json: JSONValue, _ detail: String) {
        append("FieldValueInvalid", field, "Invalid value: \(DecodingFailure.render(json)): \(detail)")
    }

    mutating func notSupported(_ field: String, _ value: String, _ supported: [String]) {
        let list = supported.sorted().map(quoted).joined(separator: ", ")
        append("FieldValueNotSupported", field, "Unsupported value: \(quoted(value)): supported values: \(list)")
    }

    mutating func duplicate(_ field: String, _ value: String) {
        append("FieldValueDuplicate", field, "Duplicate value: \(quoted(value))")
    }

    mutating func forbidden(_ field: String, _ detail: String) {
        append("FieldValueForbidden", field, "Forbidden: \(detail)")
    }

    mutating func notFound(_ field: String, _ value: String) {
        append("FieldValueNotFound", field, "Not found: \(quoted(value))")
    }

    mutating func tooLong(_ field: String, _ limit: Int) {
        append("FieldValueTooLong", field, "Too long: may not be more than \(limit) bytes")
    }

    mutating func unknown(_ field: String) {
        append("UnknownField", field, "unknown field \(quoted(field))")
    }

    // MARK: Common checks

    /// Adds each message of a name check as an Invalid cause for `value`.
    mutating func check(_ field: String, _ value: String, _ messages: [String]) {
        for message in messages { invalid(field, value, message) }
    }

    mutating func nonNegative(_ field: String, _ value: (some BinaryInteger)?) {
        if let value, value < 0 { invalid(field, number: value, "must be greater than or equal to 0") }
    }

    mutating func positive(_ field: String, _ value: (some BinaryInteger)?) {
        if let value, value <= 0 { invalid(field, number: value, "must be greater than 0") }
    }

    mutating func port(_ field: String, _ value: Int32) {
        if !(1...65535).contains(value) { invalid(field, number: value, "must be between 1 and 65535, inclusive") }
    }

    /// An int-or-string port: a number 1–65535 or an IANA service name.
    mutating func portNumberOrName(_ field: String, _ value: IntOrString) {
        switch value {
        case .int(let number): port(field, number)
        case .string(let name): check(field, name, NameValidation.portName(name))
        }
    }

    mutating func oneOf(_ field: String, _ value: String?, _ supported: [String]) {
        if let value, !supported.contains(value) { notSupported(field, value, supported) }
    }

    mutating func labels(_ field: String, _ labels: [String: String]?) {
        for (key, value) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) {
            check(field, key, NameValidation.qualifiedName(key))
            check(field, value, NameValidation.labelValue(value))
        }
    }
}
