import Foundation
import KctlAgent
import KctlModel
import Logging

/// How one kctld runs: where its data lives, where it listens, where it tells clients to connect.
public struct DaemonOptions: Sendable {
    /// Directory holding the SQLite file (`kctl.db`) and, later, pod working directories.
    public var dataDir: String
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Where the kubeconfig-style file for kctl (and kubectl) is written; nil writes none.
    public var kubeconfigPath: String?
    public var logLevel: Logger.Level
    /// Simulated nodes created at start (`node-1`...`node-N`, spread over zones) if missing.
    public var nodes: Int
    /// Run the controllers, the scheduler and the node agents. Off, kctld only stores and serves.
    public var controlLoops: Bool
    public var agents: AgentOptions
    /// How long an Event is kept after it last happened.
    public var eventTTL: Duration
    /// What the node agents do with the pods bound to their node.
    public var podRunner: PodRunnerKind
    /// Crash-loop back-off of restarted containers (Kubernetes: 10 s doubling to 5 min).
    public var backOffBase: Duration
    public var backOffCap: Duration
    /// Whether kctld reaps orphaned grandchildren of its pods (`PR_SET_CHILD_SUBREAPER`): on in
    /// the kctld binary; off where kctld runs inside another program (tests).
    public var subreaper: Bool
    /// When a silent node is marked NotReady, and when its pods are evicted after that.
    public var nodeLifecycle: NodeLifecycleOptions
    /// How often pods' CPU and memory are sampled.
    public var sampleInterval: Duration
    /// Run the service proxy (ClusterIP and NodePort listeners) and the ingress proxy.
    public var proxies: Bool
    /// Where the ingress proxy listens (`--ingress-listen`; port 0 picks a free one).
    public var ingressHost: String
    public var ingressPort: Int
    /// Called with the ingress proxy's URL once it listens.
    public var onIngressListening: (@Sendable (String) -> Void)?
    /// The metrics pipeline and the HPA controller.
    public var autoscaling = AutoscalingOptions()

    /// How often metrics are scraped and autoscalers synced; Kubernetes' defaults, shortened for demos.
    public struct AutoscalingOptions: Sendable, Hashable {
        /// How often annotated pods' and Services' `/metrics` are scraped (`--metrics-scrape-interval`).
        public var scrapeInterval: Duration = .seconds(15)
        /// How long a sample pushed with `kctl metrics push` counts (`--metrics-push-ttl`): a
        /// pushed value stands until replaced or this old, so a scripted push scales predictably.
        public var pushTTL: Duration = .seconds(300)
        /// How often each HPA is evaluated (`--hpa-sync-period`).
        public var syncPeriod: Duration = .seconds(15)
        /// How long a scale-down waits for the highest recent recommendation (`--hpa-downscale-stabilization`),
        /// unless the HPA's own `behavior.scaleDown.stabilizationWindowSeconds` says otherwise.
        public var downscaleStabilization: Duration = .seconds(300)

        public init() {}
    }

    /// How node agents treat their pods.
    public enum PodRunnerKind: String, Sendable, Hashable {
        /// Run every container as a real child process (the default).
        case processes
        /// Only accept pods (status Pending, no process): for benchmarks of the control plane alone.
        case accept
    }

    /// Where the pods' directories live: `<dataDir>/pods`.
    public var podsDirectory: String { (dataDir as NSString).appendingPathComponent("pods") }

    /// The process runtime's settings.
    public var runtimeOptions: RuntimeOptions {
        RuntimeOptions(
            podsDirectory: podsDirectory, backOffBase: backOffBase, backOffCap: backOffCap,
            sampleInterval: sampleInterval, becomeSubreaper: subreaper)
    }

    public init(
        dataDir: String = DaemonOptions.defaultDataDir, host: String = "127.0.0.1", port: Int = DaemonOptions.defaultPort,
        kubeconfigPath: String? = DaemonOptions.defaultKubeconfigPath, logLevel: Logger.Level = .info,
        nodes: Int = 0, controlLoops: Bool = true, agents: AgentOptions = AgentOptions(), eventTTL: Duration = .seconds(3600),
        podRunner: PodRunnerKind = .processes, backOffBase: Duration = .seconds(10), backOffCap: Duration = .seconds(300),
        subreaper: Bool = false, nodeLifecycle: NodeLifecycleOptions = NodeLifecycleOptions(),
        sampleInterval: Duration = .seconds(10), proxies: Bool = true, ingressHost: String = "127.0.0.1",
        ingressPort: Int = DaemonOptions.defaultIngressPort
    ) {
        self.dataDir = dataDir
        self.host = host
        self.port = port
        self.kubeconfigPath = kubeconfigPath
        self.logLevel = logLevel
        self.nodes = nodes
        self.controlLoops = controlLoops
        self.agents = agents
        self.eventTTL = eventTTL
        self.podRunner = podRunner
        self.backOffBase = backOffBase
        self.backOffCap = backOffCap
        self.subreaper = subreaper
        self.nodeLifecycle = nodeLifecycle
        self.sampleInterval = sampleInterval
        self.proxies = proxies
        self.ingressHost = ingressHost
        self.ingressPort = ingressPort
    }

    /// The ingress proxy's documented default port.
    public static let defaultIngressPort = 6480

    /// Parses a duration as Kubernetes writes them: `500ms`, `10s`, `5m`, `1h`, `1m30s`.
    public static func parseDuration(_ text: String) throws -> Duration {
        guard let duration = GoDuration.parse(text) else {
            throw DaemonError.invalidOption("invalid duration \"\(text)\" (write it like 500ms, 10s, 2m, 1h)")
        }
        return duration
    }

    public static let defaultPort = 6440

    static var home: String { ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.currentDirectoryPath }

    /// `~/.kctl/data`.
    public static var defaultDataDir: String { "\(home)/.kctl/data" }

    /// `$KCTL_CONFIG`, else `~/.kctl/config`: the same place kctl looks.
    public static var defaultKubeconfigPath: String {
        ProcessInfo.processInfo.environment["KCTL_CONFIG"] ?? "\(home)/.kctl/config"
    }

    /// Parses `HOST:PORT` (`127.0.0.1:6440`, `:0`, `[::1]:6440`).
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw DaemonError.invalidOption("--listen: expected HOST:PORT, got \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw DaemonError.invalidOption("--listen: \"\(text)\" has no valid port (0-65535)")
        }
        return (host, port)
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case invalidOption(String)
    case startFailed(String)

    public var description: String {
        switch self {
        case .invalidOption(let m), .startFailed(let m): return m
        }
    }
}
