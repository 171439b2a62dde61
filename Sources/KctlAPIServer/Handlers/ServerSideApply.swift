import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    /// `PATCH ...?fieldManager=M` with `application/apply-patch+yaml` (kubectl apply --server-side):
    /// creates the object when it is absent (201), else merges the applied configuration into it
    /// with the strategic merge rules (lists by their merge keys, atomic lists replaced).
    ///
    /// Ownership is deliberately simpler than Kubernetes': fields an applied configuration omits
    /// are kept, never removed, so one manager's apply cannot wipe another's fields (kubectl's
    /// second apply as `kubectl-last-applied`, holding only the annotation, leaves the spec alone).
    /// The flip side: removing a field from a manifest does not remove it from the object. No
    /// `managedFields` are recorded and conflicts between managers are not detected, so `force`
    /// changes nothing. `null` in an applied configuration means "not specified", and `$`
    /// directives are not read as directives.
    func serverSideApply(_ target: ResourceRequest, body: [UInt8], query: Query) async throws -> Response {
        let type = target.type
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        guard let manager = query["fieldManager"], !manager.isEmpty else {
            throw Self.invalidPatchOptions(field: "fieldManager", reason: "FieldValueRequired", "Required value: is required for apply patch")
        }
        if let force = query["force"], force != "true", force != "false" {
            throw StatusError.badRequest("force must be true or false, got \"\(force)\"")
        }
        var applied = try Self.appliedConfiguration(body)
        try identify(&applied, target)
        let statusOnly = target.subresource == "status"
        let strict = strictFields(query)
        let dryRun = isDryRun(query)
        let configuration = applied.value
        let meta = PatchMeta.of(type)
        let lastApplied = manager == "kubectl" ? Self.lastAppliedConfiguration(applied) : nil
        let mutate: @Sendable (inout KubeObject) throws -> Void = { current in
            var patched = try KubeObject(json: try StrategicMergePatch.apply(configuration, to: current.value, meta: meta))
            // Kubernetes keeps client-side apply's record current when kubectl applies server-side.
            if let lastApplied, current.annotations[Self.lastAppliedAnnotation] != nil {
                patched.annotations[Self.lastAppliedAnnotation] = lastApplied
            }
            try Self.admitPatched(patched, over: &current, as: type, name: name, statusOnly: statusOnly, strict: strict)
        }
        for attempt in 1...3 {
            do {
                return try await commit(target, name: name, statusOnly: statusOnly, dryRun: dryRun, mutate: mutate)
            } catch let error as StatusError where error.reason == .notFound && !statusOnly && error.kind == type.plural {
                do {
                    return try await create(target, body: applied.serialized(), query: query)
                } catch let error as StatusError where error.reason == .alreadyExists && attempt < 3 {
                    continue  // created meanwhile: merge into it
                }
            }
        }
        throw StatusError.internalError("server-side apply of \(type.groupResource) \"\(name)\" did not settle")
    }

    static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// An apply body (YAML or JSON, one object) without nulls and `$` keys.
    static func appliedConfiguration(_ body: [UInt8]) throws -> KubeObject {
        let documents = Manifest.decode(String(decoding: body, as: UTF8.self), source: "the applied configuration")
        guard documents.count == 1, let document = documents.first else {
            throw StatusError.badRequest("an apply patch must hold exactly one object, found \(documents.count)")
        }
        if let error = document.error { throw StatusError.badRequest(error) }
        guard let object = document.object, case .object(let fields) = withoutNullsAndDirectives(object.value) else {
            throw StatusError.badRequest("the applied configuration is not an object")
        }
        var result = KubeObject(fields)
        var metadata = result.metadata
        if let managed = metadata["managedFields"], managed.arrayValue?.isEmpty == false {
            throw StatusError.badRequest("metadata.managedFields must be nil")
        }
        metadata["managedFields"] = nil
        result.metadata = metadata
        return result
    }

    private static func withoutNullsAndDirectives(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let fields):
            var kept: [String: JSONValue] = [:]
            for (key, field) in fields where !field.isNull && !key.hasPrefix("$") {
                kept[key] = withoutNullsAndDirectives(field)
            }
            return .object(kept)
        case .array(let items):
            return .array(items.filter { !$0.isNull }.map(withoutNullsAndDirectives))
        default:
            return value
        }
    }

    /// What client-side apply would record for this configuration: the object without the
    /// annotation itself, as compact JSON.
    static func lastAppliedConfiguration(_ applied: KubeObject) -> String {
        var copy = applied
        copy.annotations[lastAppliedAnnotation] = nil
        return copy.value.serializedString() + "\n"
    }
}
