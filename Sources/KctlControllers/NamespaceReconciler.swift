import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// Empties namespaces being deleted: every object of every namespaced kind in it is deleted;
/// once nothing is left, the `kubernetes` finalizer (in `spec.finalizers` and in
/// `metadata.finalizers`) is removed and the namespace goes away.
///
/// It reads the namespace's contents from the store (there is no informer for every kind) and
/// looks again every `recheck` until the namespace is empty.
public struct NamespaceReconciler: Reconciler {
    public static let finalizer = "kubernetes"

    let store: any Store
    let namespaces: Informer
    let kinds: [ResourceType]
    let recheck: Duration
    let recorder: EventRecorder
    let logger: Logger

    public init(
        store: any Store, namespaces: Informer, kinds: [ResourceType] = ResourceType.all.filter(\.namespaced),
        recheck: Duration = .seconds(1), recorder: EventRecorder, logger: Logger
    ) {
        self.store = store
        self.namespaces = namespaces
        self.kinds = kinds
        self.recheck = recheck
        self.recorder = recorder
        self.logger = logger
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let namespace = namespaces.get(key), namespace.deletionTimestamp != nil else { return .done }
        let name = namespace.name
        if namespace.status?["phase"]?.stringValue != "Terminating" {
            _ = try? await store.update(.namespace, namespace: nil, name: name, subresource: .status) {
                var status = $0.status?.objectValue ?? [:]
                status["phase"] = "Terminating"
                $0.status = .object(status)
            }
        }
        var remaining = 0
        var failures: [String] = []
        // Events last, so the ones recorded while emptying the namespace go too.
        for kind in kinds.sorted(by: { ($0 == .event ? 1 : 0) < ($1 == .event ? 1 : 0) }) {
            let items = try await store.list(kind, namespace: name).items
            for item in items {
                remaining += 1
                guard item.deletionTimestamp == nil else { continue }
                do {
                    _ = try await store.delete(kind, namespace: name, name: item.name, preconditions: Preconditions(uid: item.uid))
                } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                } catch {
                    failures.append("\(kind.kind) \(item.name): \(error)")
                }
            }
        }
        if !failures.isEmpty {
            logger.warning("namespace \(name): could not delete \(failures.joined(separator: "; "))")
        }
        if remaining > 0 {
            // Deleted now, or waiting on finalizers: make sure nothing is left before finishing.
            return .requeueAfter(recheck)
        }
        do {
            _ = try await store.update(.namespace, namespace: nil, name: name, subresource: .main) { object in
                if var spec = object.spec?.objectValue, let finalizers = spec["finalizers"]?.arrayValue {
                    let kept = finalizers.filter { $0.stringValue != Self.finalizer }
                    spec["finalizers"] = kept.isEmpty ? nil : .array(kept)
                    object.spec = .object(spec)
                }
                object.finalizers = object.finalizers.filter { $0 != Self.finalizer }
            }
            _ = try await store.delete(.namespace, namespace: nil, name: name, preconditions: Preconditions(uid: namespace.uid))
            logger.info("namespace \(name): emptied and deleted")
        } catch let error as StatusError where error.reason == .notFound {
        }
        return .done
    }
}
