import KctlModel

/// The Kubernetes object rules every write follows, as pure functions of the stored and the
/// incoming object: no I/O, no clock, no randomness (the caller passes `uid` and `now`), so
/// they are tested alone and the writer only persists what they decide.
enum ObjectRules {
    /// What an update does.
    enum UpdateOutcome: Equatable {
        /// Nothing changed: nothing is written and no event is sent.
        case unchanged(KubeObject)
        /// Replace the stored object (MODIFIED).
        case write(KubeObject)
        /// The update cleared the last finalizer of an object being deleted (DELETED).
        case remove(KubeObject)
    }

    /// What a delete does.
    enum DeleteOutcome: Equatable {
        /// No finalizers: remove the object (DELETED).
        case remove(KubeObject)
        /// Finalizers pending: set `deletionTimestamp` and keep it (MODIFIED).
        case mark(KubeObject)
        /// Already marked and still waiting on finalizers: nothing to write.
        case alreadyMarked(KubeObject)
    }

    static let conflictMessage =
        "the object has been modified; please apply your changes to the latest version and try again"

    /// The namespace an object of `type` is stored under: "" for cluster-scoped kinds.
    static func storageNamespace(_ namespace: String?, for type: ResourceType) -> String {
        type.namespaced ? (namespace ?? "") : ""
    }

    /// A new object as stored: `uid`, `creationTimestamp` (unless set), `generation` 1, no
    /// `deletionTimestamp` and, for cluster-scoped kinds, no namespace. `resourceVersion` is set
    /// by `stamp(_:revision:)` once the revision is known.
    static func prepareForCreate(_ object: KubeObject, as type: ResourceType, uid: String, now: @autoclosure () -> String)
        throws -> KubeObject
    {
        var object = object
        if object.name.isEmpty {
            throw StatusError.invalid(
                type, "",
                [.init(reason: "FieldValueRequired", message: "Required value: name is required", field: "metadata.name")])
        }
        if type.namespaced, (object.namespace ?? "").isEmpty {
            throw StatusError.invalid(
                type, object.name,
                [.init(reason: "FieldValueRequired", message: "Required value", field: "metadata.namespace")])
        }
        if object.json["apiVersion"] == nil { object.json["apiVersion"] = .string(type.apiVersion) }
        if object.json["kind"] == nil { object.json["kind"] = .string(type.kind) }
        editMetadata(&object) { meta in
            meta["uid"] = .string(uid)
            if (meta["creationTimestamp"]?.stringValue ?? "").isEmpty { meta["creationTimestamp"] = .string(now()) }
            meta["generation"] = .int(1)
            meta["deletionTimestamp"] = nil
            meta["deletionGracePeriodSeconds"] = nil
            meta["resourceVersion"] = nil
            if !type.namespaced { meta["namespace"] = nil }
        }
        return object
    }

    /// Applies an update of `subresource` to `stored`. With `checkVersion`, a non-empty
    /// `resourceVersion` on `incoming` must match the stored one.
    static func update(
        stored: KubeObject, incoming: KubeObject, as type: ResourceType, subresource: Subresource,
        checkVersion: Bool
    ) throws -> UpdateOutcome {
        let storedVersion = stored.resourceVersion ?? ""
        if checkVersion, let version = incoming.resourceVersion, !version.isEmpty, version != storedVersion {
            throw StatusError.conflict(type, stored.name, conflictMessage)
        }
        if let uid = incoming.uid, !uid.isEmpty, uid != (stored.uid ?? "") {
            throw StatusError.conflict(
                type, stored.name,
                "Precondition failed: UID in precondition: \(uid), UID in object meta: \(stored.uid ?? "")")
        }

        var result: KubeObject
        switch subresource {
        case .status:
            result = stored
            result.json["status"] = incoming.json["status"]
        case .main, .all:
            result = incoming
            if type.hasStatus && subresource == .main { result.json["status"] = stored.json["status"] }
            let specChanged = !sameSpec(stored, result)
            let storedMeta = stored.metadata
            editMetadata(&result) { meta in
                // Identity and lifecycle fields belong to the store, not the writer.
                for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "name"] {
                    meta[key] = storedMeta[key]
                }
                meta["namespace"] = type.namespaced ? storedMeta["namespace"] : nil
                meta["resourceVersion"] = storedMeta["resourceVersion"]
                let generation = storedMeta["generation"]?.intValue ?? 1
                meta["generation"] = .int(specChanged ? generation + 1 : generation)
            }
        }

