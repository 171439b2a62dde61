import Foundation

// What the API server needs from the node agents, which live outside it: pod logs, resource
// usage and a switch to fail a node. The daemon passes implementations to `APIServer.init`;
// without one, the matching endpoint answers a clear error instead of pretending.

/// One `GET pods/NAME/log` request, as the API server hands it to the node agents.
public struct PodLogRequest: Sendable, Hashable {
    public var namespace: String
    public var pod: String
    /// The pod's uid, so that a log of an earlier pod with the same name is never served.
    public var uid: String
    public var container: String
    /// Keep the stream open and send lines as they are written.
    public var follow: Bool
    /// Only the last N lines of what is already written (nil: all).
    public var tailLines: Int?
    /// Stop after this many bytes (nil: no limit). The API server also cuts the stream there.
    public var limitBytes: Int?
    /// The log of the container's previous (terminated) instance.
    public var previous: Bool

    public init(
        namespace: String, pod: String, uid: String, container: String, follow: Bool = false,
        tailLines: Int? = nil, limitBytes: Int? = nil, previous: Bool = false
    ) {
        self.namespace = namespace
        self.pod = pod
        self.uid = uid
        self.container = container
        self.follow = follow
        self.tailLines = tailLines
        self.limitBytes = limitBytes
        self.previous = previous
    }
}

/// Where container logs come from (the node agents' log files).
public protocol PodLogSource: Sendable {
    /// The log bytes (then, when following, more as they are written, until the container instance ends or the pod goes). nil: that container has no log (never started; no previous instance).
    func logs(_ request: PodLogRequest) async throws -> AsyncStream<[UInt8]>?
}

/// One container's usage over a sampling window.
public struct ContainerUsage: Sendable, Hashable {
    public var name: String
    public var cpuCores: Double
    public var memoryBytes: UInt64

    public init(name: String, cpuCores: Double, memoryBytes: UInt64) {
        self.name = name
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
    }
}

/// A pod's latest usage sample, per container.
public struct PodUsage: Sendable, Hashable {
    public var namespace: String
    public var name: String
    /// When the window ended.
    public var timestamp: Date
    public var window: Duration
    public var containers: [ContainerUsage]

    public init(namespace: String, name: String, timestamp: Date, window: Duration, containers: [ContainerUsage]) {
        self.namespace = namespace
        self.name = name
        self.timestamp = timestamp
        self.window = window
        self.containers = containers
    }
}

/// A node's latest usage sample (everything its agent runs).
public struct NodeUsage: Sendable, Hashable {
    public var name: String
    public var timestamp: Date
    public var window: Duration
    public var cpuCores: Double
    public var memoryBytes: UInt64

    public init(name: String, timestamp: Date, window: Duration, cpuCores: Double, memoryBytes: UInt64) {
        self.name = name
        self.timestamp = timestamp
        self.window = window
        self.cpuCores = cpuCores
        self.memoryBytes = memoryBytes
    }
}

/// The samples behind `metrics.k8s.io` (what metrics-server serves in Kubernetes).
public protocol ResourceMetricsSource: Sendable {
    func pods() async -> [PodUsage]
    func nodes() async -> [NodeUsage]
}

/// Stops and restarts a simulated node, to rehearse a node failure: a stopped node's agent stops
/// heartbeating and its processes die.
public protocol NodeAdministration: Sendable {
    func stop(node: String) async throws
    func start(node: String) async throws
}

/// What `kubectl exec` asks for: a command to run beside a container of a pod.
public struct PodExecRequest: Sendable, Hashable {
    public var namespace: String
    public var pod: String
    public var container: String
    public var command: [String]
    /// A terminal (`kubectl exec -t`): stdout and stderr are one stream, and it can be resized.
    public var tty: Bool

    public init(namespace: String, pod: String, container: String, command: [String], tty: Bool = false) {
        self.namespace = namespace
        self.pod = pod
        self.container = container
        self.command = command
        self.tty = tty
    }
}

/// A started exec: its output streams, its stdin, and its end.
public struct ExecSession: Sendable {
    public var stdout: AsyncStream<[UInt8]>
    public var stderr: AsyncStream<[UInt8]>
    /// Queues bytes for the command's stdin.
    public var write: @Sendable ([UInt8]) -> Void
    /// Ends the command's stdin.
    public var closeStdin: @Sendable () -> Void
    /// Waits for the command to end: its exit code (128 + the signal when killed).
    public var exitCode: @Sendable () async -> Int32
    /// Kills the command (the client went away).
    public var terminate: @Sendable () -> Void
    /// Sets the terminal's size (columns, rows); nothing without a terminal.
    public var resize: @Sendable (UInt16, UInt16) -> Void

    public init(
        stdout: AsyncStream<[UInt8]>, stderr: AsyncStream<[UInt8]>, write: @escaping @Sendable ([UInt8]) -> Void,
        closeStdin: @escaping @Sendable () -> Void, exitCode: @escaping @Sendable () async -> Int32,
        terminate: @escaping @Sendable () -> Void, resize: @escaping @Sendable (UInt16, UInt16) -> Void = { _, _ in }
    ) {
        self.resize = resize
        self.stdout = stdout
        self.stderr = stderr
        self.write = write
        self.closeStdin = closeStdin
        self.exitCode = exitCode
        self.terminate = terminate
    }
}

/// Where `kubectl exec` commands run (the node agents' runtime).
public protocol PodExecutor: Sendable {
    /// Starts the command; throws a `StatusError` when the pod or container cannot take it.
    func exec(_ request: PodExecRequest) async throws -> ExecSession
}
