import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Keeps, for each Service with a selector, an Endpoints object of the same name listing the
/// selected pods' addresses (`EndpointsBuilder` decides what; this writes it). Keyed by Service;
/// woken by its Service, by its pods (old and new labels) and by changes to the Endpoints it
/// manages, so an edited or deleted Endpoints is put back.
///
/// - Writes only when the subsets or labels differ from the stored ones, and logs one line per
///   write (`endpoints default/users: 2 ready, 0 not ready`).
/// - Services without a selector, and ExternalName Services, are left alone: their Endpoints
///   belong to whoever writes them.
/// - A deleted Service's Endpoints is deleted here (Kubernetes sets no owner reference on it).
/// - A named `targetPort` that selected pods do not declare leaves those pods out and records one
///   Warning Event `FailedToResolvePort` on the Service, again only after it was resolved once.
public struct EndpointsReconciler: Reconciler {
    /// Marks the Endpoints this controller wrote, so one left behind by a Service deleted while
    /// kctld was down is found on start-up.
    public static let managedByAnnotation = "kctl.dev/managed-by"
    public static let managedByValue = "endpoints-controller"

    let store: any Store
    let services: Informer
    let pods: Informer
    let endpoints: Informer
    let recorder: EventRecorder
    let logger: Logger
    /// Per Service, its uid and the `servicePort/targetPort` pairs already warned about.
    private let warned = Locked<[ObjectKey: (uid: String, ports: Set<String>)]>([:])

    public init(
        store: any Store, services: Informer, pods: Informer, endpoints: Informer, recorder: EventRecorder,
        logger: Logger
    ) {
        self.store = store
        self.services = services
        self.pods = pods
        self.endpoints = endpoints
        self.recorder = recorder
        self.logger = logger
    }

    /// Feeds `queue` from the three informers (see the type's description).
    public static func enqueue(services: Informer, pods: Informer, endpoints: Informer, into queue: WorkQueue) {
        services.enqueueKeys(into: queue)
        endpoints.addHandler { event in
            if event.object.annotations[managedByAnnotation] == managedByValue { queue.add(event.key) }
        }
        pods.addHandler { event in
            var labelSets = [event.object.labels]
            if case .updated(let old, _) = event, old.labels != event.object.labels { labelSets.append(old.labels) }
            for service in services.list(namespace: event.object.namespace) {
                guard let selector = service.spec?["selector"]?.objectValue, !selector.isEmpty else { continue }
                let matches = labelSets.contains { labels in
                    selector.allSatisfy { key, value in value.stringValue.map { labels[key] == $0 } ?? false }
                }
                if matches { queue.add(ObjectKey(service)) }
            }
        }
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = services.get(key) else {
            warned.withLock { $0[key] = nil }
            try await deleteEndpoints(key)
            return .done
        }
        let service: Service
        do {
            service = try Service(object)
        } catch {
            logger.warning("endpoints \(key): cannot read the service: \(error)")
            return .done
        }
        guard service.spec?.type != "ExternalName", let selector = service.spec?.selector, !selector.isEmpty else {
            return .done
        }
        let candidates = pods.list(namespace: key.namespace).compactMap { try? Pod($0) }
        let result = EndpointsBuilder.build(for: service, pods: candidates)
        await warnAboutUnresolvedPorts(object, result.unresolved)

        var desired = result.endpoints.kubeObject
        desired.annotations[Self.managedByAnnotation] = Self.managedByValue
        if let current = endpoints.get(key), Self.sameContent(current, desired) { return .done }
        let summary = "endpoints \(key): \(result.readyCount) ready, \(result.notReadyCount) not ready"
        if try await write(desired, key: key) { logger.info("\(summary)") }
        return .done
    }

    // MARK: Writes

    /// Creates or updates the Endpoints; true when the stored object changed.
    private func write(_ desired: KubeObject, key: ObjectKey) async throws -> Bool {
        let admitted = try Admission.admit(desired, as: .endpoints)
        do {
            _ = try await store.create(admitted, as: .endpoints)
            return true
        } catch let error as StatusError where error.reason == .alreadyExists {
            // Someone else's, or ours not yet in the cache: update it in place.
        }
        let changed = Locked(false)
        _ = try await store.update(.endpoints, namespace: key.namespace, name: key.name, subresource: .main) {
            current in
            guard !Self.sameContent(current, admitted) else { return }
            current.json["subsets"] = admitted.json["subsets"]
            current.labels = admitted.labels
            current.annotations[Self.managedByAnnotation] = Self.managedByValue
            changed.withLock { $0 = true }
        }
        return changed.withLock { $0 }
    }

    private func deleteEndpoints(_ key: ObjectKey) async throws {
        guard let current = endpoints.get(key) else { return }
        do {
            _ = try await store.delete(
                .endpoints, namespace: key.namespace, name: key.name, preconditions: Preconditions(uid: current.uid))
            logger.info("endpoints \(key): deleted with its service")
        } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
            // Already gone, or replaced by a newer one that a later event brings here.
        }
    }

    /// Whether the stored Endpoints already has the desired subsets, labels and marker.
    static func sameContent(_ current: KubeObject, _ desired: KubeObject) -> Bool {
        normalizedSubsets(current) == normalizedSubsets(desired) && current.labels == desired.labels
            && current.annotations[managedByAnnotation] == managedByValue
    }

    private static func normalizedSubsets(_ object: KubeObject) -> JSONValue {
        guard let subsets = object.json["subsets"], subsets.arrayValue?.isEmpty == false else { return .null }
        return subsets
    }

    // MARK: Warnings

    private func warnAboutUnresolvedPorts(_ service: KubeObject, _ unresolved: [EndpointsBuilder.UnresolvedPort])
        async
    {
        let key = ObjectKey(service)
        let uid = service.uid ?? ""
        let current = Set(unresolved.map { "\($0.servicePort)/\($0.targetPort)" })
        let fresh = warned.withLock { warned -> Set<String> in
            let before = warned[key].flatMap { $0.uid == uid ? $0.ports : nil } ?? []
            warned[key] = current.isEmpty ? nil : (uid, current)
            return current.subtracting(before)
        }
        for port in unresolved where fresh.contains("\(port.servicePort)/\(port.targetPort)") {
            let portText = port.servicePort.isEmpty ? "the service port" : "service port \"\(port.servicePort)\""
            var pods = port.pods.prefix(3).joined(separator: ", ")
            if port.pods.count > 3 { pods += " and \(port.pods.count - 3) more" }
            let message =
                "no container port named \"\(port.targetPort)\" (\(port.protocol)) for \(portText) in pod(s) \(pods): "
                + "they get no traffic on it"
            await recorder.warning(service, reason: "FailedToResolvePort", message: message)
        }
    }
}
