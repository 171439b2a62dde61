import Foundation
import Hummingbird

/// chat `notifications`: `POST /notifications` records any JSON alert in a bounded in-memory ring
/// (`NOTIFICATIONS_LIMIT`, default 1000), `GET /notifications?limit=N` lists the newest, and
/// `GET /notifications/stream` pushes each new one over a WebSocket.
struct ChatNotifications: DemoRoleHandler {
    struct Alert: Codable, Sendable {
        var id: Int
        var receivedAt: String
        var alert: JSONValue
    }

    struct Ring {
        var alerts: BoundedRing<Alert>
        var nextID = 1
    }

    let ring: Locked<Ring>
    let stream = Broadcaster<String>()
    let metrics: MetricsRegistry

    init(_ environment: RoleEnvironment) {
        ring = Locked(
            Ring(alerts: BoundedRing(capacity: environment.settings.integer("NOTIFICATIONS_LIMIT", default: 1000))))
        metrics = environment.metrics
        metrics.declare("notifications_total", .counter, help: "Notifications received.")
        metrics.set("notifications_total", 0)
        let ring = self.ring
        metrics.gauge("notifications_stored", help: "Notifications kept in memory.") {
            Double(ring.current.alerts.count)
        }
        let stream = self.stream
        metrics.gauge("websocket_clients", help: "Clients connected to /notifications/stream.") {
            Double(stream.subscriberCount)
        }
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post { request, _ in
            var request = request
            guard let body = await request.decodeJSON(JSONValue.self) else {
                return Response.error(.badRequest, "expected a JSON body")
            }
            let alert = ring.withLock { ring in
                let alert = Alert(id: ring.nextID, receivedAt: Timestamp.now(), alert: body)
                ring.nextID += 1
                ring.alerts.append(alert)
                return alert
            }
            metrics.increment("notifications_total")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            stream.publish(String(decoding: (try? encoder.encode(alert)) ?? Data(), as: UTF8.self))
            return Response.json(.created, alert)
        }
        api.get { request, _ in
            let limit = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? Int.max
            return Response.json(.ok, ring.current.alerts.last(limit))
        }
        api.stream("stream", from: stream)
    }
}
