import KctlControllerRuntime
import KctlModel
import Testing

@testable import KctlScheduler

@Suite struct SchedulerCacheTests {
    func boundPod(labels: [String: String] = ["app": "web"], phase: String = "Pending") throws -> KubeObject {
        try KubeObject(
            json: [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": "web-1", "namespace": "default", "uid": "u1", "labels": .object(labels.mapValues { .string($0) })],
                "spec": [
                    "nodeName": "node-1",
                    "containers": [["name": "main", "image": "x", "resources": ["requests": ["cpu": "250m"]]]],
                ],
                "status": ["phase": .string(phase)],
            ])
    }

    /// A bound pod's status report leaves its snapshot entry as it was; a change the scheduler
    /// reads (labels) replaces it; finishing removes it.
    @Test func boundPodsFollowOnlyWhatTheSchedulerReads() throws {
        let cache = SchedulerCache(schedulerName: SchedulerService.defaultSchedulerName)
        let added = try boundPod()
        _ = cache.podChanged(.added(added))
        #expect(cache.pod("default/web-1")?.requests.milliCPU == 250)

        let running = try boundPod(phase: "Running")
        #expect(SchedulerCache.sameSchedulingFields(added, running))
        let change = cache.podChanged(.updated(old: added, new: running))
        #expect(change.schedule == nil && change.retry.isEmpty)
        #expect(cache.pod("default/web-1") == (try PodInfo(running)))

        let relabelled = try boundPod(labels: ["app": "api"], phase: "Running")
        #expect(!SchedulerCache.sameSchedulingFields(running, relabelled))
        _ = cache.podChanged(.updated(old: running, new: relabelled))
        #expect(cache.pod("default/web-1")?.labels == ["app": "api"])

        let done = try boundPod(labels: ["app": "api"], phase: "Succeeded")
        _ = cache.podChanged(.updated(old: relabelled, new: done))
        #expect(cache.pod("default/web-1") == nil)
    }
}
