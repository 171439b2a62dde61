import Hummingbird
import KctlModel
import KctlStore

/// The `scale` subresource of Deployments and ReplicaSets: an `autoscaling/v1` Scale view of the
/// object through which `kubectl scale` and the HPA change `spec.replicas` and nothing else.
enum ScaleSubresource {
    /// The kinds that serve `/scale`.
    static func serves(_ type: ResourceType) -> Bool { type.hasScale }

    /// The Scale an object shows: its desired replicas, its observed replicas and its selector in
    /// string form (`app=web`), with the object's identity and resourceVersion.
    static func scale(of object: KubeObject) -> JSONValue {
        var meta: [String: JSONValue] = ["name": .string(object.name)]
        for key in ["namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = object.metadata[key] { meta[key] = value }
        }
        let replicas = object.spec?["replicas"]?.intValue ?? 1
        let observed = object.status?["replicas"]?.intValue ?? 0
        var status: [String: JSONValue] = ["replicas": .int(observed)]
        if let selector = object.spec?["selector"].flatMap({ try? $0.decode(LabelSelector.self) }) {
            status["selector"] = .string(selector.stringForm)
        }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": .object(meta),
            "spec": ["replicas": .int(replicas)], "status": .object(status),
        ]
    }

    /// Writes a Scale back into its object: only `spec.replicas` changes. A non-empty
    /// resourceVersion must be the object's (else Conflict); the name must be the object's.
    static func apply(_ scale: JSONValue, to object: inout KubeObject, as type: ResourceType) throws {
        let name = object.name
        guard case .object = scale else { throw StatusError.badRequest("a Scale must be a JSON object") }
        if let kind = scale["kind"]?.stringValue, !kind.isEmpty, kind != "Scale" {
            throw StatusError.badRequest("the kind in the data (\(kind)) does not match the expected kind (Scale)")
        }
        if let given = scale["metadata"]?["name"]?.stringValue, !given.isEmpty, given != name {
            throw StatusError.badRequest("the name of the object (\(given)) does not match the name on the URL (\(name))")
        }
        if let rv = scale["metadata"]?["resourceVersion"]?.stringValue, !rv.isEmpty, rv != object.resourceVersion {
            throw StatusError.conflict(
                type, name, "the object has been modified; please apply your changes to the latest version and try again")
        }
        // autoscaling/v1 leaves out a zero `spec.replicas`, so absent means 0, as in Kubernetes.
        let value = scale["spec"]?["replicas"] ?? .int(0)
        guard case .int(let replicas) = value else { throw invalid(name, value, "must be an integer") }
        guard replicas >= 0 else { throw invalid(name, value, "must be greater than or equal to 0") }
        guard replicas <= Int64(Int32.max) else { throw invalid(name, value, "must be at most \(Int32.max)") }
        var spec = object.spec?.objectValue ?? [:]
        spec["replicas"] = .int(replicas)
        object.spec = .object(spec)
    }

    private static func invalid(_ name: String, _ value: JSONValue, _ detail: String) -> StatusError {
        let cause = StatusError.Cause(
            reason: "FieldValueInvalid", message: "Invalid value: \(value.serializedString()): \(detail)",
            field: "spec.replicas")
        return StatusError(
            reason: .invalid, code: 422, message: "Scale.autoscaling \"\(name)\" is invalid: spec.replicas: \(cause.message)",
            name: name, group: "autoscaling", kind: "Scale", causes: [cause])
    }
}

extension APIServer {
    /// GET, PUT and PATCH (merge or JSON patch) on `.../NAME/scale`. A write is read, changed and
    /// stored in one atomic step on the object, so it cannot lose a concurrent write.
    func scale(
        _ target: ResourceRequest, method: HTTPRequest.Method, body: [UInt8], contentType: String?, query: Query
    ) async throws -> Response {
        let type = target.type
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        let transform: @Sendable (JSONValue) throws -> JSONValue
        switch method {
        case .get:
            let object = try await store.get(type, namespace: target.namespace, name: name)
            return Self.json(ScaleSubresource.scale(of: object))
        case .put:
            let document = try KubeObject(data: body).value
            transform = { _ in document }
        case .patch:
            // A Scale has no lists: a strategic merge patch of it needs no merge keys.
            let document = try Self.patchDocument(body)
            switch try PatchType.of(contentType) {
            case .merge:
                guard case .object = document else { throw StatusError.badRequest("a merge patch must be a JSON object") }
                transform = { MergePatch.apply(document, to: $0) }
            case .json:
                transform = { try JSONPatch.apply(document, to: $0) }
            case .strategic:
                transform = { try StrategicMergePatch.apply(document, to: $0, meta: .plain) }
            case .apply:
                throw StatusError(
                    reason: .unsupportedMediaType, code: 415,
                    message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
            }
        default:
            throw StatusError.methodNotAllowed(
                "the server does not allow this method on the requested resource (\(method) \(type.plural)/scale)")
        }
        let mutate: @Sendable (inout KubeObject) throws -> Void = { current in
            let next = try transform(ScaleSubresource.scale(of: current))
            try ScaleSubresource.apply(next, to: &current, as: type)
        }
        if isDryRun(query) {
            var current = try await store.get(type, namespace: target.namespace, name: name)
            try mutate(&current)
            return Self.json(ScaleSubresource.scale(of: current))
        }
        let updated = try await store.update(
            type, namespace: target.namespace, name: name, subresource: .main, mutate: mutate)
        return Self.json(ScaleSubresource.scale(of: updated))
    }
}
