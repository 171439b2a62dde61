import KctlModel

/// What a probe needs to know about the container it checks: where it listens (for `httpGet` and
/// `tcpSocket`) and how it runs (for `exec`, which runs with the container's environment and
/// working directory).
public struct ProbeTarget: Sendable, Hashable {
    /// The pod's IP: the default host of network probes.
    public var podIP: String
    /// The container's ports, to resolve a probe port given by name.
    public var ports: [ContainerPort]
    public var environment: [String: String]
    public var workingDirectory: String

    public init(podIP: String, ports: [ContainerPort] = [], environment: [String: String] = [:], workingDirectory: String) {
        self.podIP = podIP
        self.ports = ports
        self.environment = environment
        self.workingDirectory = workingDirectory
    }
}
