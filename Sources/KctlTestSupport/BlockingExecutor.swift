import Dispatch

/// Runs tasks that must block a thread (a synchronous callback held on purpose, a `waitpid`) on
/// a dispatch queue of their own instead of Swift's cooperative pool.
///
/// The pool has one thread per core: on a 2-core machine two tests blocking at once stall every
/// other test in the run, and a test blocked until another one makes progress can wait for its
/// whole timeout. Use it as a task's executor preference:
///
///     let executor = BlockingExecutor()
///     let task = Task(executorPreference: executor) { await somethingThatBlocksInside() }
public final class BlockingExecutor: TaskExecutor, @unchecked Sendable {
    private let queue: DispatchQueue

    public init(label: String = "kctl.test.blocking") {
        queue = DispatchQueue(label: label)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
