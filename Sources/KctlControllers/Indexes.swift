import KctlControllerRuntime
import KctlModel

/// The informer indexes the controllers share.
enum Indexes {
    /// Objects by the uid of their controller, and objects with no controller under `orphan/<namespace>`.
    static let controller = "controller-uid"
    /// Objects by the uid of each of their owners.
    static let owner = "owner-uid"

    static func orphanValue(namespace: String?) -> String { "orphan/\(namespace ?? "")" }

    /// Adds both indexes (adding again replaces them with the same functions).
    static func addIfMissing(to informer: Informer) {
        informer.addIndex(controller) { object in
            if let uid = object.controllerOwnerUID { return [uid] }
            return [orphanValue(namespace: object.namespace)]
        }
        informer.addIndex(owner) { object in object.ownerUIDs }
    }
}

extension Informer {
    /// Objects whose controller is `uid`, plus objects in `namespace` that have no controller.
    func ownedOrOrphaned(by uid: String, namespace: String?) -> [KubeObject] {
        list(index: Indexes.controller, value: uid) + list(index: Indexes.controller, value: Indexes.orphanValue(namespace: namespace))
    }

    /// Objects with an owner reference to `uid`.
    func dependents(of uid: String) -> [KubeObject] {
        list(index: Indexes.owner, value: uid)
    }
}
