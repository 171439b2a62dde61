/// Settings of the node agents kctld runs, one per Node.
public struct AgentOptions: Sendable, Hashable {
    /// How often each agent renews its Lease (Kubernetes' kubelet: 10 s).
    public var heartbeatInterval: Duration
    /// How often the Node's `Ready` condition gets a fresh `lastHeartbeatTime` when nothing else
    /// changed (Kubernetes: 1 min, `nodeStatusReportFrequency`). Status changes are written at once.
    public var statusReportInterval: Duration
    /// `spec.leaseDurationSeconds` of the node Leases (Kubernetes: 40).
    public var leaseDurationSeconds: Int32
    /// Where node Leases live.
    public var leaseNamespace: String
    /// Whether agents mark the pods bound to their node as accepted. Off, an agent only heartbeats.
    public var managePods: Bool
    /// Pods each agent works on at once (a slow graceful stop must not hold up the others).
    public var podWorkers: Int

    public init(
        heartbeatInterval: Duration = .seconds(10),
        statusReportInterval: Duration = .seconds(60),
        leaseDurationSeconds: Int32 = 40,
        leaseNamespace: String = "kube-node-lease",
        managePods: Bool = true,
        podWorkers: Int = 2
    ) {
        self.heartbeatInterval = heartbeatInterval
        self.statusReportInterval = statusReportInterval
        self.leaseDurationSeconds = leaseDurationSeconds
        self.leaseNamespace = leaseNamespace
        self.managePods = managePods
        self.podWorkers = podWorkers
    }
}
