import HummingbirdCore
import Logging
import NIOCore

/// Runs a task's jobs on one NIO event loop: the connection's loop, so that a request read there
/// is answered there, without a hand-off to Swift's concurrency pool and back (two thread
/// wake-ups a request when the other thread sleeps, which under light load it mostly does).
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}

/// A server child channel whose connections are handled on their own event loop (see
/// `EventLoopTaskExecutor`), for kctld's API and the demo workloads alike. Handlers must not
/// block: they share the loop with its connections.
public struct EventLoopBoundChannel<Inner: ServerChildChannel>: ServerChildChannel {
    public let inner: Inner

    public init(inner: Inner) {
        self.inner = inner
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    public func handle(value: Inner.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
