import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import KctlSupervisor
import Testing

@testable import KctlAgent

/// The node agents with the process runtime, against a real store and real processes
/// (`/bin/sh`): every test waits on the pod status the agent writes, with deadlines.
@Suite(.serialized) struct ProcessRuntimeTests {
    /// Runs one node's agent with a process runtime (short back-off) around `body`; afterwards no
    /// process of the runtime is left.
    func withRuntime(
        backOff: (base: Duration, cap: Duration) = (.milliseconds(100), .milliseconds(400)),
        _ body: @Sendable (SQLiteStore, PodRuntime, NodeAgents) async throws -> Void
    ) async throws {
        try await withProcessRuntime {
            RuntimeOptions(
                podsDirectory: $0, backOffBase: backOff.base, backOffCap: backOff.cap,
                sampleInterval: .milliseconds(200))
        } _: { store, runtime, agents, _ in
            try await body(store, runtime, agents)
        }
    }

    func shellPod(
        _ name: String, _ script: String, restartPolicy: String? = nil, grace: Int64? = nil,
        extra: [String: JSONValue] = [:], podExtra: [String: JSONValue] = [:]
    ) -> KubeObject {
        var container: [String: JSONValue] = ["name": "main", "command": ["/bin/sh", "-c", .string(script)]]
        for (key, value) in extra { container[key] = value }
        var spec: [String: JSONValue] = ["nodeName": "node-1", "containers": [.object(container)]]
        if let restartPolicy { spec["restartPolicy"] = .string(restartPolicy) }
        if let grace { spec["terminationGracePeriodSeconds"] = .int(grace) }
        for (key, value) in podExtra { spec[key] = value }
        return KubeObject([
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"], "spec": .object(spec),
        ])
    }

    func status(_ store: any Store, _ name: String) async throws -> PodStatus? {
        guard let object = try await find(store, .pod, "default", name) else { return nil }
        return try Pod(object).status
    }

    func container(_ store: any Store, _ name: String) async throws -> ContainerStatus? {
        try await status(store, name)?.containerStatuses?.first
    }

    func pid(_ runtime: PodRuntime, _ store: any Store, _ name: String) async throws -> Int32? {
        guard let uid = try await find(store, .pod, "default", name)?.uid, let worker = runtime.worker(uid: uid) else {
            return nil
        }
        return await worker.processGroups().first?.pgid
    }

    func eventReasons(_ store: any Store) async throws -> [String] {
        try await store.list(.event, namespace: "default").items.compactMap { $0.json["reason"]?.stringValue }
    }

    // MARK: Running and healing

    @Test func aPodRunsAsAProcessWithItsOwnIPAndIsHealedAfterKill9() async throws {
        try await withRuntime { store, runtime, _ in
            _ = try await store.create(
                shellPod("web", "echo hello from $POD_NAME at $POD_IP; exec sleep 300"), as: .pod)
            try await eventually("running and ready") {
                let current = try await status(store, "web")
                return current?.phase == "Running" && current?.conditions?.first { $0.type == "Ready" }?.status == "True"
            }
            let running = try await status(store, "web")
            #expect(running?.podIP?.hasPrefix("127.1.") == true)
            let first = try #require(try await pid(runtime, store, "web"))
            #expect(ProcSampler.groupExists(first))

            let uid = try #require(try await find(store, .pod, "default", "web")?.uid)
            try await eventually("the log has the greeting") {
                guard let stream = await runtime.logs(
                    namespace: "default", pod: "web", uid: uid, container: "main", previous: false, tailLines: nil,
                    limitBytes: nil, follow: false)
                else { return false }
                var text = ""
                for await chunk in stream { text += String(decoding: chunk, as: UTF8.self) }
                return text == "hello from web at \(running?.podIP ?? "")\n"
            }

            kill(first, SIGKILL)
            try await eventually("restarted once") { try await container(store, "web")?.restartCount == 1 }
            try await eventually("running again") { try await container(store, "web")?.state?.running != nil }
            let second = try #require(try await pid(runtime, store, "web"))
            #expect(second != first)
            let last = try await container(store, "web")?.lastState?.terminated
            #expect(last?.exitCode == 137)
            #expect(last?.signal == 9)
        }
    }

    @Test func aCrashingCommandBacksOffWithGrowingDelays() async throws {
        try await withRuntime(backOff: (.milliseconds(200), .seconds(1))) { store, _, _ in
            _ = try await store.create(shellPod("crash", "echo boom; exit 3"), as: .pod)
            try await eventually("in CrashLoopBackOff", seconds: 15) {
                try await container(store, "crash")?.state?.waiting?.reason == "CrashLoopBackOff"
            }
            try await eventually("restarted several times", seconds: 15) {
                (try await container(store, "crash")?.restartCount ?? 0) >= 4
            }
            let status = try #require(try await container(store, "crash"))
            #expect(status.lastState?.terminated?.exitCode == 3)
            let message = status.state?.waiting?.message ?? ""
            #expect(message.contains("back-off"))
            // Events are written off the path that wrote the status: wait for it.
            try await eventually("a BackOff event") { try await eventReasons(store).contains("BackOff") }
            #expect(try await self.status(store, "crash")?.phase == "Running")
        }
    }

