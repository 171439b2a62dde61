import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    /// PATCH with a JSON merge patch (RFC 7386) or a JSON patch (RFC 6902), applied atomically to
    /// the stored object and then validated like a full update.
    func patch(_ target: ResourceRequest, body: [UInt8], contentType: String?, query: Query) async throws -> Response {
        let type = target.type
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let patchDocument: JSONValue
        do { patchDocument = try JSONValue.parse(body) } catch let e as JSONParseError {
            throw StatusError.badRequest("the patch is not valid JSON: \(e.description)")
        }
        let apply: @Sendable (JSONValue) throws -> JSONValue
        switch mediaType {
        case "application/merge-patch+json":
            guard case .object = patchDocument else { throw StatusError.badRequest("a merge patch must be a JSON object") }
            apply = { MergePatch.apply(patchDocument, to: $0) }
        case "application/json-patch+json":
            apply = { try JSONPatch.apply(patchDocument, to: $0) }
        default:
            throw StatusError(
                reason: .unsupportedMediaType, code: 415,
                message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json")
        }
        let statusOnly = target.subresource == "status"
        let strict = strictFields(query)
        let mutate: @Sendable (inout KubeObject) throws -> Void = { current in
            var patched = try KubeObject(json: try apply(current.value))
            guard patched.name == current.name, patched.namespace == current.namespace,
                patched.kind == current.kind, patched.apiVersion == current.apiVersion
            else {
                throw StatusError.badRequest("a patch may not change the object's name, namespace, kind or apiVersion")
            }
            if !statusOnly { patched = try Admission.admit(patched, as: type, strict: strict) }
            try Self.replace(&current, with: patched, as: type, name: name, statusOnly: statusOnly)
        }
        return try await commit(target, name: name, statusOnly: statusOnly, dryRun: isDryRun(query), mutate: mutate)
    }
}
