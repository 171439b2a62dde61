import HummingbirdCore
import Logging
import NIOCore

/// Runs a task's jobs on one NIO event loop: the connection's loop, so that a request read there
/// is answered there, without a hand-off to Swift's concurrency pool and back (two thread
/// wake-ups a request when the other thread sleeps, which under light load it mostly does).
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}

/// A server child channel whose connections are handled on their own event loop (see
/// `EventLoopTaskExecutor`). Handlers must not block: they share the loop with its connections.
struct EventLoopBoundChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}
