import KctlModel

extension APIServer {
    /// Checks that a body's apiVersion, kind and namespace agree with the URL, and fills in what
    /// it leaves out, as the Kubernetes API server does before anything else looks at it.
    func identify(_ object: inout KubeObject, _ target: ResourceRequest) throws {
        let type = target.type
        if object.apiVersion.isEmpty { object["apiVersion"] = .string(type.apiVersion) }
        if object.kind.isEmpty { object["kind"] = .string(type.kind) }
        guard object.apiVersion == type.apiVersion else {
            throw StatusError.badRequest(
                "the API version in the data (\(object.apiVersion)) does not match the expected API version (\(type.apiVersion))")
        }
        guard object.kind == type.kind else {
            throw StatusError.badRequest(
                "the kind in the data (\(object.kind)) does not match the expected kind (\(type.kind)) at \(type.collectionPath(namespace: target.namespace))")
        }
        if object["metadata"] == nil { object["metadata"] = [:] }
        guard object["metadata"]?.objectValue != nil else {
            throw StatusError.invalid(type, "", [.init(reason: "FieldValueTypeInvalid", message: "must be an object", field: "metadata")])
        }
        if type.namespaced {
            guard let ns = target.namespace else {
                throw StatusError.badRequest("a namespace is required to create or change \(type.groupResource)")
            }
            if let given = object.namespace, !given.isEmpty, given != ns {
                throw StatusError.badRequest(
                    "the namespace of the provided object (\(given)) does not match the namespace sent on the request (\(ns))")
            }
            object.namespace = ns
        } else {
            object.namespace = nil
        }
        if let name = target.name {
            if object.name.isEmpty { object.name = name }
            guard object.name == name else {
                throw StatusError.badRequest(
                    "the name of the object (\(object.name)) does not match the name on the URL (\(name))")
            }
        }
    }

    /// Field validation as asked by `fieldValidation`: Strict (our default) rejects unknown
    /// fields, Ignore and Warn drop them.
    func strictFields(_ query: Query) -> Bool {
        switch query["fieldValidation"] {
        case "Ignore", "Warn": return false
        default: return true
        }
    }

    func isDryRun(_ query: Query) -> Bool { query["dryRun"] == "All" }
}
