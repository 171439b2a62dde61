import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    /// PUT: replaces the object (or its status), with optimistic concurrency when the body
    /// carries a resourceVersion.
    func update(_ target: ResourceRequest, body: [UInt8], query: Query) async throws -> Response {
        let type = target.type
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        var object = try KubeObject(data: body)
        try identify(&object, target)
        let statusOnly = target.subresource == "status"
        let strict = strictFields(query)
        let candidate = statusOnly ? object : try Admission.admit(object, as: type, strict: strict)
        let dryRun = isDryRun(query)
        let write: @Sendable (inout KubeObject) throws -> Void = { current in
            try Self.replace(&current, with: candidate, as: type, name: name, statusOnly: statusOnly)
        }
        return try await commit(target, name: name, statusOnly: statusOnly, dryRun: dryRun, mutate: write)
    }

    /// The end of every PUT and PATCH: optimistic concurrency (a non-empty resourceVersion must be
    /// the stored one), then either only the status or the whole object checked against the
    /// stored one for immutable fields.
    static func replace(
        _ current: inout KubeObject, with candidate: KubeObject, as type: ResourceType, name: String, statusOnly: Bool
    ) throws {
        if let rv = candidate.resourceVersion, !rv.isEmpty, rv != current.resourceVersion {
            throw StatusError.conflict(
                type, name, "the object has been modified; please apply your changes to the latest version and try again")
        }
        if statusOnly {
            current.status = candidate.status
            return
        }
        try Admission.validateUpdate(new: candidate, old: current, as: type)
        var next = candidate
        next.resourceVersion = current.resourceVersion
        current = next
    }

    /// Writes `mutate` atomically through the store, or, for a dry run, applies it to a copy.
    func commit(
        _ target: ResourceRequest, name: String, statusOnly: Bool, dryRun: Bool,
        mutate: @escaping @Sendable (inout KubeObject) throws -> Void
    ) async throws -> Response {
        if target.type == .service && !statusOnly {
            return Self.json(try await commitService(target, name: name, dryRun: dryRun, mutate: mutate).value)
        }
        if dryRun {
            var current = try await store.get(target.type, namespace: target.namespace, name: name)
            try mutate(&current)
            return Self.json(current.value)
        }
        let updated = try await store.update(
            target.type, namespace: target.namespace, name: name, subresource: statusOnly ? .status : .main, mutate: mutate)
        return Self.json(updated.value)
    }
}
