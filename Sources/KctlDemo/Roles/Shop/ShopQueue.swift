import Foundation
import Hummingbird
import ServiceLifecycle

/// shop `queue`: a small in-memory FIFO between `orders` and `notifier`. `POST /queue/enqueue`
/// takes any JSON; `POST /queue/dequeue?wait=S` hands out the oldest item, waiting up to S
/// seconds (default 5, at most 30) for one, else 204. `queue_depth` on `/metrics` is what the
/// notifier's autoscaler scales on. Items live in memory: a restarted queue starts empty.
struct ShopQueue: DemoRoleHandler {
    struct Item: Codable, Sendable {
        var id: Int
        var enqueuedAt: String
        var payload: JSONValue
    }

    let queue = WorkQueue<Item>()
    let nextID = Locked(1)
    let metrics: MetricsRegistry

    init(_ environment: RoleEnvironment) {
        metrics = environment.metrics
        let queue = self.queue
        metrics.gauge("queue_depth", help: "Items waiting in the queue.") { Double(queue.count) }
        metrics.declare("queue_enqueued_total", .counter, help: "Items added.")
        metrics.declare("queue_dequeued_total", .counter, help: "Items handed out.")
        metrics.set("queue_enqueued_total", 0)
        metrics.set("queue_dequeued_total", 0)
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post("enqueue") { request, _ in
            var request = request
            guard let payload = await request.decodeJSON(JSONValue.self) else {
                return Response.error(.badRequest, "expected a JSON body")
            }
            let id = nextID.withLock { id in
                defer { id += 1 }
                return id
            }
            queue.put(Item(id: id, enqueuedAt: Timestamp.now(), payload: payload))
            metrics.increment("queue_enqueued_total")
            return Response.json(.accepted, ["id": id, "depth": queue.count])
        }
        api.post("dequeue") { request, _ in
            let seconds = request.uri.queryParameters["wait"].flatMap { Double(String($0)) } ?? 5
            let wait = Duration.milliseconds(Int64(min(max(seconds, 0), 30) * 1000))
            // A shutting-down replica stops waiting at once, so it does not hold up its exit.
            let item = await cancelWhenGracefulShutdown { await queue.take(timeout: wait) }
            guard let item else { return Response(status: .noContent) }
            metrics.increment("queue_dequeued_total")
            return Response.json(.ok, item)
        }
        api.get("depth") { _, _ in Response.json(.ok, ["depth": queue.count]) }
    }
}
