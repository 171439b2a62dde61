import Foundation
import Hummingbird
import KctlAPIServer
import KctlAgent
import KctlClient
import KctlModel
import KctlStore
import Logging
import NIOCore
import ServiceLifecycle

/// kctld: the store, its maintenance and the API server as one ServiceGroup. Services start in
/// order and stop in reverse on SIGINT/SIGTERM, so the store outlives every request.
public struct Daemon: Sendable {
    public let options: DaemonOptions

    public init(options: DaemonOptions) {
        self.options = options
    }

    /// Runs until SIGINT/SIGTERM or until the calling task is cancelled. `onListening` gets the bound URL.
    public func run(onListening: @escaping @Sendable (String) async -> Void = { _ in }) async throws {
        let options = self.options
        let logger = {
            var logger = Logger(label: "kctld")
            logger.logLevel = options.logLevel
            return logger
        }()
        MetricsExport.bootstrapped
        try FileManager.default.createDirectory(atPath: options.dataDir, withIntermediateDirectories: true)
        let dbPath = (options.dataDir as NSString).appendingPathComponent("kctl.db")
        let started = ContinuousClock.now
        let store = try SQLiteStore(path: dbPath, logger: logger)
        try await Bootstrap.run(store: store, logger: logger)
        if options.nodes > 0 {
            _ = try await SimulatedNodes.ensure(store: store, count: options.nodes, logger: logger)
        }
        var services: [any ServiceLifecycle.Service] = [StoreMaintenance(store: store), StoreChangeLog(store: store, logger: logger)]
        let controlPlane = options.controlLoops ? ControlPlane(store: store, options: options, logger: logger) : nil
        if let controlPlane { services += controlPlane.services }
        var settings = APIServer.Settings()
        // Without a service proxy of its own, this daemon's cluster IPs never bind anything.
        settings.avoidListeningAddresses = options.proxies && options.controlLoops
        let api = APIServer(
            store: store, logger: logger, settings: settings, metrics: { await MetricsExport.text(store: store) },
            podLogs: controlPlane?.runtime.map { RuntimeLogSource(runtime: $0) },
            resourceMetrics: controlPlane?.runtime.map { RuntimeMetricsSource(runtime: $0) },
            nodeAdministration: controlPlane.map { AgentNodeAdministration(agents: $0.agents, store: store) },
            metricSamples: controlPlane?.metrics, podExec: controlPlane?.runtime.map { RuntimeExecutor(runtime: $0) })
        let app = Application(
            responder: api,
            server: api.httpServer,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "kctld"),
            services: services,
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                let url = "http://\(options.host.contains(":") ? "[\(options.host)]" : options.host):\(port)"
                let elapsed = ContinuousClock.now - started
                logger.info("kctld listening on \(url) (store \(dbPath), ready in \(elapsed.formatted(.units(allowed: [.milliseconds]))))")
                if let path = options.kubeconfigPath {
                    do {
                        try Kubeconfig.write(server: url, to: path)
                        logger.info("wrote kubeconfig \(path) (use: kctl get pods, or kubectl --kubeconfig \(path))")
                    } catch {
                        logger.warning("could not write kubeconfig \(path): \(error)")
                    }
                }
                await onListening(url)
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        // Cancelling the caller (tests, embedders) stops the daemon the same graceful way a
        // signal does: requests finish, watches end, the store closes last.
        // The group runs in its own task so that cancellation reaches it only as a graceful shutdown.
        let running = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await running.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
        store.close()
        logger.info("kctld stopped")
    }
}

/// Runs the store's compaction and WAL checkpoints for as long as the daemon runs.
struct StoreMaintenance: ServiceLifecycle.Service {
    let store: SQLiteStore
    func run() async throws {
        await cancelWhenGracefulShutdown { await store.runMaintenance() }
    }
}

/// Logs every store change, one line each, with the object's kind, namespace and name.
/// Secrets' values never appear: only what changed and at which revision. Leases and Events
/// are logged at debug, the rest at info.
struct StoreChangeLog: ServiceLifecycle.Service {
    let store: any Store
    let logger: Logger

    func run() async throws {
        // At a level above info no line would be written: watching would only wake this task
        // for every change.
        guard logger.logLevel <= .info else {
            try? await gracefulShutdown()
            return
        }
        let from = try await store.currentRevision()
        let events = try await store.watch(nil, namespace: nil, from: from)
        try await cancelWhenGracefulShutdown {
            for try await event in events {
                // Leases and Events change constantly and say little; keep them at debug.
                let level: Logger.Level = (event.resource == .lease || event.resource == .event) ? .debug : .info
                logger.log(
                    level: level,
                    "store: \(event.type.rawValue) \(event.object.kind) \(event.object.key) rev \(event.revision)")
            }
        }
    }
}
