import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

/// `kctl-demo ROLE [--listen IP:PORT]`: the seed scenarios' workloads as one program, so every
/// manifest can say `command: ["kctl-demo", "<role>"]` and the node agent finds it on PATH
/// beside kctld. Settings come from the environment, as in Kubernetes (see each role).
public struct DemoCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kctl-demo",
        abstract: "The demo workloads of kctl's seed scenarios (chat, edupro, shop, legacy) and a few trivial ones.",
        discussion: """
            Serving roles listen on --listen, else LISTEN_ADDRESS, else $POD_IP:$PORT, else 127.0.0.1:$PORT \
            (PORT defaults to 8080; 8081 for edupro-course).

            Each serving role has GET /healthz, /metrics and /version, and POST /admin/health?ok=false|true \
            and /admin/crash; CRASH_AFTER and FAIL_READINESS_AFTER (e.g. 3s) inject faults on a timer.

            Other services are found through NAME_URL, else the Kubernetes service variables \
            NAME_SERVICE_HOST and NAME_SERVICE_PORT. SIGTERM stops gracefully (exit 0).
            """)

    @Argument(help: "The role to run.")
    public var role: DemoRole

    @Option(help: "Address to listen on, IP:PORT (wins over LISTEN_ADDRESS, POD_IP and PORT).")
    public var listen: String?

    @Option(help: "For tail: the WebSocket stream to print, e.g. ws://127.0.0.1:8080/messages/stream.")
    public var url: String?

    public init() {}

    /// Parses the command line, runs the role and exits with its status (`main.swift` calls this).
    public static func runAndExit() async -> Never {
        do {
            let command = try parse()
            try await command.run()
            exit()
        } catch {
            exit(withError: error)
        }
    }

    public func validate() throws {
        if let listen, ListenAddress(listen) == nil { throw ValidationError("--listen wants IP:PORT, got \(listen)") }
        if role == .tail, url == nil { throw ValidationError("tail needs --url ws://HOST:PORT/PATH") }
    }

    public func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings = DemoSettings(environment: environment, listen: listen.flatMap(ListenAddress.init))
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = settings["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        switch role {
        case .crash:
            let code = Int32(settings.integer("EXIT_CODE", default: 1))
            print("kctl-demo crash: exiting with code \(code) (\(settings.podName))")
            DemoServer.exitProcess(code)
        case .sleep:
            let group = ServiceGroup(
                configuration: .init(
                    services: [WaitForShutdown(podName: settings.podName)],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: Logger(label: "sleep")))
            try await group.run()
            print("kctl-demo sleep: stopping")
        case .tail:
            try await WebSocketTail.withMessages(url: url ?? "") { messages in
                while let message = try await messages.next() {
                    print(message)
                    fflush(nil)
                }
            }
        default:
            try await DemoServer(role: role, settings: settings).run()
        }
    }
}

/// A service that does nothing until shutdown: the `sleep` role. It says so only once running,
/// when the service group already traps SIGTERM (earlier, SIGTERM would still kill it outright).
struct WaitForShutdown: Service {
    let podName: String

    func run() async throws {
        print("kctl-demo sleep: waiting for SIGTERM (\(podName))")
        fflush(nil)
        try? await gracefulShutdown()
    }
}
