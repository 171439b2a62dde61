import ArgumentParser
import Foundation
import KctlAgent
import KctlDaemon
import Logging

/// kctld: the kctl control-plane daemon.
@main
struct KctldCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kctld",
        abstract: "The kctl control plane: an embedded SQLite store behind a Kubernetes-shaped API.")

    @Option(help: "Directory for the SQLite store and pod data.")
    var dataDir: String = DaemonOptions.defaultDataDir

    @Option(help: "Address to serve the API on (HOST:PORT; port 0 picks a free one). Loopback by default.")
    var listen: String = "127.0.0.1:\(DaemonOptions.defaultPort)"

    @Option(help: "Where to write the kubeconfig-style file kctl reads (\"\" for none).")
    var kubeconfig: String = DaemonOptions.defaultKubeconfigPath

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Simulated nodes to create at start (node-1...node-N, spread over zones), if missing.")
    var nodes: Int = 0

    @Option(help: "How often each node agent renews its Lease (e.g. 10s, 500ms).")
    var heartbeatInterval: String = "10s"

    @Option(help: "How long an Event is kept after it last happened (e.g. 1h, 30m).")
    var eventTtl: String = "1h"

    @Flag(help: "Only store and serve: run no controllers, scheduler or node agents.")
    var noControlLoops = false

    @Option(help: "What node agents do with their pods: processes (run each container as a child process) or accept (only mark them accepted; for benchmarks).")
    var podRunner: String = "processes"

    @Option(help: "Crash-loop back-off: the delay before the second restart, doubling after (e.g. 10s, 500ms).")
    var backoffBase: String = "10s"

    @Option(help: "Crash-loop back-off: the longest delay between restarts (e.g. 5m).")
    var backoffCap: String = "5m"

    @Option(help: "How long a node may go without a heartbeat before it is marked NotReady (e.g. 40s).")
    var nodeMonitorGracePeriod: String = "40s"

    @Option(help: "How long pods stay on a NotReady node before they are evicted (e.g. 5m).")
    var podEvictionTimeout: String = "5m"

    @Option(help: "How often pods' CPU and memory are sampled from /proc (e.g. 10s).")
    var sampleInterval: String = "10s"

    @Option(help: "Where the ingress proxy listens (HOST:PORT). Loopback by default.")
    var ingressListen: String = "127.0.0.1:\(DaemonOptions.defaultIngressPort)"

    @Flag(help: "Run no service or ingress proxy.")
    var noProxies = false

    @Option(help: "How often annotated pods' and Services' /metrics are scraped (e.g. 15s).")
    var metricsScrapeInterval: String = "15s"

    @Option(help: "How long a sample pushed with kctl metrics push counts, unless replaced (e.g. 5m).")
    var metricsPushTtl: String = "5m"

    @Option(help: "How often each HorizontalPodAutoscaler is evaluated (e.g. 15s).")
    var hpaSyncPeriod: String = "15s"

    @Option(help: "How long a scale-down waits on the highest recent recommendation, unless the HPA's behavior says (e.g. 5m).")
    var hpaDownscaleStabilization: String = "5m"

    func validate() throws {
        _ = try parsedListen()
        do { _ = try DaemonOptions.parseListen(ingressListen) } catch { throw ValidationError("--ingress-listen: \(error)") }
        guard nodes >= 0 else { throw ValidationError("--nodes: must be 0 or more, got \(nodes)") }
        guard DaemonOptions.PodRunnerKind(rawValue: podRunner) != nil else {
            throw ValidationError("--pod-runner: must be processes or accept, got \"\(podRunner)\"")
        }
        let durations = [
            ("--heartbeat-interval", heartbeatInterval), ("--event-ttl", eventTtl), ("--backoff-base", backoffBase),
            ("--backoff-cap", backoffCap), ("--node-monitor-grace-period", nodeMonitorGracePeriod),
            ("--pod-eviction-timeout", podEvictionTimeout), ("--sample-interval", sampleInterval),
            ("--metrics-scrape-interval", metricsScrapeInterval), ("--hpa-sync-period", hpaSyncPeriod),
            ("--hpa-downscale-stabilization", hpaDownscaleStabilization), ("--metrics-push-ttl", metricsPushTtl),
        ]
        for (flag, value) in durations {
            do { _ = try DaemonOptions.parseDuration(value) } catch { throw ValidationError("\(flag): \(error)") }
        }
        for (flag, value) in [("--metrics-scrape-interval", metricsScrapeInterval), ("--hpa-sync-period", hpaSyncPeriod)]
        where (try? DaemonOptions.parseDuration(value)) == .zero {
            throw ValidationError("\(flag): must be more than 0")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: unknown level \"\(logLevel)\"")
        }
    }

    private func parsedListen() throws -> (host: String, port: Int) {
        do { return try DaemonOptions.parseListen(listen) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        let (host, port) = try parsedListen()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        var options = DaemonOptions(
            dataDir: dataDir, host: host, port: port, kubeconfigPath: kubeconfig.isEmpty ? nil : kubeconfig,
            logLevel: Logger.Level(rawValue: logLevel) ?? .info, nodes: nodes, controlLoops: !noControlLoops,
            agents: AgentOptions(heartbeatInterval: try DaemonOptions.parseDuration(heartbeatInterval)),
            eventTTL: try DaemonOptions.parseDuration(eventTtl),
            podRunner: DaemonOptions.PodRunnerKind(rawValue: podRunner) ?? .processes,
            backOffBase: try DaemonOptions.parseDuration(backoffBase), backOffCap: try DaemonOptions.parseDuration(backoffCap),
            subreaper: true,
            nodeLifecycle: NodeLifecycleOptions(
                gracePeriod: try DaemonOptions.parseDuration(nodeMonitorGracePeriod),
                podEvictionTimeout: try DaemonOptions.parseDuration(podEvictionTimeout)),
            sampleInterval: try DaemonOptions.parseDuration(sampleInterval), proxies: !noProxies,
            ingressHost: try DaemonOptions.parseListen(ingressListen).host,
            ingressPort: try DaemonOptions.parseListen(ingressListen).port)
        options.autoscaling.scrapeInterval = try DaemonOptions.parseDuration(metricsScrapeInterval)
        options.autoscaling.pushTTL = try DaemonOptions.parseDuration(metricsPushTtl)
        options.autoscaling.syncPeriod = try DaemonOptions.parseDuration(hpaSyncPeriod)
        options.autoscaling.downscaleStabilization = try DaemonOptions.parseDuration(hpaDownscaleStabilization)
        do {
            try await Daemon(options: options).run()
        } catch {
            FileHandle.standardError.write(Data("kctld: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
