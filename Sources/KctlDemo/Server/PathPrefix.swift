import Hummingbird
import HummingbirdWebSocket

/// The paths a role answers with and without its Ingress prefix. The chat Ingress routes
/// `/users` with `pathType: Prefix` and no rewrite, so `users` sees `/users/alice`; a client that
/// talks to the Service directly may say `/alice`. Routes are registered under the prefix and
/// requests without it get it added, except the endpoints every role has at the root.
enum PathPrefix {
    /// First segments that are never prefixed: the probes, metrics and admin calls.
    static let rootEndpoints: Set<String> = ["healthz", "metrics", "version", "admin"]

    /// The path to route `path` (which may carry a query) as, for a role with `prefix`.
    static func normalize(_ path: String, prefix: String?) -> String {
        guard let prefix else { return path }
        let (route, query) = split(path)
        let first = route.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true).first.map(String.init)
        if first == prefix || first.map(rootEndpoints.contains) == true { return path }
        let rest = route == "/" ? "" : (route.hasPrefix("/") ? route : "/" + route)
        return "/\(prefix)\(rest)" + query
    }

    /// `/a/b?x=1` as (`/a/b`, `?x=1`).
    static func split(_ path: String) -> (String, String) {
        guard let mark = path.firstIndex(of: "?") else { return (path.isEmpty ? "/" : path, "") }
        let route = String(path[..<mark])
        return (route.isEmpty ? "/" : route, String(path[mark...]))
    }
}

/// Routes each request as `PathPrefix.normalize` says. It wraps the router rather than being a
/// router middleware, because Hummingbird runs middleware only after a route has been matched.
struct PrefixedRouter<Inner: HTTPResponderBuilder>: HTTPResponderBuilder
where Inner.Responder.Context: WebSocketRequestContext {
    let prefix: String?
    let inner: Inner

    func buildResponder() -> Responder { Responder(prefix: prefix, inner: inner.buildResponder()) }

    struct Responder: HTTPResponder {
        typealias Context = Inner.Responder.Context
        let prefix: String?
        let inner: Inner.Responder

        func respond(to request: Request, context: Context) async throws -> Response {
            let path = request.head.path ?? "/"
            let normalized = PathPrefix.normalize(path, prefix: prefix)
            guard normalized != path else { return try await inner.respond(to: request, context: context) }
            var head = request.head
            head.path = normalized
            return try await inner.respond(to: Request(head: head, body: request.body), context: context)
        }
    }
}
