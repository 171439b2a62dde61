/// Validation, defaulting and unknown-field detection for objects written through the API: what
/// Kubernetes does between decoding a request body and storing it.
///
///     let stored = try Admission.admit(body, as: .deployment)   // defaulted, or throws Invalid (422)
public enum Admission {
    /// Checks an object about to be created or updated and returns it with Kubernetes' defaults applied.
    ///
    /// Call it after `metadata.namespace` (for namespaced kinds) and `metadata.name` are settled. It
    /// checks that `apiVersion`/`kind` name `type` (filling them in when absent), decodes the object into
    /// its typed kind, finds fields the kind does not have (rejected when `strict`, dropped otherwise),
    /// applies defaults, validates every field, and throws `StatusError.invalid` listing all causes.
    /// Kinds kctl has no typed model for are returned unchanged.
    public static func admit(_ object: KubeObject, as type: ResourceType, strict: Bool = true) throws -> KubeObject {
        let object = try checkTypeMeta(object, as: type)
        guard let kind = admissibleKind(type) else { return object }
        return try admit(kind, object, strict: strict)
    }

    /// Checks an update against the stored object: fields that may not change (a Deployment's selector,
    /// the data of an immutable Secret or ConfigMap, a Secret's type, most of a Pod's spec...).
    public static func validateUpdate(new: KubeObject, old: KubeObject, as type: ResourceType) throws {
        guard let kind = admissibleKind(type) else { return }
        try validateUpdate(kind, new: new, old: old)
    }

    /// Fields present (and not null) in `input` that the typed form `known` does not have, as field paths.
    public static func unknownFields(in input: JSONValue, comparedTo known: JSONValue, path: String = "") -> [String] {
        switch (input, known) {
        case (.object(let given), .object(let kept)):
            var found: [String] = []
            for key in given.keys.sorted() {
                guard let value = given[key], !value.isNull else { continue }
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let keptValue = kept[key] {
                    found += unknownFields(in: value, comparedTo: keptValue, path: child)
                } else {
                    found.append(child)
                }
            }
            return found
        case (.array(let given), .array(let kept)):
            var found: [String] = []
            for (index, value) in given.enumerated() where index < kept.count {
                found += unknownFields(in: value, comparedTo: kept[index], path: "\(path)[\(index)]")
            }
            return found
        default:
            return []
        }
    }

    /// Whether `unknownFields(in:comparedTo:)` finds any, without sorting keys or making paths:
    /// admission asks it of every object it admits, and nearly always the answer is no.
    static func hasUnknownFields(in input: JSONValue, comparedTo known: JSONValue) -> Bool {
        switch (input, known) {
        case (.object(let given), .object(let kept)):
            for (key, value) in given where !value.isNull {
                guard let keptValue = kept[key] else { return true }
                if hasUnknownFields(in: value, comparedTo: keptValue) { return true }
            }
            return false
        case (.array(let given), .array(let kept)):
            for (index, value) in given.enumerated() where index < kept.count {
                if hasUnknownFields(in: value, comparedTo: kept[index]) { return true }
            }
            return false
        default:
            return false
        }
    }

    // MARK: Internals

    static func admissibleKind(_ type: ResourceType) -> (any Admissible.Type)? {
        let kinds: [any Admissible.Type] = [
            Namespace.self, Node.self, Pod.self, Service.self, Endpoints.self, Secret.self, ConfigMap.self, Event.self,
            Deployment.self, ReplicaSet.self, Ingress.self, HorizontalPodAutoscaler.self, Lease.self,
        ]
        return kinds.first { $0.resourceType == type }
    }

    static func checkTypeMeta(_ object: KubeObject, as type: ResourceType) throws -> KubeObject {
        var object = object
        let apiVersion = object.json["apiVersion"]?.stringValue ?? ""
        let kind = object.json["kind"]?.stringValue ?? ""
        if !apiVersion.isEmpty && apiVersion != type.apiVersion {
            throw StatusError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(type.apiVersion))")
        }
        if !kind.isEmpty && kind != type.kind {
            throw StatusError.badRequest("the kind in the data (\(kind)) does not match the expected kind (\(type.kind))")
        }
        object.json["apiVersion"] = .string(type.apiVersion)
        object.json["kind"] = .string(type.kind)
        return object
    }

    static func decode<K: Admissible>(_ kind: K.Type, _ object: KubeObject) throws -> K {
        do {
            return try object.value.decode(K.self)
        } catch let error as DecodingError {
            throw StatusError.invalid(
                K.resourceType, displayName(object), [DecodingFailure.cause(for: error, in: object.value)])
        }
    }

    static func displayName(_ object: KubeObject) -> String {
        object.name.isEmpty ? (object.generateName ?? "") : object.name
    }

    private static func admit<K: Admissible>(_ kind: K.Type, _ object: KubeObject, strict: Bool) throws -> KubeObject {
        let decoded = try decode(kind, object)
        var typed = decoded
        typed.applyDefaults()
        // nil only when a number cannot be encoded; the steps below then throw as they did.
        let admitted = try? typed.encodedObject()
        var errors = FieldErrors()
        // Unknown fields are those the typed form (before defaults) does not keep. Defaults only
        // add fields, except a few that drop one (a Secret's stringData), so the admitted object
        // can stand in for it: a field it lacks is only a suspect, confirmed against the typed
        // form before defaults. That second encoding is made only when something looks unknown.
        if strict, admitted.map({ hasUnknownFields(in: object.value, comparedTo: $0.value) }) ?? true {
            let known = try JSONValue(encoding: decoded)
            for field in unknownFields(in: object.value, comparedTo: known) { errors.unknown(field) }
        }
        typed.validate(into: &errors)
        if !errors.isEmpty { throw StatusError.invalid(K.resourceType, displayName(object), errors.causes) }
        return try admitted ?? typed.encodedObject()
    }

    private static func validateUpdate<K: Admissible>(_ kind: K.Type, new: KubeObject, old: KubeObject) throws {
        var newTyped = try decode(kind, try checkTypeMeta(new, as: K.resourceType))
        var oldTyped = try decode(kind, try checkTypeMeta(old, as: K.resourceType))
        newTyped.applyDefaults()
        oldTyped.applyDefaults()
        var errors = FieldErrors()
        newTyped.validateUpdate(from: oldTyped, into: &errors)
        if !errors.isEmpty { throw StatusError.invalid(K.resourceType, displayName(new), errors.causes) }
    }
}

/// A kind that admission knows how to default and validate.
protocol Admissible: APIObject {
    /// Fills in what Kubernetes fills in when a field is unset. Idempotent.
    mutating func applyDefaults()
    /// Appends a cause for every invalid field (after defaulting).
    func validate(into errors: inout FieldErrors)
    /// Appends a cause for every field that may not change from `old`.
    func validateUpdate(from old: Self, into errors: inout FieldErrors)
}

extension Admissible {
    func validateUpdate(from old: Self, into errors: inout FieldErrors) {}
}
