import Foundation

/// A typed kind (`Deployment`, `Pod`, ...): Codable with the exact Kubernetes JSON field names, and
/// convertible to and from the untyped `KubeObject` the store and the API server pass around.
///
///     let deployment = try Deployment(object)        // throws StatusError.invalid naming the field
///     var copy = deployment; copy.spec?.replicas = 3
///     let back: KubeObject = copy.kubeObject         // apiVersion and kind always set
public protocol APIObject: Codable, Sendable, Hashable {
    /// Where the kind lives in the API (one of the constants of `ResourceType`).
    static var resourceType: ResourceType { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension APIObject {
    /// Decodes a typed object from JSON. A missing required field or a value of the wrong type throws
    /// `StatusError.invalid` with one cause naming the field path (`spec.template.spec.containers[0].name`).
    public init(_ object: KubeObject) throws {
        do {
            self = try object.value.decode(Self.self)
        } catch let error as DecodingError {
            throw StatusError.invalid(
                Self.resourceType, object.name, [DecodingFailure.cause(for: error, in: object.value)])
        }
    }

    /// Decodes a typed object from a JSON value (which must be an object).
    public init(json: JSONValue) throws {
        try self.init(KubeObject(json: json))
    }

    /// The object as JSON, with `apiVersion` and `kind` filled in from the type when unset.
    public func encodedObject() throws -> KubeObject {
        var object = try KubeObject(json: JSONValue(encoding: self))
        if object.json["apiVersion"]?.stringValue == nil {
            object.json["apiVersion"] = .string(Self.resourceType.apiVersion)
        }
        if object.json["kind"]?.stringValue == nil { object.json["kind"] = .string(Self.resourceType.kind) }
        return object
    }

    /// The object as JSON. Encoding cannot fail for kinds whose free-form fields hold finite numbers;
    /// should it fail, only the type and metadata identity are kept.
    public var kubeObject: KubeObject {
        if let object = try? encodedObject() { return object }
        var fallback = KubeObject([
            "apiVersion": .string(Self.resourceType.apiVersion), "kind": .string(Self.resourceType.kind),
        ])
        fallback.name = metadata.name ?? ""
        fallback.namespace = metadata.namespace
        return fallback
    }

    /// `metadata.name`, or "" when unset.
    public var name: String { metadata.name ?? "" }
    /// `metadata.namespace`, nil for cluster-scoped kinds.
    public var namespace: String? { metadata.namespace }
    /// `namespace/name` (or `name`), the key work queues use.
    public var key: String {
        if let namespace = metadata.namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }
}

extension ObjectMeta {
    /// A reference from a dependent to `owner`, marked as its controller.
    public static func controllerReference(to owner: some APIObject) -> OwnerReference {
        OwnerReference(
            apiVersion: type(of: owner).resourceType.apiVersion, kind: type(of: owner).resourceType.kind,
            name: owner.metadata.name ?? "", uid: owner.metadata.uid ?? "", controller: true,
            blockOwnerDeletion: true)
    }

    /// The owner reference marked `controller: true`, if any.
    public var controllerReference: OwnerReference? {
        ownerReferences?.first { $0.controller == true }
    }
}

/// Turns a `DecodingError` into the Kubernetes cause a user can act on, with a field path.
enum DecodingFailure {
    static func cause(for error: DecodingError, in input: JSONValue) -> StatusError.Cause {
        switch error {
        case .keyNotFound(let key, let context):
            return StatusError.Cause(
                reason: "FieldValueRequired", message: "Required value",
                field: fieldPath(context.codingPath + [key]))
        case .valueNotFound(_, let context):
            return StatusError.Cause(
                reason: "FieldValueRequired", message: "Required value", field: fieldPath(context.codingPath))
        case .typeMismatch(let type, let context):
            let field = fieldPath(context.codingPath)
            let value = lookup(context.codingPath, in: input)
            let actual = value?.typeName ?? "null"
            return StatusError.Cause(
                reason: "FieldValueTypeInvalid",
                message: "Invalid value: \(render(value)): \(field) in body must be of type \(expectedName(type)): "
                    + "\(quoted(actual))",
                field: field)
        case .dataCorrupted(let context):
            let field = fieldPath(context.codingPath)
            let value = lookup(context.codingPath, in: input)
            var detail = context.debugDescription
            if let number = value, number.typeName == "number" {
                detail = "\(field) in body is out of range for its integer type"
            }
            return StatusError.Cause(
                reason: "FieldValueInvalid", message: "Invalid value: \(render(value)): \(detail)", field: field)
        @unknown default:
            return StatusError.Cause(reason: "FieldValueInvalid", message: "\(error)", field: "")
        }
    }

    /// `spec.template.spec.containers[0].ports[0].containerPort` from a coding path.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue == String(index) || key.stringValue.hasPrefix("Index ") {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    static func lookup(_ path: [any CodingKey], in input: JSONValue) -> JSONValue? {
        var current: JSONValue? = input
        for key in path {
            if let index = key.intValue, case .array(let items)? = current {
                current = index < items.count ? items[index] : nil
            } else {
                current = current?[key.stringValue]
            }
        }
        return current
    }

    static func render(_ value: JSONValue?) -> String {
        guard let value else { return "null" }
        if case .string(let s) = value { return quoted(s) }
        return value.serializedString()
    }

    static func expectedName(_ type: Any.Type) -> String {
        switch type {
        case is Int32.Type, is Int64.Type, is Int.Type, is UInt16.Type, is UInt32.Type: return "integer"
        case is Double.Type, is Float.Type: return "number"
        case is Bool.Type: return "boolean"
        case is String.Type, is Quantity.Type: return "string"
        case is IntOrString.Type: return "int-or-string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") || name.hasPrefix("[String") { return "object" }
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "array" }
            return "object"
        }
    }
}
