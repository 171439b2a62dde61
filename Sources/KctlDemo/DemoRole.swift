import ArgumentParser

/// The programs `kctl-demo` can be: the seed scenarios' services, plus a few trivial workloads
/// for the agent's and proxies' demos and benchmarks.
public enum DemoRole: String, CaseIterable, Sendable, ExpressibleByArgument {
    case chatUsers = "chat-users"
    case chatMessages = "chat-messages"
    case chatNotifications = "chat-notifications"
    case eduproAuth = "edupro-auth"
    case eduproCourse = "edupro-course"
    case shopOrders = "shop-orders"
    case shopPayment = "shop-payment"
    case shopQueue = "shop-queue"
    case shopNotifier = "shop-notifier"
    case legacyMonolith = "legacy-monolith"
    /// Answers every path with the request line, version and pod name.
    case httpEcho = "http-echo"
    /// Prints a line and exits at once with `EXIT_CODE` (default 1): a crash loop on demand.
    case crash
    /// Waits for SIGTERM and exits 0; no server.
    case sleep
    /// Connects to a WebSocket stream (`--url`) and prints each message: watch the chat live.
    case tail

    /// The first path segment the role's API lives under, which the Ingress routes on without
    /// rewriting. Requests without it are served too (`/alice` as `/users/alice`).
    var prefix: String? {
        switch self {
        case .chatUsers: "users"
        case .chatMessages: "messages"
        case .chatNotifications: "notifications"
        case .eduproAuth: "auth"
        case .eduproCourse: "course"
        case .shopOrders: "orders"
        case .shopPayment: "payments"
        case .shopQueue: "queue"
        case .shopNotifier: "notifier"
        case .legacyMonolith, .httpEcho, .crash, .sleep, .tail: nil
        }
    }

    /// The port used when neither `--listen`, `LISTEN_ADDRESS` nor `PORT` says otherwise.
    var defaultPort: Int { self == .eduproCourse ? 8081 : 8080 }

    /// Whether the role runs an HTTP server.
    var serves: Bool { ![.crash, .sleep, .tail].contains(self) }
}
