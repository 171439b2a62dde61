import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import KctlServerRuntime
import Logging
import NIOCore
import ServiceLifecycle

/// One serving role as an HTTP server: the role's routes plus the common ones (probes, metrics,
/// version, fault injection), request logging and counting, and graceful shutdown (SIGTERM stops
/// accepting, lets in-flight requests finish, then exits 0), so a rolling update loses nothing.
///
///     let server = try DemoServer(role: .chatUsers, settings: DemoSettings(environment: env))
///     try await server.withRunning { address in ... }   // tests: ephemeral port, stopped after
///     try await server.run()                            // kctl-demo: until SIGTERM
public struct DemoServer: Sendable {
    public let role: DemoRole
    public let settings: DemoSettings
    let logger: Logger
    let terminate: @Sendable (Int32) -> Void

    /// - Parameter terminate: how `/admin/crash` and `CRASH_AFTER` end the process (tests record
    ///   the call instead).
    public init(
        role: DemoRole, settings: DemoSettings, logger: Logger? = nil,
        terminate: @escaping @Sendable (Int32) -> Void = DemoServer.exitProcess
    ) {
        self.role = role
        self.settings = settings
        var logger = logger ?? Logger(label: role.rawValue)
        if let level = settings["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) { logger.logLevel = level }
        self.logger = logger
        self.terminate = terminate
    }

    /// Flushes output and exits: what a crash looks like to the node agent.
    public static let exitProcess: @Sendable (Int32) -> Void = { code in
        fflush(nil)
        exit(code)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully and returns.
    public func run() async throws {
        let app = try makeApplication { _ in }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: quietLogger))
        try await group.run()
        logger.info("\(role.rawValue) stopped: in-flight requests finished")
    }

    /// Serves while `body` runs, then shuts down gracefully. `body` gets the bound address (with
    /// the real port when the configured one is 0).
    public func withRunning<T: Sendable>(_ body: (ListenAddress) async throws -> T) async throws -> T {
        let (addresses, continuation) = AsyncStream.makeStream(of: ListenAddress.self)
        let app = try makeApplication { continuation.yield($0) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { continuation.finish() }
                try await group.run()
            }
            var iterator = addresses.makeAsyncIterator()
            guard let address = await iterator.next() else {
                try await tasks.waitForAll()
                throw CancellationError()
            }
            let result: Result<T, any Error>
            do { result = .success(try await body(address)) } catch { result = .failure(error) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    /// Hummingbird's own logs (its start line, connection errors) at warning and above: the role
    /// logs its own start line and one line per request.
    private var quietLogger: Logger {
        var quiet = logger
        quiet.logLevel = max(.warning, logger.logLevel)
        return quiet
    }

    func makeApplication(onListening: @escaping @Sendable (ListenAddress) -> Void) throws -> some ApplicationProtocol {
        let metrics = MetricsRegistry()
        metrics.declare("http_requests_total", .counter, help: "HTTP requests answered, by status code.")
        metrics.declare("http_requests_in_flight", .gauge, help: "HTTP requests being served now.")
        metrics.set("http_requests_in_flight", 0)
        let health = HealthSwitch()
        let environment = RoleEnvironment(
            role: role, settings: settings, metrics: metrics, health: health, http: DemoHTTPClient(),
            logger: logger, terminate: terminate)
        let handler = try Self.handler(for: role, environment)

        let router = Router(context: DemoContext.self)
        router.add(middleware: ObservabilityMiddleware(metrics: metrics, logger: logger))
        let parts = handler.parts
        let common = CommonRoutes(environment: environment, healthChecks: parts.healthChecks)
        common.install(on: router.group())
        let api = router.group(role.prefix.map { RouterPath($0) } ?? "")
        if role.prefix != nil { common.install(on: api) }
        handler.install(on: api, router: router)

        let address = settings.listenAddress(defaultPort: role.defaultPort)
        let timers = FaultTimers(
            crashAfter: settings.duration("CRASH_AFTER"), failHealthAfter: settings.duration("FAIL_READINESS_AFTER"),
            health: health, logger: logger, terminate: terminate)
        let logger = self.logger
        let role = self.role
        let prefixed = PrefixedRouter(prefix: role.prefix, inner: router)
        let webSocketResponder = prefixed.buildResponder()
        return Application(
            router: prefixed,
            server: HTTPServerBuilder { responder in
                EventLoopBoundChannel(
                    inner: HTTP1WebSocketUpgradeChannel(
                        responder: responder, webSocketResponder: webSocketResponder, configuration: .init()))
            },
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: role.rawValue),
            services: parts.services + [timers],
            onServerRunning: { channel in
                let bound = ListenAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
                logger.info("\(role.rawValue) listening on \(bound)")
                onListening(bound)
            },
            logger: quietLogger
        )
    }

    static func handler(for role: DemoRole, _ environment: RoleEnvironment) throws -> any DemoRoleHandler {
        let type: any DemoRoleHandler.Type =
            switch role {
            case .chatUsers: ChatUsers.self
            case .chatMessages: ChatMessages.self
            case .chatNotifications: ChatNotifications.self
            case .eduproAuth: EduproAuth.self
            case .eduproCourse: EduproCourse.self
            case .shopOrders: ShopOrders.self
            case .shopPayment: ShopPayment.self
            case .shopQueue: ShopQueue.self
            case .shopNotifier: ShopNotifier.self
            case .legacyMonolith: LegacyMonolith.self
            // crash, sleep and tail serve nothing in kctl-demo; asked to serve, they echo.
            case .httpEcho, .crash, .sleep, .tail: HTTPEcho.self
            }
        return try type.init(environment)
    }
}
