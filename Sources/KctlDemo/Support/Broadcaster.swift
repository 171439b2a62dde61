import Foundation

/// Fans each published value out to every current subscriber (the WebSocket streams). A slow
/// subscriber loses its oldest unread values rather than holding up the publisher or growing
/// without bound.
final class Broadcaster<Value: Sendable>: Sendable {
    private let subscribers = Locked<[UUID: AsyncStream<Value>.Continuation]>([:])
    private let bufferSize: Int

    init(bufferSize: Int = 256) { self.bufferSize = bufferSize }

    /// A stream of the values published from now on; it ends when `finishAll()` is called or the
    /// consumer stops iterating (cancellation).
    func subscribe() -> AsyncStream<Value> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Value.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ value: Value) {
        for continuation in subscribers.current.values { continuation.yield(value) }
    }

    /// Ends every subscription (graceful shutdown, so WebSocket handlers return).
    func finishAll() {
        for continuation in subscribers.withLock({ $0.values }) { continuation.finish() }
    }

    var subscriberCount: Int { subscribers.current.count }
}
