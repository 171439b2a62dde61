import KctlModel
import KctlStore
import Hummingbird

/// The patch media types kctld reads, in the order Kubernetes lists them in a 415.
enum PatchType: String, CaseIterable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategic = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"

    /// The type named by a Content-Type header (parameters ignored).
    /// - Throws: 415 with Kubernetes' message for any other.
    static func of(_ contentType: String?) throws -> PatchType {
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let type = PatchType(rawValue: mediaType.lowercased()) else {
            throw StatusError(
                reason: .unsupportedMediaType, code: 415,
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + allCases.map(\.rawValue).joined(separator: ", "))
        }
        return type
    }
}

extension APIServer {
    /// PATCH: a JSON patch (RFC 6902), JSON merge patch (RFC 7386) or Kubernetes strategic merge
    /// patch applied atomically to the stored object and then validated like a full update; an
    /// apply patch goes to server-side apply.
    func patch(_ target: ResourceRequest, body: [UInt8], contentType: String?, query: Query) async throws -> Response {
        let type = target.type
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        let apply: @Sendable (JSONValue) throws -> JSONValue
        switch try PatchType.of(contentType) {
        case .apply:
            return try await serverSideApply(target, body: body, query: query)
        case .merge:
            let document = try Self.patchDocument(body)
            guard case .object = document else { throw StatusError.badRequest("a merge patch must be a JSON object") }
            apply = { MergePatch.apply(document, to: $0) }
        case .json:
            let document = try Self.patchDocument(body)
            apply = { try JSONPatch.apply(document, to: $0) }
        case .strategic:
            let document = try Self.patchDocument(body)
            let meta = PatchMeta.of(type)
            apply = { try StrategicMergePatch.apply(document, to: $0, meta: meta) }
        }
        if query["force"] != nil {
            throw Self.invalidPatchOptions(field: "force", reason: "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch")
        }
        let statusOnly = target.subresource == "status"
        let strict = strictFields(query)
        let mutate: @Sendable (inout KubeObject) throws -> Void = { current in
            let patched = try KubeObject(json: try apply(current.value))
            try Self.admitPatched(patched, over: &current, as: type, name: name, statusOnly: statusOnly, strict: strict)
        }
        return try await commit(target, name: name, statusOnly: statusOnly, dryRun: isDryRun(query), mutate: mutate)
    }

    static func patchDocument(_ body: [UInt8]) throws -> JSONValue {
        do { return try JSONValue.parse(body) } catch let e as JSONParseError {
            throw StatusError.badRequest("the patch is not valid JSON: \(e.description)")
        }
    }

    /// The end of every patch and apply: the identity must not change, then the whole object is
    /// admitted (unless only the status changes) and replaces the stored one.
    static func admitPatched(
        _ patched: KubeObject, over current: inout KubeObject, as type: ResourceType, name: String, statusOnly: Bool, strict: Bool
    ) throws {
        guard patched.name == current.name, patched.namespace == current.namespace,
            patched.kind == current.kind, patched.apiVersion == current.apiVersion
        else {
            throw StatusError.badRequest("a patch may not change the object's name, namespace, kind or apiVersion")
        }
        let candidate = statusOnly ? patched : try Admission.admit(patched, as: type, strict: strict)
        try replace(&current, with: candidate, as: type, name: name, statusOnly: statusOnly)
    }

    /// An invalid `PatchOptions` query, as Kubernetes words it.
    static func invalidPatchOptions(field: String, reason: String, _ detail: String) -> StatusError {
        StatusError(
            reason: .invalid, code: 422, message: "PatchOptions.meta.k8s.io \"\" is invalid: \(field): \(detail)",
            group: "meta.k8s.io", kind: "PatchOptions",
            causes: [.init(reason: reason, message: detail, field: field)])
    }
}
