import KctlModel
import KctlStore

extension APIServer {
    /// Stores a new object. A Service first gets its cluster IP and node ports; listing the
    /// Services, choosing and storing happen under one lock, so concurrent creates never collide.
    func storeNew(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        guard type == .service else { return try await store.create(object, as: type) }
        return try await serviceAllocationLock.withLock {
            var allocation = try await serviceAllocation(excluding: object.namespace, object.name)
            return try await store.create(try allocation.assign(object), as: .service)
        }
    }

    /// What a dry-run create answers: a Service with the addresses it would get now (nothing is
    /// reserved); any other object unchanged.
    func previewAddresses(_ object: KubeObject, as type: ResourceType) async throws -> KubeObject {
        guard type == .service else { return object }
        var allocation = try await serviceAllocation(excluding: object.namespace, object.name)
        return try allocation.assign(object)
    }

    /// An update of a Service (not its status): `mutate` as for any kind, then the allocated
    /// addresses the new version leaves unset are kept from the stored one, and new ports or a
    /// new type get theirs, all under the allocation lock.
    func commitService(
        _ target: ResourceRequest, name: String, dryRun: Bool,
        mutate: @escaping @Sendable (inout KubeObject) throws -> Void
    ) async throws -> KubeObject {
        let namespace = target.namespace
        if dryRun {
            var current = try await store.get(.service, namespace: namespace, name: name)
            let before = current
            try mutate(&current)
            var allocation = try await serviceAllocation(excluding: namespace, name)
            return try allocation.assign(current, previous: before)
        }
        return try await serviceAllocationLock.withLock {
            let allocation = try await serviceAllocation(excluding: namespace, name)
            return try await store.update(.service, namespace: namespace, name: name, subresource: .main) { current in
                let before = current
                try mutate(&current)
                var fresh = allocation
                current = try fresh.assign(current, previous: before)
            }
        }
    }

    /// The addresses every stored Service but `namespace/name` holds.
    private func serviceAllocation(excluding namespace: String?, _ name: String) async throws -> ServiceAllocation {
        let services = try await store.list(.service, namespace: nil).items
        var allocation = ServiceAllocation(existing: services, excluding: (namespace: namespace, name: name))
        if settings.avoidListeningAddresses { allocation.busyIPs = LoopbackListeners.addresses() }
        return allocation
    }
}
