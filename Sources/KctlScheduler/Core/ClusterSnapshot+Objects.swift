import KctlModel

/// Building a snapshot from listed objects, for callers outside the scheduler service that want
/// to ask "where would this go" (`kctl apply --dry-run=server`). It keeps the service's rules
/// (`SchedulerCache`): every node that parses enters; a pod takes room only while bound and not
/// finished.
extension ClusterSnapshot {
    /// The snapshot the scheduler's informers would hold after listing `nodes` and `pods`.
    /// Objects that do not parse are left out, as the service leaves them out.
    public init(nodes: [KubeObject], pods: [KubeObject]) {
        self.init()
        for node in nodes {
            if let info = try? NodeInfo(node) { upsertNode(info) }
        }
        for pod in pods where Self.holdsRoom(pod) {
            if let info = try? PodInfo(pod) { upsertPod(info) }
        }
    }

    /// Whether a pod takes room on a node: bound (`spec.nodeName`) and not `Succeeded` or `Failed`.
    /// Terminating pods still count, as on a real node.
    public static func holdsRoom(_ pod: KubeObject) -> Bool {
        guard let node = pod.spec?["nodeName"]?.stringValue, !node.isEmpty else { return false }
        let phase = pod.status?["phase"]?.stringValue
        return phase != "Succeeded" && phase != "Failed"
    }
}
