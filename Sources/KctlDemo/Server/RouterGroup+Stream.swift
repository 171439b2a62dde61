import Hummingbird
import HummingbirdWebSocket

extension RouterGroup<DemoContext> {
    /// A WebSocket route pushing every value `broadcaster` publishes (as a text message) until the
    /// client closes or the server shuts down.
    func stream(_ path: RouterPath, from broadcaster: Broadcaster<String>) {
        ws(path) { inbound, outbound, _ in
            let subscription = broadcaster.subscribe()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The client's frames are not used; reading them notices its close.
                group.addTask { for try await _ in inbound {} }
                group.addTask {
                    for await text in subscription { try await outbound.write(.text(text)) }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}
