/// A Kubernetes `Status` failure: what every layer throws, so that the HTTP code, the reason and
/// the offending fields travel unchanged from the store or validation to the client and the user.
public struct StatusError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: String, Sendable, Hashable {
        case notFound = "NotFound"
        case alreadyExists = "AlreadyExists"
        case conflict = "Conflict"
        case invalid = "Invalid"
        case badRequest = "BadRequest"
        case gone = "Gone"
        case expired = "Expired"
        case unauthorized = "Unauthorized"
        case forbidden = "Forbidden"
        case methodNotAllowed = "MethodNotAllowed"
        case unsupportedMediaType = "UnsupportedMediaType"
        case notAcceptable = "NotAcceptable"
        case requestEntityTooLarge = "RequestEntityTooLarge"
        case internalError = "InternalError"
        case serviceUnavailable = "ServiceUnavailable"
        case timeout = "Timeout"
        case unknown = ""
    }

    /// One offending field of an Invalid error.
    public struct Cause: Sendable, Hashable {
        /// `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueDuplicate`,
        /// `FieldValueTypeInvalid`, `FieldValueTooLong`, or `UnknownField`... as Kubernetes names them.
        public var reason: String
        public var message: String
        public var field: String
        public init(reason: String, message: String, field: String) {
            self.reason = reason
            self.message = message
            self.field = field
        }
    }

    public var reason: Reason
    public var code: Int
    public var message: String
    /// The object's name, its API group and resource (plural), as Kubernetes' StatusDetails.
    public var name: String?
    public var group: String?
    public var kind: String?
    public var causes: [Cause]

    public init(
        reason: Reason, code: Int, message: String, name: String? = nil, group: String? = nil,
        kind: String? = nil, causes: [Cause] = []
    ) {
        self.reason = reason
        self.code = code
        self.message = message
        self.name = name
        self.group = group
        self.kind = kind
        self.causes = causes
    }

    public var description: String { message }

    public static func notFound(_ type: ResourceType, _ name: String) -> StatusError {
        StatusError(
            reason: .notFound, code: 404, message: "\(type.groupResource) \"\(name)\" not found",
            name: name, group: type.group, kind: type.plural)
    }

    public static func alreadyExists(_ type: ResourceType, _ name: String) -> StatusError {
        StatusError(
            reason: .alreadyExists, code: 409, message: "\(type.groupResource) \"\(name)\" already exists",
            name: name, group: type.group, kind: type.plural)
    }

    public static func conflict(_ type: ResourceType, _ name: String, _ detail: String) -> StatusError {
        StatusError(
            reason: .conflict, code: 409,
            message: "Operation cannot be fulfilled on \(type.groupResource) \"\(name)\": \(detail)",
            name: name, group: type.group, kind: type.plural)
    }

    /// An Invalid (422) error listing every offending field.
    public static func invalid(_ type: ResourceType, _ name: String, _ causes: [Cause]) -> StatusError {
        let list = causes.map { "\($0.field): \($0.message)" }.joined(separator: ", ")
        return StatusError(
            reason: .invalid, code: 422, message: "\(type.kind) \"\(name)\" is invalid: \(list)",
            name: name, group: type.group, kind: type.kind, causes: causes)
    }

    public static func badRequest(_ message: String) -> StatusError {
        StatusError(reason: .badRequest, code: 400, message: message)
    }

    /// The watch start revision is older than the compacted change log.
    public static func expired(requested: Int64, oldest: Int64) -> StatusError {
        StatusError(
            reason: .expired, code: 410,
            message: "too old resource version: \(requested) (\(oldest))")
    }

    public static func gone(_ message: String) -> StatusError {
        StatusError(reason: .gone, code: 410, message: message)
    }

    public static func internalError(_ message: String) -> StatusError {
        StatusError(reason: .internalError, code: 500, message: "Internal error occurred: \(message)")
    }

    public static func methodNotAllowed(_ message: String) -> StatusError {
        StatusError(reason: .methodNotAllowed, code: 405, message: message)
    }

    public static func tooLarge(limit: Int) -> StatusError {
        StatusError(
            reason: .requestEntityTooLarge, code: 413,
            message: "the request body is larger than the limit of \(limit) bytes")
    }
}

extension StatusError {
    /// The `Status` object as Kubernetes sends it.
    public var statusObject: JSONValue {
        var details: [String: JSONValue] = [:]
        if let name { details["name"] = .string(name) }
        if let group { details["group"] = .string(group) }
        if let kind { details["kind"] = .string(kind) }
        if !causes.isEmpty {
            details["causes"] = .array(
                causes.map { ["reason": .string($0.reason), "message": .string($0.message), "field": .string($0.field)] })
        }
        var object: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": .string(message), "reason": .string(reason.rawValue), "code": .int(Int64(code)),
        ]
        if !details.isEmpty { object["details"] = .object(details) }
        return object
    }

    /// Reads a `Status` object from the wire; nil when the JSON is not one.
    public init?(statusObject json: JSONValue, httpCode: Int) {
        guard json["kind"]?.stringValue == "Status" else { return nil }
        let reasonText = json["reason"]?.stringValue ?? ""
        self.init(
            reason: Reason(rawValue: reasonText) ?? .unknown,
            code: Int(json["code"]?.intValue ?? Int64(httpCode)),
            message: json["message"]?.stringValue ?? "unknown error",
            name: json["details"]?["name"]?.stringValue,
            group: json["details"]?["group"]?.stringValue,
            kind: json["details"]?["kind"]?.stringValue,
            causes: (json["details"]?["causes"]?.arrayValue ?? []).map {
                Cause(
                    reason: $0["reason"]?.stringValue ?? "", message: $0["message"]?.stringValue ?? "",
                    field: $0["field"]?.stringValue ?? "")
            })
    }
}
