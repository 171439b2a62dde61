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
            if let rv = candidate.resourceVersion, !rv.isEmpty, rv != current.resourceVersion {
                throw StatusError.conflict(
                    type, name, "the object has been modified; please apply your changes to the latest version and try again")
            }
            if statusOnly {
                current.status = candidate.status
            } else {
                try Admission.validateUpdate(new: candidate, old: current, as: type)
                var next = candidate
                next.resourceVersion = current.resourceVersion
                current = next
            }
        }
        if dryRun {
            var current = try await store.get(type, namespace: target.namespace, name: name)
            try write(&current)
            return Self.json(current.value)
        }
        let updated = try await store.update(
            type, namespace: target.namespace, name: name, subresource: statusOnly ? .status : .main, mutate: write)
        return Self.json(updated.value)
    }
}
