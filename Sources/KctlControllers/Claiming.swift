import KctlControllerRuntime
import KctlModel
import KctlStore

/// How a controller takes ownership of what its selector matches, as Kubernetes'
/// `ControllerRefManager`: keeps what it controls and still matches, adopts matching objects that
/// have no controller (adds a controller reference), and releases what it controls but no longer
/// matches (removes its reference). Objects controlled by someone else are never touched.
struct Claiming {
    let store: any Store
    let type: ResourceType

    struct Result {
        /// What the owner controls now.
        var owned: [KubeObject] = []
        /// The revision of the last adoption or release written, if any.
        var lastWrite: String?
    }

    /// Returns the objects `owner` controls after adoption and release.
    func claim(owner: KubeObject, selector: LabelSelector, candidates: [KubeObject]) async throws -> Result {
        var result = Result()
        guard let uid = owner.uid else { return result }
        let ownerAlive = owner.deletionTimestamp == nil
        var checkedOwner = false
        for object in candidates {
            let matches = !selector.isEmpty && selector.matches(object.labels)
            if let controller = object.controllerOwner {
                guard controller.uid == uid else { continue }
                if matches {
                    result.owned.append(object)
                } else if ownerAlive, let written = try await release(object, from: uid) {
                    result.lastWrite = written.resourceVersion
                }
                continue
            }
            guard matches, ownerAlive, object.deletionTimestamp == nil else { continue }
            // Check once, against the store, that the owner still exists before adopting for it.
            if !checkedOwner {
                let fresh = try await store.get(ownerType(owner), namespace: owner.namespace, name: owner.name)
                guard fresh.uid == uid, fresh.deletionTimestamp == nil else { return result }
                checkedOwner = true
            }
            if let adopted = try await adopt(object, by: owner) {
                result.owned.append(adopted)
                result.lastWrite = adopted.resourceVersion
            }
        }
        return result
    }

    private func ownerType(_ owner: KubeObject) -> ResourceType {
        ResourceType.forObject(apiVersion: owner.apiVersion, kind: owner.kind) ?? .deployment
    }

    /// Adds a controller reference to `owner`; nil when someone else got there first or it is gone.
    private func adopt(_ object: KubeObject, by owner: KubeObject) async throws -> KubeObject? {
        let reference = OwnerRef.controller(of: owner)
        let uid = object.uid
        do {
            return try await store.update(type, namespace: object.namespace, name: object.name, subresource: .main) {
                current in
                guard current.uid == uid, current.controllerOwner == nil, current.deletionTimestamp == nil else {
                    throw Skip()
                }
                current.ownerReferences = current.ownerReferences.filter { $0["uid"]?.stringValue != reference.uid }
                    + [reference.json]
            }
        } catch is Skip {
            return nil
        } catch let error as StatusError where error.reason == .notFound {
            return nil
        }
    }

    /// Removes the references to `uid`.
    private func release(_ object: KubeObject, from uid: String) async throws -> KubeObject? {
        let objectUID = object.uid
        do {
            return try await store.update(type, namespace: object.namespace, name: object.name, subresource: .main) {
                current in
                guard current.uid == objectUID else { throw Skip() }
                current.ownerReferences = current.ownerReferences.filter { $0["uid"]?.stringValue != uid }
            }
        } catch is Skip {
            return nil
        } catch let error as StatusError where error.reason == .notFound {
            return nil
        }
    }

    private struct Skip: Error {}
}
