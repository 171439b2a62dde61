import KctlModel

/// One write of a batch (`Store.write(_:)`): the same operations as the single-write calls, so a
/// caller with many writes at hand (a scheduler binding pods, a recorder flushing events, a
/// controller creating replicas) pays for one commit instead of one per write.
public enum StoreWrite: Sendable {
    /// `Store.create(_:as:)`.
    case create(KubeObject, as: ResourceType)
    /// `Store.update(_:as:subresource:)`.
    case update(KubeObject, as: ResourceType, subresource: Subresource)
    /// `Store.update(_:namespace:name:subresource:mutate:)`; with `attaching`, the attachment is
    /// also stored with the object (replacing one of the same name) when the mutation succeeds,
    /// whether or not it changed the object.
    case mutate(
        ResourceType, namespace: String?, name: String, subresource: Subresource, attaching: ObjectAttachment? = nil,
        mutate: @Sendable (inout KubeObject) throws -> Void)
    /// `Store.delete(_:namespace:name:preconditions:gracePeriodSeconds:)`.
    case delete(
        ResourceType, namespace: String?, name: String, preconditions: Preconditions = Preconditions(),
        gracePeriodSeconds: Int64? = nil)
}

/// Data kept with one object for as long as it lives, outside its value: it is not in the
/// object's JSON, its watch events or its list, and writing it makes no revision. For what
/// is bulky and read seldom, like the scheduler's per-node record of its decision for a pod,
/// which in the pod itself would travel with every later write and watch event of it.
/// Deleting the object deletes its attachments, in the same transaction.
public struct ObjectAttachment: Sendable, Hashable {
    /// Unique per object (`scheduling`).
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// What one write of a batch did.
public enum StoreWriteResult: Sendable {
    /// The object as stored (created, updated, or unchanged when the update changed nothing).
    case written(KubeObject)
    /// What a delete did.
    case deleted(DeleteResult)
    /// The write failed (a `StatusError`, or what a `mutate` closure threw) and changed nothing.
    case failed(any Error)

    /// The object written, or the object a delete removed or marked; nil when the write failed.
    public var object: KubeObject? {
        switch self {
        case .written(let object): return object
        case .deleted(let result): return result.object
        case .failed: return nil
        }
    }

    /// The error of a failed write.
    public var error: (any Error)? {
        if case .failed(let error) = self { return error }
        return nil
    }

    /// The object, or the error thrown.
    public func get() throws -> KubeObject {
        switch self {
        case .written(let object): return object
        case .deleted(let result): return result.object
        case .failed(let error): throw error
        }
    }
}

extension Store {
    /// Runs the writes one at a time: correct for any store; a store that commits them together
    /// (`SQLiteStore`) does it in one transaction instead.
    public func write(_ writes: [StoreWrite]) async -> [StoreWriteResult] {
        var results: [StoreWriteResult] = []
        results.reserveCapacity(writes.count)
        for write in writes {
            do {
                switch write {
                case .create(let object, let type):
                    results.append(.written(try await create(object, as: type)))
                case .update(let object, let type, let subresource):
                    results.append(.written(try await update(object, as: type, subresource: subresource)))
                case .mutate(let type, let namespace, let name, let subresource, let attachment, let mutate):
                    let written = try await update(type, namespace: namespace, name: name, subresource: subresource, mutate: mutate)
                    if let attachment {
                        try await attach(attachment, to: type, namespace: namespace, name: name)
                    }
                    results.append(.written(written))
                case .delete(let type, let namespace, let name, let preconditions, let grace):
                    results.append(
                        .deleted(
                            try await delete(
                                type, namespace: namespace, name: name, preconditions: preconditions,
                                gracePeriodSeconds: grace)))
                }
            } catch {
                results.append(.failed(error))
            }
        }
        return results
    }
}