    @Test func aFailingLivenessProbeRestartsTheContainer() async throws {
        try await withRuntime { store, runtime, _ in
            // Alive while the file exists in the pod's working directory; the test removes it.
            let probe: JSONValue = [
                "exec": ["command": ["/bin/sh", "-c", "test -f alive"]], "periodSeconds": 1, "failureThreshold": 1,
            ]
            _ = try await store.create(
                shellPod("live", "touch alive; exec sleep 300", grace: 1, extra: ["livenessProbe": probe]), as: .pod)
            try await eventually("running") { try await container(store, "live")?.state?.running != nil }
            let uid = try #require(try await find(store, .pod, "default", "live")?.uid)
            let work = runtime.directories.work(namespace: "default", name: "live", uid: uid)
            try await eventually("the file exists") { FileManager.default.fileExists(atPath: work + "/alive") }
            // The first probe may run before `touch`: wait until no restart is pending.
            try await eventually("settled") { try await container(store, "live")?.state?.running != nil }
            let before = try await container(store, "live")?.restartCount ?? 0
            try FileManager.default.removeItem(atPath: work + "/alive")
            try await eventually("restarted by the liveness probe") {
                (try await container(store, "live")?.restartCount ?? 0) > before
            }
            let reasons = try await eventReasons(store)
            #expect(reasons.contains("Unhealthy"))
            #expect(reasons.contains("Killing"))
        }
    }

    @Test func readinessFollowsTheProbe() async throws {
        try await withRuntime { store, runtime, _ in
            let probe: JSONValue = [
                "exec": ["command": ["/bin/sh", "-c", "test -f ready"]], "periodSeconds": 1, "failureThreshold": 1,
            ]
            _ = try await store.create(
                shellPod("ready", "exec sleep 300", extra: ["readinessProbe": probe]), as: .pod)
            try await eventually("running") { try await container(store, "ready")?.state?.running != nil }
            #expect(try await container(store, "ready")?.ready == false)
            let uid = try #require(try await find(store, .pod, "default", "ready")?.uid)
            let work = runtime.directories.work(namespace: "default", name: "ready", uid: uid)
            #expect(FileManager.default.createFile(atPath: work + "/ready", contents: Data()))
            try await eventually("ready") {
                try await status(store, "ready")?.conditions?.first { $0.type == "Ready" }?.status == "True"
            }
            try FileManager.default.removeItem(atPath: work + "/ready")
            try await eventually("not ready again") { try await container(store, "ready")?.ready == false }
            #expect(try await container(store, "ready")?.restartCount == 0)
        }
    }

    // MARK: Stopping