        if result == stored { return .unchanged(stored) }
        if result.deletionTimestamp != nil, result.finalizers.isEmpty, !gracefulDeletionPending(result) {
            return .remove(result)
        }
        return .write(result)
    }

    /// Decides a delete of `stored` under `preconditions`.
    static func delete(
        stored: KubeObject, as type: ResourceType, preconditions: Preconditions, gracePeriodSeconds: Int64? = nil,
        now: String
    ) throws -> DeleteOutcome {
        if let uid = preconditions.uid, uid != (stored.uid ?? "") {
            throw StatusError.conflict(
                type, stored.name,
                "Precondition failed: UID in precondition: \(uid), UID in object meta: \(stored.uid ?? "")")
        }
        if let version = preconditions.resourceVersion, version != (stored.resourceVersion ?? "") {
            throw StatusError.conflict(
                type, stored.name,
                "Precondition failed: ResourceVersion in precondition: \(version), "
                    + "ResourceVersion in object meta: \(stored.resourceVersion ?? "")")
        }
        let grace = type == .pod ? podGracePeriod(stored, requested: gracePeriodSeconds) : 0
        if grace == 0, stored.finalizers.isEmpty { return .remove(stored) }
        var marked = stored
        if marked.deletionTimestamp == nil { marked.deletionTimestamp = now }
        // The grace period may only shrink (a second `delete --grace-period=0` finishes at once).
        let current = stored.metadata["deletionGracePeriodSeconds"]?.intValue
        if type == .pod, current.map({ grace < $0 }) ?? true {
            editMetadata(&marked) { $0["deletionGracePeriodSeconds"] = .int(grace) }
        }
        return marked == stored ? .alreadyMarked(stored) : .mark(marked)
    }

    /// The grace period a pod's deletion gets: 0 (at once) for a pod on no node or one that has
    /// finished, else `requested`, else `spec.terminationGracePeriodSeconds`, else 30 s. A pod
    /// already being deleted keeps a shorter period it was given.
    static func podGracePeriod(_ pod: KubeObject, requested: Int64?) -> Int64 {
        let bound = !(pod.spec?["nodeName"]?.stringValue ?? "").isEmpty
        let phase = pod.status?["phase"]?.stringValue
        guard bound, phase != "Succeeded", phase != "Failed" else { return 0 }
        let grace = max(0, requested ?? pod.spec?["terminationGracePeriodSeconds"]?.intValue ?? 30)
        if let current = pod.metadata["deletionGracePeriodSeconds"]?.intValue { return min(grace, current) }
        return grace
    }

    /// Whether `object` is marked for deletion with a grace period still running (a pod whose
    /// node agent has not stopped it yet): an update must not remove it.
    static func gracefulDeletionPending(_ object: KubeObject) -> Bool {
        (object.metadata["deletionGracePeriodSeconds"]?.intValue ?? 0) > 0
    }

    /// Sets `resourceVersion` to the revision of the write that stores `object`.
    static func stamp(_ object: inout KubeObject, revision: Int64) {
        editMetadata(&object) { $0["resourceVersion"] = .string(String(revision)) }
    }

    /// Whether two objects have the same spec part (everything but metadata, status, apiVersion
    /// and kind), compared in place rather than through `specPart`'s copies.
    static func sameSpec(_ a: KubeObject, _ b: KubeObject) -> Bool {
        func isSpec(_ key: String) -> Bool {
            key != "metadata" && key != "status" && key != "apiVersion" && key != "kind"
        }
        var count = 0
        for (key, value) in a.json where isSpec(key) {
            guard b.json[key] == value else { return false }
            count += 1
        }
        return count == b.json.keys.lazy.filter(isSpec).count
    }

    /// Edits `metadata` in place: taking it out of the object first leaves the dictionary
    /// uniquely referenced, so the edit does not copy it.
    static func editMetadata(_ object: inout KubeObject, _ body: (inout [String: JSONValue]) -> Void) {
        var meta = object.json.removeValue(forKey: "metadata")?.objectValue ?? [:]
        body(&meta)
        object.json["metadata"] = .object(meta)
    }
}
