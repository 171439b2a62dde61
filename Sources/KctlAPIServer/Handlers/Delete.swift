import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    /// Namespaces that hold the cluster's own objects and may not be deleted.
    static let protectedNamespaces: Set<String> = ["default", "kube-system", "kube-public", "kube-node-lease"]

    /// DeleteOptions from the body (kubectl sends one) and the query.
    struct DeleteOptions {
        var preconditions = Preconditions()
        var propagationPolicy: String?
        var gracePeriodSeconds: Int64?
        var dryRun = false

        init(body: [UInt8], query: Query) throws {
            if !body.isEmpty {
                let json: JSONValue
                do { json = try JSONValue.parse(body) } catch let e as JSONParseError {
                    throw StatusError.badRequest("the DeleteOptions body is not valid JSON: \(e.description)")
                }
                preconditions.uid = json["preconditions"]?["uid"]?.stringValue
                preconditions.resourceVersion = json["preconditions"]?["resourceVersion"]?.stringValue
                propagationPolicy = json["propagationPolicy"]?.stringValue
                gracePeriodSeconds = json["gracePeriodSeconds"]?.intValue
                if let dry = json["dryRun"]?.arrayValue, dry.contains("All") { dryRun = true }
            }
            if let p = query["propagationPolicy"] { propagationPolicy = p }
            if let g = query["gracePeriodSeconds"] {
                guard let seconds = Int64(g) else {
                    throw StatusError.badRequest("gracePeriodSeconds: Invalid value: \"\(g)\": must be an integer")
                }
                gracePeriodSeconds = seconds
            }
            if query["dryRun"] == "All" { dryRun = true }
            if let p = propagationPolicy, !["Orphan", "Background", "Foreground"].contains(p) {
                throw StatusError.badRequest(
                    "Unsupported value: \"\(p)\": supported values: \"Background\", \"Foreground\", \"Orphan\" (propagationPolicy)")
            }
        }
    }

    func delete(_ target: ResourceRequest, body: [UInt8], query: Query) async throws -> Response {
        guard let name = target.name, target.subresource == nil else {
            throw StatusError.methodNotAllowed("cannot delete a subresource")
        }
        let options = try DeleteOptions(body: body, query: query)
        if target.type == .namespace && Self.protectedNamespaces.contains(name) {
            throw StatusError(
                reason: .forbidden, code: 403, message: "namespaces \"\(name)\" is forbidden: this namespace may not be deleted",
                name: name, group: "", kind: "namespaces")
        }
        if options.dryRun {
            return Self.json(try await store.get(target.type, namespace: target.namespace, name: name).value)
        }
        let result = try await deleteObject(
            target.type, namespace: target.namespace, name: name, options: options)
        switch result {
        case .deleted(let object): return Self.json(object.value)
        case .pending(let object): return Self.json(object.value, status: .accepted)
        }
    }

    func deleteCollection(_ target: ResourceRequest, body: [UInt8], query: Query) async throws -> Response {
        let options = try DeleteOptions(body: body, query: query)
        let selectors = try Selectors(query)
        let result = try await store.list(target.type, namespace: target.namespace)
        var deleted: [JSONValue] = []
        for item in result.items where selectors.matches(item) {
            if target.type == .namespace && Self.protectedNamespaces.contains(item.name) { continue }
            if options.dryRun { deleted.append(item.value); continue }
            do {
                let r = try await deleteObject(target.type, namespace: item.namespace, name: item.name, options: options)
                deleted.append(r.object.value)
            } catch let error as StatusError where error.reason == .notFound {
                continue
            }
        }
        return Self.json([
            "apiVersion": .string(target.type.apiVersion), "kind": .string(target.type.kind + "List"),
            "metadata": [:], "items": .array(deleted),
        ])
    }

    /// Finalizers that hand a deletion to a controller: the garbage collector for `Foreground`
    /// (dependents first) and `Orphan` (dependents kept), the namespace controller for a
    /// namespace's contents.
    static func deletionFinalizer(for type: ResourceType, policy: String?) -> String? {
        if type == .namespace { return "kubernetes" }
        switch policy {
        case "Foreground": return "foregroundDeletion"
        case "Orphan": return "orphan"
        default: return nil
        }
    }

    /// Deletes one object; when a controller must act first, adds its finalizer so the store
    /// only marks the object (deletionTimestamp) and the controller finishes the deletion.
    func deleteObject(_ type: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws
        -> DeleteResult
    {
        var preconditions = options.preconditions
        if let finalizer = Self.deletionFinalizer(for: type, policy: options.propagationPolicy) {
            let given = preconditions
            _ = try await store.update(type, namespace: namespace, name: name, subresource: .main) { object in
                if let uid = given.uid, uid != object.uid {
                    throw StatusError.conflict(type, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.uid ?? "")")
                }
                if let version = given.resourceVersion, version != object.resourceVersion {
                    throw StatusError.conflict(type, name, "Precondition failed: ResourceVersion in precondition: \(version), ResourceVersion in object meta: \(object.resourceVersion ?? "")")
                }
                if object.deletionTimestamp == nil, !object.finalizers.contains(finalizer) {
                    object.finalizers.append(finalizer)
                }
            }
            if type == .namespace {
                _ = try await store.update(type, namespace: nil, name: name, subresource: .status) { object in
                    object.status = ["phase": "Terminating"]
                }
            }
            // The version checked above has moved on with the finalizer write.
            preconditions.resourceVersion = nil
        }
        return try await store.delete(
            type, namespace: namespace, name: name, preconditions: preconditions,
            gracePeriodSeconds: options.gracePeriodSeconds)
    }
}
