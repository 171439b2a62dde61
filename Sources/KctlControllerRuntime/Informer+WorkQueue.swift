import KctlModel

extension Informer {
    /// Queues the key of every changed object in `queue`.
    public func enqueueKeys(into queue: WorkQueue) {
        addHandler { event in queue.add(event.key) }
    }

    /// Queues the key of the controller (`ownerReferences[controller=true]`) of kind `ownerKind`
    /// of every changed object, in the object's namespace; for an update that changed the
    /// controller, both the old and the new one.
    public func enqueueControllers(ofKind ownerKind: String, into queue: WorkQueue) {
        addHandler { event in
            var objects = [event.object]
            if case .updated(let old, _) = event { objects.append(old) }
            var seen = Set<ObjectKey>()
            for object in objects {
                guard let owner = object.controllerOwner, owner.kind == ownerKind else { continue }
                let key = ObjectKey(namespace: object.namespace, name: owner.name)
                if seen.insert(key).inserted { queue.add(key) }
            }
        }
    }
}

/// The fields of an owner reference the runtime reads.
public struct OwnerRef: Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool
    public var blockOwnerDeletion: Bool

    public init(
        apiVersion: String, kind: String, name: String, uid: String, controller: Bool = false,
        blockOwnerDeletion: Bool = false
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }

    /// Reads one entry of `metadata.ownerReferences`; nil when kind, name or uid is missing.
    public init?(_ json: JSONValue) {
        guard let kind = json["kind"]?.stringValue, let name = json["name"]?.stringValue,
            let uid = json["uid"]?.stringValue
        else { return nil }
        self.init(
            apiVersion: json["apiVersion"]?.stringValue ?? "", kind: kind, name: name, uid: uid,
            controller: json["controller"]?.boolValue ?? false,
            blockOwnerDeletion: json["blockOwnerDeletion"]?.boolValue ?? false)
    }

    /// A controller reference to `owner`, as Kubernetes controllers set it.
    public static func controller(of owner: KubeObject) -> OwnerRef {
        OwnerRef(
            apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid ?? "", controller: true,
            blockOwnerDeletion: true)
    }

    public var json: JSONValue {
        [
            "apiVersion": .string(apiVersion), "kind": .string(kind), "name": .string(name), "uid": .string(uid),
            "controller": .bool(controller), "blockOwnerDeletion": .bool(blockOwnerDeletion),
        ]
    }
}

extension KubeObject {
    /// Every parsable owner reference.
    public var owners: [OwnerRef] { ownerReferences.compactMap(OwnerRef.init) }

    /// The owner reference marked `controller: true`, if any.
    public var controllerOwner: OwnerRef? { owners.first { $0.controller } }

    /// `controllerOwner?.uid`, read without making an `OwnerRef` of every reference: informer
    /// indexes and handlers ask for it on every change of every pod.
    public var controllerOwnerUID: String? {
        for reference in ownerReferences where reference["controller"]?.boolValue == true {
            if let uid = OwnerRef.uid(of: reference) { return uid }
        }
        return nil
    }

    /// `owners.map(\.uid)`, likewise.
    public var ownerUIDs: [String] {
        ownerReferences.compactMap(OwnerRef.uid(of:))
    }
}

extension OwnerRef {
    /// The uid of a reference `OwnerRef(_:)` accepts (kind, name and uid given), else nil.
    static func uid(of reference: JSONValue) -> String? {
        guard case .object(let fields) = reference, fields["kind"]?.stringValue != nil,
            fields["name"]?.stringValue != nil
        else { return nil }
        return fields["uid"]?.stringValue
    }
}
