import Foundation
import KctlControllerRuntime
import KctlModel
import Logging

/// The pod runner of one node that runs pods as real processes: one `PodWorker` per pod uid,
/// created on the first sync, stopped on terminate, dropped on forget. All the state lives in the
/// shared `PodRuntime`, so the runner itself is a thin per-node view.
public final class ProcessPodRunner: PodRunner {
    let runtime: PodRuntime
    public let node: String

    init(runtime: PodRuntime, node: String) {
        self.runtime = runtime
        self.node = node
    }

    public func sync(_ pod: Pod, context: PodRunnerContext) async throws -> PodStatus? {
        guard let uid = pod.metadata.uid else { return nil }
        // A pod that finished before this runtime knew it (a daemon restart) stays finished: its
        // containers do not run again.
        let phase = pod.status?.phase
        if phase == "Succeeded" || phase == "Failed", runtime.worker(uid: uid) == nil { return nil }
        let worker = runtime.workers.withLock { workers -> PodWorker in
            if let entry = workers[uid] { return entry.worker }
            var logger = runtime.logger
            logger[metadataKey: "pod"] = "\(pod.metadata.namespace ?? "default")/\(pod.metadata.name ?? "")"
            let worker = PodWorker(pod: pod, runtime: runtime, context: context, logger: logger)
            workers[uid] = PodRuntime.WorkerEntry(node: node, worker: worker)
            return worker
        }
        await worker.start()
        return await worker.status(previous: pod.status)
    }

    public func terminate(_ pod: Pod, gracePeriod: Duration, context: PodRunnerContext) async throws {
        guard let uid = pod.metadata.uid, let worker = runtime.worker(uid: uid) else { return }
        await worker.terminate(gracePeriod: gracePeriod)
    }

    public func forget(_ key: ObjectKey, uid: String?, context: PodRunnerContext) async {
        let removed = runtime.workers.withLock { workers -> [(String, PodWorker)] in
            let matching = workers.filter { entry in
                entry.value.node == node
                    && (uid.map { $0 == entry.key }
                        ?? (entry.value.worker.namespace == (key.namespace ?? "default")
                            && entry.value.worker.name == key.name))
            }
            for (uid, _) in matching { workers[uid] = nil }
            return matching.map { ($0.key, $0.value.worker) }
        }
        for (uid, worker) in removed {
            // Gone without a graceful stop (force-deleted, or moved off this node): stop what is
            // left quickly, then remove its directory and its samples.
            await worker.terminate(gracePeriod: .seconds(2))
            runtime.directories.remove(namespace: worker.namespace, name: worker.name, uid: uid)
            runtime.usage.remove(uid: uid)
        }
    }

    public func stopAll(context: PodRunnerContext, graceful: Bool) async {
        let workers = runtime.workers.withLock { workers -> [PodWorker] in
            let mine = workers.filter { $0.value.node == node }
            for uid in mine.keys { workers[uid] = nil }
            return mine.values.map(\.worker)
        }
        await withTaskGroup(of: Void.self) { group in
            for worker in workers {
                group.addTask {
                    await worker.terminate(gracePeriod: worker.gracePeriod, graceful: graceful)
                }
            }
        }
    }
}
