import KctlModel

/// The order `kctl apply -f` writes documents in, and the reverse one `kctl delete -f` removes
/// them in, whatever order the files list them: what others depend on first, as Helm installs a
/// chart. Namespaces exist before what goes in them, Secrets and ConfigMaps before the pods that
/// read them, and Services before the pods that get their `*_SERVICE_HOST` variables at start;
/// workloads next, Ingresses after their backends, kinds not listed last. Documents of one kind
/// keep their order.
public enum ApplyOrder {
    /// Kinds in install order.
    public static let kinds: [String] = [
        "Namespace", "Node", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodDisruptionBudget", "ServiceAccount",
        "Secret", "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
        "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
        "Service", "Endpoints", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
        "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    ]

    private static let ranks = Dictionary(uniqueKeysWithValues: kinds.enumerated().map { ($1, $0) })

    /// A kind's place in the install order; unknown kinds come after every known one.
    public static func rank(of kind: String) -> Int { ranks[kind] ?? kinds.count }

    /// `items` in install order. Items without a kind (documents that did not decode) go first,
    /// so their errors are reported before anything is written.
    public static func forApply<Item>(_ items: [Item], kind: (Item) -> String?) -> [Item] {
        sorted(items) { item in kind(item).map(rank) ?? -1 }
    }

    /// `items` in delete order: install order reversed by kind, documents of one kind in their order.
    public static func forDelete<Item>(_ items: [Item], kind: (Item) -> String?) -> [Item] {
        sorted(items) { item in kind(item).map { -rank(of: $0) } ?? Int.min }
    }

    private static func sorted<Item>(_ items: [Item], by key: (Item) -> Int) -> [Item] {
        items.enumerated()
            .map { (key: key($0.element), index: $0.offset, item: $0.element) }
            .sorted { ($0.key, $0.index) < ($1.key, $1.index) }
            .map(\.item)
    }
}
