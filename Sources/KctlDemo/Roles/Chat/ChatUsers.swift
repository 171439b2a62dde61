import Foundation
import Hummingbird

/// chat `users`: who may post. `GET /users/NAME` answers a seeded user or 404, `POST /users` adds
/// one, `GET /users` lists them. With `CHAT_API_TOKEN` set, every call must carry it as a bearer
/// token (the `messages` service does): the Secret reaching the pods as env, put to use.
struct ChatUsers: DemoRoleHandler {
    struct User: Codable, Sendable, Equatable {
        var name: String
        var displayName: String
    }

    static let seed = ["alice", "bob", "carol", "dave", "erin"]

    let users: Locked<[String: User]>
    let token: String?
    let metrics: MetricsRegistry

    init(_ environment: RoleEnvironment) {
        // USERS=alice,bob:Bob Builder  (a name, optionally with a display name)
        let entries = environment.settings["USERS"].map { $0.split(separator: ",").map(String.init) } ?? Self.seed
        var users: [String: User] = [:]
        for entry in entries {
            let parts = entry.split(separator: ":", maxSplits: 1).map {
                String($0).trimmingCharacters(in: .whitespaces)
            }
            guard let name = parts.first, !name.isEmpty else { continue }
            users[name] = User(name: name, displayName: parts.count > 1 ? parts[1] : name.capitalized)
        }
        self.users = Locked(users)
        self.token = environment.settings["CHAT_API_TOKEN"]
        self.metrics = environment.metrics
        metrics.declare("user_lookups_total", .counter, help: "User lookups, by result (found, missing).")
        let known = self.users
        metrics.gauge("users_known", help: "Users this replica knows.") { Double(known.current.count) }
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.get { request, _ in
            if let denied = authorize(request) { return denied }
            return Response.json(.ok, users.current.values.sorted { $0.name < $1.name })
        }
        api.get(":name") { request, context in
            if let denied = authorize(request) { return denied }
            let name = context.parameters.get("name") ?? ""
            guard let user = users.current[name] else {
                metrics.increment("user_lookups_total", labels: [("result", "missing")])
                return Response.error(.notFound, "unknown user \(name)")
            }
            metrics.increment("user_lookups_total", labels: [("result", "found")])
            return Response.json(.ok, user)
        }
        api.post { request, _ in
            if let denied = authorize(request) { return denied }
            var request = request
            guard let user = await request.decodeJSON(User.self), !user.name.isEmpty,
                !user.name.contains("/")
            else {
                return Response.error(.badRequest, #"expected {"name": "...", "displayName": "..."}"#)
            }
            users.withLock { $0[user.name] = user }
            return Response.json(.created, user)
        }
    }

    /// Nil when the call may go on, else the 401 to answer.
    func authorize(_ request: Request) -> Response? {
        guard let token, request.bearerToken != token else { return nil }
        var response = Response.error(.unauthorized, "missing or wrong bearer token (CHAT_API_TOKEN)")
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }
}
