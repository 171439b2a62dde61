import KctlModel
import KctlStore
import Logging

/// Objects every cluster starts with: the namespaces Kubernetes creates for itself.
enum Bootstrap {
    static let namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"]

    static func run(store: any Store, logger: Logger) async throws {
        for name in namespaces {
            do {
                _ = try await store.get(.namespace, namespace: nil, name: name)
            } catch let error as StatusError where error.reason == .notFound {
                let ns = KubeObject([
                    "apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)],
                    "spec": ["finalizers": ["kubernetes"]], "status": ["phase": "Active"],
                ])
                _ = try await store.create(ns, as: .namespace)
                logger.info("bootstrap: created Namespace/\(name)")
            }
        }
    }
}
