import Foundation
import Hummingbird
import KctlAPIServer
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import ServiceLifecycle

/// A temporary SQLite store for one test, closed and removed afterwards.
enum TemporaryStore {
    static func with<T: Sendable>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(path: dir + "/kctl.db", logger: quietLogger)
        defer { store.close() }
        return try await body(store)
    }
}

let quietLogger: Logger = {
    var logger = Logger(label: "kctl-metrics-test")
    logger.logLevel = .critical
    return logger
}()

/// Objects as the controllers and agents leave them, written straight into the store.
enum Objects {
    static func pod(
        _ name: String, namespace: String = "default", ip: String = "127.0.0.1", port: Int? = nil,
        annotations: [String: String] = [:], labels: [String: String] = [:], phase: String = "Running", ready: Bool = true
    ) -> KubeObject {
        var container: [String: JSONValue] = ["name": "main", "command": ["sleep", "100"]]
        if let port { container["ports"] = [["name": "http", "containerPort": .int(Int64(port))]] }
        var meta: [String: JSONValue] = ["name": .string(name), "namespace": .string(namespace)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations.mapValues { .string($0) }) }
        return KubeObject([
            "apiVersion": "v1", "kind": "Pod", "metadata": .object(meta),
            "spec": ["nodeName": "node-1", "containers": [.object(container)]],
            "status": [
                "phase": .string(phase), "podIP": .string(ip),
                "conditions": [["type": "Ready", "status": ready ? "True" : "False"]],
            ],
        ])
    }

    static let scrape = ["prometheus.io/scrape": "true"]

    static func service(
        _ name: String, namespace: String = "default", port: Int = 80, clusterIP: String = "10.96.0.10",
        annotations: [String: String] = scrape
    ) -> KubeObject {
        KubeObject([
            "apiVersion": "v1", "kind": "Service",
            "metadata": [
                "name": .string(name), "namespace": .string(namespace),
                "annotations": .object(annotations.mapValues { .string($0) }),
            ],
            "spec": [
                "clusterIP": .string(clusterIP), "selector": ["app": .string(name)],
                "ports": [["name": "http", "port": .int(Int64(port)), "targetPort": "http"]],
            ],
        ])
    }

    static func endpoints(_ name: String, namespace: String = "default", ips: [String], port: Int) -> KubeObject {
        KubeObject([
            "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "subsets": [
                [
                    "addresses": .array(ips.map { ["ip": .string($0)] }),
                    "ports": [["name": "http", "port": .int(Int64(port))]],
                ]
            ],
        ])
    }

    static func namespace(_ name: String) -> KubeObject {
        KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
    }
}

/// A tiny exporter: `GET /metrics` answers whatever text (and status) the test sets, on an
/// ephemeral loopback port, until the body returns.
final class Exporter: Sendable {
    let port: Int
    private let state: Locked<(status: HTTPResponse.Status, text: String, requests: Int)>

    private init(port: Int, state: Locked<(status: HTTPResponse.Status, text: String, requests: Int)>) {
        self.port = port
        self.state = state
    }

    var requests: Int { state.withLock { $0.requests } }

    func serve(_ text: String, status: HTTPResponse.Status = .ok) {
        state.withLock { $0 = (status, text, $0.requests) }
    }

    static func with<T: Sendable>(
        _ text: String = "", _ body: @escaping @Sendable (Exporter) async throws -> T
    ) async throws -> T {
        let state = Locked((status: HTTPResponse.Status.ok, text: text, requests: 0))
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            let (status, text) = state.withLock { s -> (HTTPResponse.Status, String) in
                s.requests += 1
                return (s.status, s.text)
            }
            return Response(
                status: status, headers: [.contentType: "text/plain; version=0.0.4"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: quietLogger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: quietLogger))
        let running = Task { try await group.run() }
        let result: Result<T, any Error>
        do {
            let port = try await withDeadline(seconds: 20) {
                for await port in ports { return port }
                throw TestFailure("the exporter stopped before listening")
            }
            result = .success(try await body(Exporter(port: port, state: state)))
        } catch {
            result = .failure(error)
        }
        await group.triggerGracefulShutdown()
        _ = await running.result
        return try result.get()
    }
}

/// Log lines kept in memory, to check what the scraper logs and how often.
final class CapturedLogs: Sendable {
    private let lines = Locked([(Logger.Level, String)]())

    var all: [(level: Logger.Level, message: String)] { lines.withLock { $0.map { ($0.0, $0.1) } } }

    func messages(containing text: String) -> [String] { all.map(\.message).filter { $0.contains(text) } }

    var logger: Logger {
        var logger = Logger(label: "captured") { _ in Handler(logs: self) }
        logger.logLevel = .info
        return logger
    }

    fileprivate func append(_ level: Logger.Level, _ message: String) { lines.withLock { $0.append((level, message)) } }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { logs.append(event.level, "\(event.message)") }
    }
}

/// Node agents' usage samples, set by the test.
final class FixedResourceUsage: ResourceMetricsSource {
    let samples: Locked<[PodUsage]>
    init(_ samples: [PodUsage] = []) { self.samples = Locked(samples) }
    func pods() async -> [PodUsage] { samples.withLock { $0 } }
    func nodes() async -> [NodeUsage] { [] }
}

/// A wall clock the test moves by hand.
final class TestWallClock: Sendable {
    private let current: Locked<Date>
    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Locked(start) }
    var now: Date { current.withLock { $0 } }
    func advance(seconds: Double) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var function: @Sendable () -> Date { { self.now } }
}
