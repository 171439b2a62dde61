import Foundation
import KctlAgent
import KctlCLI
import KctlClient
import KctlDaemon
import KctlModel
import KctlTestSupport
import Testing

/// The chat scenario as real processes through the real daemon: `kctl-demo` replicas run, log,
/// are healed after `kill -9`, move off a stopped node, and are all gone after `kctl delete` and
/// after the daemon stops.
/// Serialized: both tests run the service proxy, whose listeners take real loopback addresses.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ProcessesEndToEndTests {
    func kctl(_ d: TestDaemon, _ args: [String]) async -> CommandResult {
        await KctlCommand.capture(args + ["--server", d.url])
    }

    /// The processes this daemon started: found through their `HOME`, which is their pod's
    /// working directory under the daemon's data dir (other tests run kctl-demo too).
    static func processes(under dataDir: String) -> [(pid: Int32, pod: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> (Int32, String)? in
            guard let pid = Int32(entry),
                let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { return nil }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard variables.contains(where: { $0.hasPrefix("HOME=\(dataDir)/pods/") }),
                let pod = variables.first(where: { $0.hasPrefix("POD_NAME=") })?.dropFirst(9)
            else { return nil }
            // A zombie's environ is empty, so what is listed here really runs.
            return (pid, String(pod))
        }
    }

    func readyPods(_ d: TestDaemon) async throws -> [Pod] {
        try await d.client.list(.pod, namespace: "default").items.compactMap { try? Pod($0) }.filter { pod in
            pod.metadata.deletionTimestamp == nil
                && pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
    }

    @Test func chatRunsAsProcessesHealsMovesAndLeavesNothingBehind() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3, processes: true) { options in
            options.backOffBase = .milliseconds(200)
            options.backOffCap = .seconds(1)
            options.agents.heartbeatInterval = .milliseconds(200)
            options.nodeLifecycle = NodeLifecycleOptions(gracePeriod: .seconds(2), podEvictionTimeout: .seconds(1))
        }
        let dataDir = d.dataDir
        var stopped = false
        defer { if !stopped { Task { await d.stop() } } }

        let apply = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        let want = 5  // users 2, messages 2, notifications 1
        try await eventually(seconds: 60, "every chat replica ready") { try await readyPods(d).count == want }
        #expect(Self.processes(under: dataDir).count == want)

        // Logs through the API.
        let users = try #require(try await readyPods(d).first { $0.metadata.labels?["component"] == "users" })
        let userName = try #require(users.metadata.name)
        let logs = await kctl(d, ["logs", userName])
        #expect(logs.exitCode == 0, "\(logs.stderr)")
        #expect(logs.stdout.contains("listening on \(users.status?.podIP ?? "?")"), "\(logs.stdout)")

        // kill -9 of a replica: restarted in place, restartCount 1.
        let victim = try #require(Self.processes(under: dataDir).first { $0.pod == userName })
        kill(victim.pid, SIGKILL)
        try await eventually(seconds: 30, "the killed replica restarted and ready") {
            let pod = try Pod(try await d.client.get(.pod, namespace: "default", name: userName))
            return pod.status?.containerStatuses?.first?.restartCount == 1
                && pod.status?.conditions?.contains { $0.type == "Ready" && $0.status == "True" } == true
        }
        #expect(Self.processes(under: dataDir).contains { $0.pod == userName && $0.pid != victim.pid })

        // A stopped node: its processes die, its pods are replaced on the other nodes.
        let onNode1 = try await readyPods(d).filter { $0.spec?.nodeName == "node-1" }.compactMap(\.metadata.name)
        let stop = await kctl(d, ["node", "stop", "node-1"])
        #expect(stop.exitCode == 0, "\(stop.stderr)")
        try await eventually(seconds: 30, "node-1's processes gone") {
            !Self.processes(under: dataDir).contains { onNode1.contains($0.pod) }
        }
        try await eventually(seconds: 60, "replaced on the surviving nodes") {
            let ready = try await readyPods(d)
            return ready.count == want && ready.allSatisfy { $0.spec?.nodeName != "node-1" }
        }
        let start = await kctl(d, ["node", "start", "node-1"])
        #expect(start.exitCode == 0, "\(start.stderr)")

        // Deleting the manifests stops every process (node-1's evicted pods finish once it is back).
        let deleted = await kctl(d, ["delete", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        try await eventually(seconds: 60, "no pod and no process left") {
            try await d.client.list(.pod, namespace: "default").items.isEmpty
                && Self.processes(under: dataDir).isEmpty
        }

        // And stopping the daemon leaves nothing either.
        _ = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        try await eventually(seconds: 60, "running again") { Self.processes(under: dataDir).count == want }
        stopped = true
        await d.stop(removeData: false)
        #expect(Self.processes(under: dataDir).isEmpty)
        try? FileManager.default.removeItem(atPath: dataDir)
    }

    /// One HTTP request to `base` + `path` (the ingress), with the CLI's HTTP client.
    func http(_ method: String, _ base: String, _ path: String, json: String? = nil) async throws
        -> (status: Int, body: String)
    {
        let client = try KubeClient(server: base)
        defer { Task { try? await client.shutdown() } }
        let response = try await client.raw(
            method: method, path: path, body: json.map { Array($0.utf8) }, contentType: json == nil ? nil : "application/json")
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func chatThroughTheIngressStoresAMessageThatNotificationsSees() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3, processes: true) { options in
            options.backOffBase = .milliseconds(200)
        }
        defer { Task { await d.stop() } }
        let ingress = try #require(d.ingressURL)
        let apply = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        try await eventually(seconds: 60, "every chat replica ready") { try await readyPods(d).count == 5 }

        // Services got cluster IPs and their Endpoints list the ready pods.
        let users = try await d.client.get(.service, namespace: "default", name: "users")
        #expect(users.spec?["clusterIP"]?.stringValue?.hasPrefix("127.2.") == true)
        try await eventually(seconds: 30, "users endpoints ready") {
            let endpoints = try await d.client.get(.endpoints, namespace: "default", name: "users")
            return endpoints.json["subsets"]?.arrayValue?.first?["addresses"]?.arrayValue?.count == 2
        }

        // A message through the ingress: messages checks the sender with users through its
        // Service, stores it, and notifies notifications.
        let posted = Locked((status: 0, body: ""))
        try await eventually(seconds: 30, "a message accepted through the ingress") {
            let answer = try await http("POST", ingress, "/messages", json: #"{"from":"alice","text":"hello through kctl"}"#)
            posted.withLock { $0 = answer }
            return answer.status == 201
        }
        let body = posted.withLock { $0.body }
        #expect(body.contains("hello through kctl"), "\(body)")
        try await eventually(seconds: 30, "the message shows up in notifications") {
            let listed = try await http("GET", ingress, "/notifications")
            return listed.status == 200 && listed.body.contains("hello through kctl")
        }
        let unknown = try await http("POST", ingress, "/messages", json: #"{"from":"mallory","text":"hi"}"#)
        #expect(unknown.status == 422, "\(unknown.body)")
        let nowhere = try await http("GET", ingress, "/nowhere")
        #expect(nowhere.status == 404)
    }

    /// Applies Manifests/rollout (4 replicas of http-echo behind a Service and the ingress,
    /// maxSurge 1, maxUnavailable 1) and waits for its first rollout.
    func applyEcho(_ d: TestDaemon) async {
        let apply = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/rollout"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        let first = await kctl(d, ["rollout", "status", "deploy/echo", "--timeout", "60s"])
        #expect(first.exitCode == 0, "\(first.stdout)\(first.stderr)")
    }

    /// Issue 7's proof: a Deployment of 4 replicas behind the ingress, a steady request loop,
    /// a template change rolled out and undone: every request answered 200, the answers switch
    /// versions, and the Deployment never has fewer than replicas - maxUnavailable ready.
    @Test func aRollingUpdateUnderTrafficDropsNothing() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3, processes: true)
        defer { Task { await d.stop() } }
        let ingress = try #require(d.ingressURL)
        await applyEcho(d)
        try await eventually(seconds: 30, "v1 through the ingress") {
            try await http("GET", ingress, "/v").body.contains("version: v1")
        }

        // The steady loop, and a watch on the ready count, while the template changes.
        struct Tally: Sendable { var ok = 0, failed: [String] = [], versions: Set<String> = [], minReady = Int.max }
        let tally = Locked(Tally())
        let client = try KubeClient(server: ingress)
        let loop = Task {
            while !Task.isCancelled {
                do {
                    let answer = try await client.raw(method: "GET", path: "/v")
                    let body = String(decoding: answer.body, as: UTF8.self)
                    let version = body.split(separator: "\n").first { $0.hasPrefix("version: ") }.map(String.init)
                    tally.withLock {
                        if answer.status == 200 { $0.ok += 1 } else { $0.failed.append("\(answer.status) \(body)") }
                        if let version { $0.versions.insert(version) }
                    }
                } catch {
                    if Task.isCancelled || error is CancellationError { break }  // the loop's own end
                    tally.withLock { $0.failed.append("\(error)") }
                }
            }
        }
        // Every status the Deployment goes through, from a watch: none may count fewer than 3 ready.
        let current = try await d.client.get(.deployment, namespace: "default", name: "echo")
        let readyWatch = Task {
            let events = d.client.watch(
                .deployment, namespace: "default", resourceVersion: current.resourceVersion,
                fieldSelector: "metadata.name=echo")
            do {
                for try await event in events {
                    let ready = Int(event.object.status?["readyReplicas"]?.intValue ?? 0)
                    tally.withLock { $0.minReady = min($0.minReady, ready) }
                }
            } catch {}
        }
        let set = await kctl(d, ["set", "env", "deploy/echo", "VERSION=v2"])
        #expect(set.exitCode == 0, "\(set.stderr)")
        let second = await kctl(d, ["rollout", "status", "deploy/echo", "--timeout", "60s"])
        #expect(second.exitCode == 0, "\(second.stdout)\(second.stderr)")
        try await eventually(seconds: 30, "v2 through the ingress") {
            try await http("GET", ingress, "/v").body.contains("version: v2")
        }
        let undo = await kctl(d, ["rollout", "undo", "deploy/echo"])
        #expect(undo.exitCode == 0, "\(undo.stderr)")
        let third = await kctl(d, ["rollout", "status", "deploy/echo", "--timeout", "60s"])
        #expect(third.exitCode == 0, "\(third.stdout)\(third.stderr)")
        try await eventually(seconds: 30, "v1 again through the ingress") {
            try await http("GET", ingress, "/v").body.contains("version: v1")
        }
        loop.cancel()
        readyWatch.cancel()
        _ = await loop.value
        _ = await readyWatch.value
        try? await client.shutdown()

        let result = tally.withLock { $0 }
        #expect(result.failed.isEmpty, "failed requests during the rollouts: \(result.failed.prefix(5))")
        #expect(result.ok > 50)
        #expect(result.versions == ["version: v1", "version: v2"])
        #expect(result.minReady >= 3, "ready replicas fell to \(result.minReady)")
    }

    /// A template whose new pods never become ready stalls the rollout: the old pods keep serving
    /// through the ingress, ready replicas stay at replicas - maxUnavailable, and the Deployment
    /// ends in Progressing=False ProgressDeadlineExceeded, which `kctl rollout status` reports.
    @Test func aRolloutThatNeverBecomesReadyStallsWithOldPodsServing() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3, processes: true)
        defer { Task { await d.stop() } }
        let ingress = try #require(d.ingressURL)
        await applyEcho(d)
        _ = try await d.client.patch(
            .deployment, namespace: "default", name: "echo", patch: ["spec": ["progressDeadlineSeconds": 4]])

        // v3 answers /healthz with 503 from the start: its pods run but never become ready.
        let set = await kctl(d, ["set", "env", "deploy/echo", "VERSION=v3", "FAIL_READINESS_AFTER=0s"])
        #expect(set.exitCode == 0, "\(set.stderr)")
        let stalled = await kctl(d, ["rollout", "status", "deploy/echo", "--timeout", "60s"])
        #expect(stalled.exitCode != 0)
        #expect(stalled.stderr.contains("exceeded its progress deadline"), "\(stalled.stdout)\(stalled.stderr)")

        let deployment = try await d.client.get(.deployment, namespace: "default", name: "echo")
        let progressing = deployment.status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Progressing" }
        #expect(progressing?["status"]?.stringValue == "False")
        #expect(progressing?["reason"]?.stringValue == "ProgressDeadlineExceeded")
        #expect((deployment.status?["readyReplicas"]?.intValue ?? 0) >= 3)
        let events = try await d.client.list(.event, namespace: "default").items
        #expect(events.contains { $0.value["reason"]?.stringValue == "ProgressDeadlineExceeded" })
        // The old version still answers every request.
        for _ in 0..<20 {
            let answer = try await http("GET", ingress, "/v")
            #expect(answer.status == 200)
            #expect(answer.body.contains("version: v1"), "\(answer.body)")
        }
    }
}
