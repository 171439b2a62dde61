import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    /// Kinds whose status belongs to a controller: a create starts it empty.
    /// Names for `generateName` creates, shared with the controllers that generate pod names.
    static let names = NameGenerator()

    static let statusResetOnCreate: Set<String> = ["Deployment", "ReplicaSet", "HorizontalPodAutoscaler", "Pod"]

    /// - Parameter contentType: JSON by default; kubectl's typed clients send
    ///   Kubernetes protobuf, decoded for the kinds `ProtobufBody` knows (415 for the others).
    func create(_ target: ResourceRequest, body: [UInt8], query: Query, contentType: String? = nil) async throws -> Response {
        let object = try Self.createdObject(body, contentType: contentType)
        return Self.json(try await create(object, target, query: query).value, status: .created)
    }

    /// A create's body: JSON, or the protobuf of kubectl's typed clients.
    static func createdObject(_ body: [UInt8], contentType: String?) throws -> KubeObject {
        ProtobufBody.isProtobuf(contentType) ? try KubeObject(json: ProtobufBody.decode(body)) : try KubeObject(data: body)
    }

    /// Admits and stores a new object (or, with `dryRun`, only admits it): what it became.
    func create(_ object: KubeObject, _ target: ResourceRequest, query: Query) async throws -> KubeObject {
        let type = target.type
        var object = object
        try identify(&object, target)
        if target.subresource != nil {
            throw StatusError.methodNotAllowed("cannot create through the \(target.subresource!) subresource")
        }
        // Fields the server owns are never taken from a create.
        var meta = object.metadata
        for key in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields"] {
            meta[key] = nil
        }
        object.metadata = meta
        if Self.statusResetOnCreate.contains(type.kind) {
            object.status = type.kind == "Pod" ? ["phase": "Pending"] : nil
        }
        if type.namespaced, let ns = target.namespace {
            try await requireActiveNamespace(ns)
        }
        let generated = object.name.isEmpty && !(object.generateName ?? "").isEmpty
        var attempt = 0
        while true {
            attempt += 1
            var candidate = object
            if generated { candidate.name = Self.names.name(base: object.generateName ?? "") }
            let admitted = try Admission.admit(candidate, as: type, strict: strictFields(query))
            if isDryRun(query) { return try await previewAddresses(admitted, as: type) }
            do {
                return try await storeNew(admitted, as: type)
            } catch let error as StatusError where error.reason == .alreadyExists && generated && attempt < 8 {
                continue
            }
        }
    }

    func requireActiveNamespace(_ namespace: String) async throws {
        let ns: KubeObject
        do {
            ns = try await store.get(.namespace, namespace: nil, name: namespace)
        } catch let error as StatusError where error.reason == .notFound {
            throw StatusError(
                reason: .notFound, code: 404, message: "namespaces \"\(namespace)\" not found",
                name: namespace, group: "", kind: "namespaces")
        }
        if ns.deletionTimestamp != nil {
            throw StatusError(
                reason: .forbidden, code: 403,
                message: "unable to create new content in namespace \(namespace) because it is being terminated",
                name: namespace, group: "", kind: "namespaces")
        }
    }
}
