import Foundation
import KctlCLI
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// The whole control plane through the real daemon: Deployments become ReplicaSets become Pods,
/// bound across simulated nodes and spread; the cluster converges back after each disturbance.
@Suite(.timeLimit(.minutes(3))) struct ClusterEndToEndTests {
    func kctl(_ d: TestDaemon, _ args: [String], stdin: String = "") async -> CommandResult {
        await KctlCommand.capture(args + ["--server", d.url], stdin: stdin)
    }

    /// Pods of one app: all of them, and how many are bound.
    func pods(_ d: TestDaemon, app component: String) async throws -> [KubeObject] {
        try await d.client.list(.pod, namespace: "default", labelSelector: "component=\(component)").items
            .filter { $0.deletionTimestamp == nil }
    }

    func boundCount(_ pods: [KubeObject]) -> Int {
        pods.filter { !($0.spec?["nodeName"]?.stringValue ?? "").isEmpty }.count
    }

    @Test func chatConvergesAndRecovers() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3)
        defer { Task { await d.stop() } }
        let apply = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        let messages = try await d.client.get(.deployment, namespace: "default", name: "messages")
        let want = Int(messages.spec?["replicas"]?.intValue ?? 1)

        // Every replica is created and bound, spread over more than one node.
        try await eventually(seconds: 30, "messages pods bound") {
            let p = try await pods(d, app: "messages")
            return p.count == want && boundCount(p) == want
        }
        let nodes = Set(try await pods(d, app: "messages").compactMap { $0.spec?["nodeName"]?.stringValue })
        if want > 1 { #expect(nodes.count > 1, "replicas should spread: \(nodes)") }
        let wide = await kctl(d, ["get", "pods", "-o", "wide"])
        #expect(wide.stdout.contains("node-"), "\(wide.stdout)")

        // Scale up, then back down.
        _ = try await d.client.patch(.deployment, namespace: "default", name: "messages", patch: ["spec": ["replicas": 4]])
        try await eventually(seconds: 30, "scaled to 4") { try await pods(d, app: "messages").count == 4 }
        _ = try await d.client.patch(.deployment, namespace: "default", name: "messages", patch: ["spec": ["replicas": 2]])
        try await eventually(seconds: 30, "scaled to 2") { try await pods(d, app: "messages").count == 2 }

        // A deleted pod is replaced.
        let victim = try await pods(d, app: "messages")[0]
        _ = try await d.client.delete(.pod, namespace: "default", name: victim.name)
        try await eventually(seconds: 30, "pod replaced") {
            let p = try await pods(d, app: "messages")
            return p.count == 2 && !p.contains { $0.name == victim.name } && boundCount(p) == 2
        }

        // A deleted ReplicaSet is recreated, under the same name (the template's hash): `kctl
        // delete` waits for the one it deleted, not for the name to be free.
        let sets = try await d.client.list(.replicaSet, namespace: "default", labelSelector: "component=messages").items
        #expect(sets.count == 1)
        let deleted = await kctl(d, ["delete", "rs", sets[0].name, "--timeout", "20"])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        #expect(deleted.stdout == "replicaset.apps \"\(sets[0].name)\" deleted\n")
        try await eventually(seconds: 30, "replica set recreated") {
            let now = try await d.client.list(.replicaSet, namespace: "default", labelSelector: "component=messages").items
            let current = try await pods(d, app: "messages")
            return now.count == 1 && now[0].uid != sets[0].uid && current.count == 2
        }

        // The decisions are in the reconciliation log.
        let events = await kctl(d, ["events"])
        #expect(events.stdout.contains("ScalingReplicaSet"), "\(events.stdout)")
        #expect(events.stdout.contains("SuccessfulCreate"))
        #expect(events.stdout.contains("Scheduled"))

        // What the loops did is served to Prometheus.
        let (status, body) = try await d.client.raw(method: "GET", path: "/metrics")
        #expect(status == 200)
        let metrics = String(decoding: body, as: UTF8.self)
        for series in [
            "kctl_controller_reconciles_total{controller=\"deployment\",result=\"success\"}",
            "kctl_workqueue_depth{name=\"replicaset\"}", "kctl_workqueue_queue_duration_seconds_count{name=\"scheduler\"}",
            "kctl_store_revision", "kctl_store_watchers",
        ] {
            #expect(metrics.contains(series), "missing \(series)")
        }

        // Deleting the Deployment removes everything it owned.
        _ = try await d.client.delete(.deployment, namespace: "default", name: "messages")
        try await eventually(seconds: 30, "owned objects gone") {
            let rs = try await d.client.list(.replicaSet, namespace: "default", labelSelector: "component=messages").items
            let p = try await d.client.list(.pod, namespace: "default", labelSelector: "component=messages").items
            return rs.isEmpty && p.isEmpty
        }
    }

    @Test func anOversizedPodStaysPendingWithTheReason() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3)
        defer { Task { await d.stop() } }
        let huge = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: huge
            spec:
              containers:
              - name: main
                command: ["sleep", "60"]
                resources:
                  requests:
                    cpu: "64"
            """
        let created = await kctl(d, ["apply", "-f", "-"], stdin: huge)
        #expect(created.exitCode == 0, "\(created.stderr)")
        try await eventually(seconds: 30, "PodScheduled=False with the reason") {
            let pod = try await d.client.get(.pod, namespace: "default", name: "huge")
            let conditions = pod.status?["conditions"]?.arrayValue ?? []
            return conditions.contains {
                $0["type"]?.stringValue == "PodScheduled" && $0["status"]?.stringValue == "False"
                    && ($0["message"]?.stringValue ?? "").contains("0/3 nodes are available: 3 Insufficient cpu")
            }
        }
        let pod = try await d.client.get(.pod, namespace: "default", name: "huge")
        let nodeName = pod.spec?["nodeName"]?.stringValue ?? ""
        #expect(nodeName.isEmpty)

        // Why: every node with the filter that rejected it.
        let explain = await kctl(d, ["explain", "pod", "huge"])
        #expect(explain.exitCode == 0, "\(explain.stderr)")
        for node in ["node-1", "node-2", "node-3"] {
            #expect(explain.stdout.contains(node), "\(explain.stdout)")
        }
        #expect(explain.stdout.contains("Insufficient cpu"), "\(explain.stdout)")
        let describe = await kctl(d, ["describe", "pod", "huge"])
        #expect(describe.stdout.contains("Scheduling:"), "\(describe.stdout)")

        // The record is served beside the pod, not inside it.
        #expect(pod.annotations["kctl.dev/scheduling"] == nil)
        let record = try await d.client.raw(method: "GET", path: "/api/v1/namespaces/default/pods/huge/scheduling")
        #expect(record.status == 200)
        let json = try JSONValue.parse(record.body)
        #expect(json["nodeCount"] == 3)
        #expect(json["reasons"]?["Insufficient cpu"] == 3)
        let missing = try await d.client.raw(method: "GET", path: "/api/v1/namespaces/default/pods/nope/scheduling")
        #expect(missing.status == 404)
        let gone = await kctl(d, ["explain", "pod", "nope"])
        #expect(gone.exitCode != 0)
        #expect(gone.stderr.contains("\"nope\" not found"), "\(gone.stderr)")
    }
}
