import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// shop `notifier`: a worker that long-polls `queue` and "sends" each notification (logs it and
/// records it; `GET /notifier/sent` lists them). `SEND_DELAY` makes each send take that long, so
/// the queue visibly backs up under load. On SIGTERM it finishes the poll in progress and stops,
/// so no dequeued item is dropped.
struct ShopNotifier: DemoRoleHandler {
    struct Sent: Codable, Sendable {
        var queueId: Int?
        var sentAt: String
        var notification: JSONValue
    }

    struct QueueItem: Decodable {
        var id: Int?
        var payload: JSONValue
    }

    let sent: Locked<BoundedRing<Sent>>
    let parts: RoleParts

    init(_ environment: RoleEnvironment) {
        let sent = Locked(BoundedRing<Sent>(capacity: environment.settings.integer("SENT_LIMIT", default: 1000)))
        self.sent = sent
        let metrics = environment.metrics
        metrics.declare("notifier_sent_total", .counter, help: "Notifications sent.")
        metrics.declare("notifier_errors_total", .counter, help: "Failed polls of the queue.")
        metrics.set("notifier_sent_total", 0)
        let worker = Worker(
            queue: environment.upstream("queue"), sent: sent, metrics: metrics, logger: environment.logger,
            wait: environment.settings.duration("POLL_WAIT") ?? .seconds(5),
            sendDelay: environment.settings.duration("SEND_DELAY") ?? .zero)
        parts = RoleParts(services: [worker])
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.get("sent") { _, _ in Response.json(.ok, sent.current.elements) }
    }

    /// The poll loop, as a Service next to the HTTP server.
    struct Worker: Service {
        let queue: Upstream
        let sent: Locked<BoundedRing<Sent>>
        let metrics: MetricsRegistry
        let logger: Logger
        let wait: Duration
        let sendDelay: Duration

        func run() async throws {
            let seconds = MetricsRegistry.format(wait.seconds)
            // The same failure (say, no address for the queue) is logged once, not every second.
            var lastProblem: String?
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                do {
                    let answer = try await queue.send(
                        "POST", "/queue/dequeue?wait=\(seconds)", timeout: wait + .seconds(5))
                    lastProblem = nil
                    switch answer.status {
                    case 200: try await send(try answer.decode(QueueItem.self))
                    case 204: continue
                    default: throw UpstreamError.unreachable("queue", "answered \(answer.status)")
                    }
                } catch is CancellationError {
                    return
                } catch {
                    metrics.increment("notifier_errors_total")
                    let problem = "\(error)"
                    if problem != lastProblem {
                        logger.warning("polling the queue: \(problem) (retrying every second)")
                    }
                    lastProblem = problem
                    // Back off a little; stop at once on shutdown.
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                }
            }
        }

        func send(_ item: QueueItem) async throws {
            if sendDelay > .zero { try await Task.sleep(for: sendDelay) }
            let to = item.payload["to"]?.string ?? "someone"
            let kind = item.payload["kind"]?.string ?? "notification"
            logger.info("sent \(kind) to \(to) (queue item \(item.id.map(String.init) ?? "?"))")
            sent.withLock { $0.append(Sent(queueId: item.id, sentAt: Timestamp.now(), notification: item.payload)) }
            metrics.increment("notifier_sent_total")
        }
    }
}
