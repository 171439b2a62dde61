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

    func validate() throws {
        _ = try parsedListen()
        guard nodes >= 0 else { throw ValidationError("--nodes: must be 0 or more, got \(nodes)") }
        for (flag, value) in [("--heartbeat-interval", heartbeatInterval), ("--event-ttl", eventTtl)] {
            do { _ = try DaemonOptions.parseDuration(value) } catch { throw ValidationError("\(flag): \(error)") }
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
        let options = DaemonOptions(
            dataDir: dataDir, host: host, port: port, kubeconfigPath: kubeconfig.isEmpty ? nil : kubeconfig,
            logLevel: Logger.Level(rawValue: logLevel) ?? .info, nodes: nodes, controlLoops: !noControlLoops,
            agents: AgentOptions(heartbeatInterval: try DaemonOptions.parseDuration(heartbeatInterval)),
            eventTTL: try DaemonOptions.parseDuration(eventTtl))
        do {
            try await Daemon(options: options).run()
        } catch {
            FileHandle.standardError.write(Data("kctld: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
