import Foundation
import Hummingbird

/// chat `messages`: `POST /messages {from, text}` checks the sender with `users` (through its
/// Service, with the API token), enforces `MESSAGE_MAX_LENGTH`, stores the message in SQLite,
/// tells `notifications` (best effort: a failure is logged and counted, the message stays) and
/// pushes it to `GET /messages/stream` WebSocket clients. `GET /messages?limit=N` reads history.
struct ChatMessages: DemoRoleHandler {
    struct NewMessage: Decodable {
        var from: String?
        var text: String?
    }

    let store: MessageStore
    let users: Upstream
    let notifications: Upstream
    let token: String?
    let maxLength: Int
    let historyLimit: Int
    let notifyTimeout: Duration
    let stream = Broadcaster<String>()
    let rate: Locked<RateWindow>
    let metrics: MetricsRegistry
    let environment: RoleEnvironment

    init(_ environment: RoleEnvironment) throws {
        let settings = environment.settings
        store = try MessageStore(path: settings["MESSAGES_DB"] ?? "messages.sqlite")
        users = environment.upstream("users")
        notifications = environment.upstream("notifications")
        token = settings["CHAT_API_TOKEN"]
        maxLength = settings.integer("MESSAGE_MAX_LENGTH", default: 500)
        historyLimit = max(1, settings.integer("HISTORY_LIMIT", default: 100))
        notifyTimeout = settings.duration("NOTIFY_TIMEOUT") ?? .seconds(1)
        rate = Locked(RateWindow(start: .now))
        metrics = environment.metrics
        self.environment = environment

        metrics.declare("messages_total", .counter, help: "Messages stored by this replica.")
        metrics.set("messages_total", 0)
        let rate = self.rate
        metrics.gauge("messages_per_second", help: "Messages stored per second over the last 10 seconds.") {
            rate.withLock { $0.rate(at: .now) }
        }
        metrics.declare("messages_rejected_total", .counter, help: "Messages refused, by reason.")
        metrics.declare(
            "notifications_failed_total", .counter, help: "Messages whose notification could not be delivered.")
        let stream = self.stream
        metrics.gauge("websocket_clients", help: "Clients connected to /messages/stream.") {
            Double(stream.subscriberCount)
        }
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post { request, _ in
            var request = request
            return await post(await request.decodeJSON(NewMessage.self))
        }
        api.get { request, _ in
            let asked = request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? historyLimit
            do {
                return Response.json(.ok, try store.recent(limit: min(max(asked, 0), historyLimit)))
            } catch {
                return Response.error(.internalServerError, "reading history: \(error)")
            }
        }
        api.stream("stream", from: stream)
    }

    func post(_ body: NewMessage?) async -> Response {
        guard let body, let from = body.from, !from.isEmpty, let text = body.text, !text.isEmpty else {
            return reject("bad_request", .badRequest, #"expected {"from": "NAME", "text": "..."}"#)
        }
        guard text.count <= maxLength else {
            return reject("too_long", .unprocessableContent, "message longer than \(maxLength) characters")
        }
        if let refusal = await checkSender(from) { return refusal }
        let message: ChatMessage
        do {
            message = try store.add(from: from, text: text)
        } catch {
            environment.logger.error("storing a message failed: \(error)")
            return Response.error(.internalServerError, "storing the message failed: \(error)")
        }
        metrics.increment("messages_total")
        rate.withLock { $0.record(at: .now) }
        stream.publish(Self.encode(message))
        await notify(message)
        return Response.json(.created, message)
    }

    /// Nil when `users` knows the sender, else the answer for the client.
    func checkSender(_ name: String) async -> Response? {
        let escaped = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? name
        let headers = token.map { [("Authorization", "Bearer \($0)")] } ?? []
        do throws(UpstreamError) {
            let answer = try await users.send("GET", "/users/\(escaped)", headers: headers, timeout: .seconds(3))
            switch answer.status {
            case 200: return nil
            case 404: return reject("unknown_user", .unprocessableContent, "unknown user \(name)")
            default:
                environment.logger.warning("users answered \(answer.status) for \(name): \(answer.body)")
                return Response.error(.badGateway, "users answered \(answer.status)")
            }
        } catch {
            environment.logger.warning("\(error)")
            return error.response
        }
    }

    /// Tells `notifications`, within `NOTIFY_TIMEOUT`; never fails the message.
    func notify(_ message: ChatMessage) async {
        let event = #"{"kind":"message","message":\#(Self.encode(message))}"#
        do {
            let answer = try await notifications.send("POST", "/notifications", body: event, timeout: notifyTimeout)
            if answer.status / 100 != 2 {
                throw UpstreamError.unreachable("notifications", "answered \(answer.status)")
            }
        } catch {
            metrics.increment("notifications_failed_total")
            environment.logger.warning("notifying message \(message.id) failed: \(error)")
        }
    }

    func reject(_ reason: String, _ status: HTTPResponse.Status, _ message: String) -> Response {
        metrics.increment("messages_rejected_total", labels: [("reason", reason)])
        return Response.error(status, message)
    }

    static func encode(_ message: ChatMessage) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(message)) ?? Data(), as: UTF8.self)
    }
}
