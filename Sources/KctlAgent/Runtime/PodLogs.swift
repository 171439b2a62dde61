import Foundation
import KctlSupervisor

extension PodRuntime {
    /// A container's log as the API serves it (`kctl logs`): the current instance's file, or
    /// the previous instance's with `previous`; the last `tailLines` lines and at most
    /// `limitBytes`; then, with `follow`, what the instance writes until it exits. nil when
    /// that instance has no log (never started, or no previous instance).
    public func logs(
        namespace: String, pod: String, uid: String, container: String, previous: Bool, tailLines: Int?,
        limitBytes: Int?, follow: Bool
    ) async -> AsyncStream<[UInt8]>? {
        let path: String
        if let worker = worker(uid: uid), let file = await worker.logFile(container: container, previous: previous) {
            path = file.path
        } else {
            // No worker (the pod ran before a daemon restart, or on a stopped node): the files say.
            let instances = directories.instances(namespace: namespace, name: pod, uid: uid, container: container)
            guard let chosen = previous ? instances.dropLast().last : instances.last else { return nil }
            path = directories.log(namespace: namespace, name: pod, uid: uid, container: container, instance: chosen)
        }
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let head = LogFiles.tail(path: path, lines: tailLines, limitBytes: limitBytes)
        let liveLogs = self.liveLogs
        let following = follow && liveLogs.withLock { $0.contains(path) }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
        return AsyncStream { continuation in
            if !head.isEmpty { continuation.yield(head) }
            guard following else {
                continuation.finish()
                return
            }
            let task = Task {
                for await chunk in LogFiles.follow(path: path, from: size, until: { !liveLogs.withLock { $0.contains(path) } }) {
                    continuation.yield(chunk)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