    @Test func deletingAPodStopsItsWholeProcessGroupGracefullyFirst() async throws {
        try await withRuntime { store, runtime, _ in
            // A grandchild, and a TERM handler that leaves a mark before exiting.
            // `armed` tells that the handler is in place: the container counts as running from
            // its start, and a TERM before the `trap` ends the shell without it (seen once in CI).
            let script =
                "sleep 300 & trap 'echo stopping; touch stopped; kill $!; exit 0' TERM; touch armed; while true; do sleep 1; done"
            _ = try await store.create(shellPod("graceful", script, grace: 10), as: .pod)
            try await eventually("running") { try await container(store, "graceful")?.state?.running != nil }
            let pgid = try #require(try await pid(runtime, store, "graceful"))
            let uid = try #require(try await find(store, .pod, "default", "graceful")?.uid)
            let work = runtime.directories.work(namespace: "default", name: "graceful", uid: uid)
            try await eventually("the TERM handler in place") { FileManager.default.fileExists(atPath: work + "/armed") }

            _ = try await store.delete(.pod, namespace: "default", name: "graceful")
            try await eventually("the pod is gone") { try await find(store, .pod, "default", "graceful") == nil }
            #expect(!ProcSampler.groupExists(pgid), "the whole group, grandchild included, is gone first")
            #expect(FileManager.default.fileExists(atPath: work + "/stopped") || !FileManager.default.fileExists(atPath: work),
                "the TERM handler ran (the directory may already be removed)")
        }
    }

    @Test func aProcessIgnoringTermIsKilledAfterTheGracePeriod() async throws {
        try await withRuntime { store, runtime, _ in
            _ = try await store.create(
                shellPod("stubborn", "trap '' TERM; while true; do sleep 1; done", grace: 1), as: .pod)
            try await eventually("running") { try await container(store, "stubborn")?.state?.running != nil }
            let pgid = try #require(try await pid(runtime, store, "stubborn"))
            _ = try await store.delete(.pod, namespace: "default", name: "stubborn")
            try await eventually("gone after the grace period") {
                try await find(store, .pod, "default", "stubborn") == nil
            }
            #expect(!ProcSampler.groupExists(pgid))
        }
    }

    @Test func aStoppedNodeKillsItsProcessesAtOnce() async throws {
        try await withRuntime { store, runtime, agents in
            _ = try await store.create(
                shellPod("doomed", "trap '' TERM; exec sleep 300", grace: 30), as: .pod)
            try await eventually("running") { try await container(store, "doomed")?.state?.running != nil }
            let pgid = try #require(try await pid(runtime, store, "doomed"))
            agents.stop(node: "node-1")
            try await eventually("killed without waiting for the grace period", seconds: 5) {
                !ProcSampler.groupExists(pgid)
            }
            // The pod stays (the node lifecycle controller deals with it); its agent restarts it on start.
            agents.start(node: "node-1")
            try await eventually("running again after the node came back") {
                guard let next = try await pid(runtime, store, "doomed") else { return false }
                return next != pgid
            }
        }
    }

    // MARK: Policies and bad input

    @Test func restartPoliciesDecideThePhase() async throws {
        try await withRuntime { store, _, _ in
            _ = try await store.create(shellPod("ok", "exit 0", restartPolicy: "Never"), as: .pod)
            _ = try await store.create(shellPod("fails", "exit 2", restartPolicy: "Never"), as: .pod)
            _ = try await store.create(
                shellPod("retry", "test -f once && exit 0; touch once; exit 1", restartPolicy: "OnFailure"), as: .pod)
            try await eventually("ok succeeded") { try await status(store, "ok")?.phase == "Succeeded" }
            try await eventually("fails failed") { try await status(store, "fails")?.phase == "Failed" }
            try await eventually("retry succeeded after one restart") {
                try await status(store, "retry")?.phase == "Succeeded"
            }
            #expect(try await container(store, "retry")?.restartCount == 1)
            #expect(try await container(store, "fails")?.state?.terminated?.exitCode == 2)
            #expect(try await container(store, "ok")?.restartCount == 0)
        }
    }

    @Test func aFinishedPodIsNotRunAgainByANewRuntime() async throws {
        try await withRuntime { store, runtime, _ in
            var done = shellPod("done", "touch ran; exit 0", restartPolicy: "Never")
            done.status = ["phase": "Succeeded"]  // as a previous daemon left it
            _ = try await store.create(done, as: .pod)
            let uid = try #require(try await find(store, .pod, "default", "done")?.uid)
            let work = runtime.directories.work(namespace: "default", name: "done", uid: uid)
            // A pod created next is run; by then the finished one has been looked at too.
            _ = try await store.create(shellPod("next", "exec sleep 300"), as: .pod)
            try await eventually("the next pod runs") { try await container(store, "next")?.state?.running != nil }
            #expect(!FileManager.default.fileExists(atPath: work + "/ran"))
            #expect(try await status(store, "done")?.phase == "Succeeded")
        }
    }

    @Test func aMissingCommandWaitsWithRunContainerErrorAndAnEvent() async throws {
        try await withRuntime { store, _, _ in
            var object = shellPod("missing", "")
            object.json["spec"]?["containers"] = [["name": "main", "command": ["no-such-binary-kctl", "--flag"]]]
            _ = try await store.create(object, as: .pod)
            try await eventually("RunContainerError") {
                let reason = try await container(store, "missing")?.state?.waiting?.reason
                return reason == "RunContainerError" || reason == "CrashLoopBackOff"
            }
            let last = try await container(store, "missing")?.lastState?.terminated
            #expect(last?.reason == "StartError")
            #expect(last?.message?.contains("no-such-binary-kctl") == true)
            try await eventually("a Failed event") { try await eventReasons(store).contains("Failed") }
        }
    }

    @Test func aMissingSecretWaitsUntilItExists() async throws {
        try await withRuntime { store, runtime, _ in
            let env: JSONValue = [
                ["name": "TOKEN", "valueFrom": ["secretKeyRef": ["name": "api", "key": "token"]]]
            ]
            _ = try await store.create(shellPod("needs", "echo token=$TOKEN; exec sleep 300", extra: ["env": env]), as: .pod)
            try await eventually("CreateContainerConfigError") {
                try await container(store, "needs")?.state?.waiting?.reason == "CreateContainerConfigError"
            }
            #expect(try await container(store, "needs")?.state?.waiting?.message == "secret \"api\" not found")
            var secret = KubeObject(["apiVersion": "v1", "kind": "Secret", "data": ["token": "czNjcjN0"]])
            secret.name = "api"
            secret.namespace = "default"
            _ = try await store.create(secret, as: .secret)
            try await eventually("running once the Secret exists", seconds: 15) {
                try await container(store, "needs")?.state?.running != nil
            }
            let uid = try #require(try await find(store, .pod, "default", "needs")?.uid)
            try await eventually("the token reached the process") {
                let stream = await runtime.logs(
                    namespace: "default", pod: "needs", uid: uid, container: "main", previous: false, tailLines: 1,
                    limitBytes: nil, follow: false)
                var text = ""
                for await chunk in stream ?? AsyncStream(unfolding: { nil }) {
                    text += String(decoding: chunk, as: UTF8.self)
                }
                return text == "token=s3cr3t\n"
            }
        }
    }
}
