import Foundation
import Hummingbird
import KctlAPIServer
import KctlAgent
import KctlClient
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import ServiceLifecycle
import Testing

@testable import KctlCLI

/// `kctl apply --dry-run=server|client`: the lines kubectl prints, nothing stored, no write at all
/// for a client dry run, and the placement preview computed with the scheduler's pipeline.
@Suite(.timeLimit(.minutes(3))) struct ApplyDryRunTests {
    static let chat = TestFiles.repoRoot + "/Manifests/chat"
    static let chatLabels = [
        "configmap/chat-config", "horizontalpodautoscaler.autoscaling/messages", "ingress.networking.k8s.io/chat",
        "service/messages", "deployment.apps/messages", "service/notifications", "deployment.apps/notifications",
        "secret/chat-api-token", "service/users", "deployment.apps/users",
    ]

    func kctl(_ d: TestDaemon, _ args: [String]) async -> CommandResult {
        await KctlCommand.capture(args + ["--server", d.url])
    }

    // MARK: Against a whole cluster

    @Test func serverDryRunOfChatStoresNothingAndSpreadsReplicas() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3)
        defer { Task { await d.stop() } }
        try await waitForReadyNodes(d, 3)
        let before = try await stored(d.client)

        let dry = await kctl(d, ["apply", "--dry-run=server", "-f", Self.chat])
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        let objectLines = dry.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }.map(String.init)
        #expect(Set(objectLines) == Set(Self.chatLabels.map { "\($0) created (server dry run)" }), "\(dry.stdout)")
        #expect(try await stored(d.client) == before, "a server dry run stored something")

        // Each Deployment's replicas on distinct nodes; together they use every node.
        let messages = try placement(of: "deployment.apps/messages", in: dry.stdout)
        let users = try placement(of: "deployment.apps/users", in: dry.stdout)
        let notifications = try placement(of: "deployment.apps/notifications", in: dry.stdout)
        #expect(messages.values.sorted() == [1, 1] && users.values.sorted() == [1, 1], "\(dry.stdout)")
        #expect(notifications.values.sorted() == [1])
        #expect(Set(messages.keys).union(users.keys).union(notifications.keys) == ["node-1", "node-2", "node-3"])

        // Applied for real, then a dry run of more replicas: configured, previewed, not written.
        let real = await kctl(d, ["apply", "-f", Self.chat])
        #expect(real.exitCode == 0, "\(real.stderr)")
        try await eventually(seconds: 30, "chat pods bound") {
            let pods = try await d.client.list(.pod, namespace: "default").items
            return pods.count == 5 && pods.allSatisfy { Self.isBound($0) }
        }
        let deployment = try await d.client.get(.deployment, namespace: "default", name: "messages")
        let scaled = try String(contentsOfFile: Self.chat + "/messages.yaml", encoding: .utf8)
            .replacingOccurrences(of: "replicas: 2", with: "replicas: 3")
        let file = try temporaryFile(scaled)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let more = await kctl(d, ["apply", "--dry-run=server", "-f", file])
        #expect(more.exitCode == 0, "\(more.stderr)")
        #expect(more.stdout.contains("service/messages unchanged (server dry run)\n"), "\(more.stdout)")
        #expect(more.stdout.contains("deployment.apps/messages configured (server dry run)\n"))
        #expect(try placement(of: "deployment.apps/messages", in: more.stdout) == ["node-1": 1, "node-2": 1, "node-3": 1])
        let after = try await d.client.get(.deployment, namespace: "default", name: "messages")
        #expect(after.spec?["replicas"]?.intValue == 2 && after.generation == deployment.generation)

        let again = await kctl(d, ["apply", "--dry-run=server", "-f", Self.chat])
        #expect(again.stdout.contains("deployment.apps/users unchanged (server dry run)\n"), "\(again.stdout)")
    }

    @Test func oversizedPodPreviewShowsTheSchedulersMessage() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3)
        defer { Task { await d.stop() } }
        try await waitForReadyNodes(d, 3)
        let file = try temporaryFile(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: huge}
            spec:
              containers:
              - {name: c, command: [sleep, "100"], resources: {requests: {cpu: "16"}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: big}
            spec:
              replicas: 4
              selector: {matchLabels: {app: big}}
              template:
                metadata: {labels: {app: big}}
                spec:
                  containers:
                  - {name: c, command: [sleep, "100"], resources: {requests: {cpu: "3"}}}
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }

        let dry = await kctl(d, ["apply", "--dry-run=server", "-f", file])
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(
            dry.stdout.contains(
                """
                pod/huge created (server dry run)
                  placement: pod unschedulable: 0/3 nodes are available: 3 Insufficient cpu.

                """), "\(dry.stdout)")
        #expect(
            dry.stdout.contains(
                """
                deployment.apps/big created (server dry run)
                  placement: 4 replicas -> node-1 (1), node-2 (1), node-3 (1), 1 unschedulable
                  replica 4: 0/3 nodes are available: 3 Insufficient cpu.

                """))

        let explained = await kctl(d, ["apply", "--dry-run=server", "--explain-placement", "-f", file])
        #expect(explained.stdout.contains("    node-1: rejected by NodeResourcesFit: Insufficient cpu\n"), "\(explained.stdout)")
        #expect(explained.stdout.contains("  replica 1 -> node-"))
        #expect(explained.stdout.contains(": score "))
        #expect(try await d.client.list(.pod, namespace: "default").items.isEmpty)
        #expect(try await d.client.list(.deployment, namespace: "default").items.isEmpty)
    }

    // MARK: Against an API server that records every request

    @Test func clientDryRunOnlyReadsAndServerDryRunWritesOnlyWithDryRunAll() async throws {
        try await RecordingServer.with { server in
            let revision = { try await server.client.list(.configMap, namespace: "default").resourceVersion }
            let start = try await revision()

            let client = await server.kctl(["apply", "--dry-run=client", "-f", Self.chat])
            #expect(client.exitCode == 0, "\(client.stderr)")
            #expect(Set(client.stdout.split(separator: "\n").map(String.init)) == Set(Self.chatLabels.map { "\($0) created (dry run)" }))
            #expect(server.takeRequests().allSatisfy { $0.hasPrefix("GET ") })

            let server1 = await server.kctl(["apply", "--dry-run=server", "-f", Self.chat])
            #expect(server1.exitCode == 0, "\(server1.stderr)")
            // No nodes here: the preview says so in the scheduler's words.
            #expect(server1.stdout.contains("  placement: 2 replicas -> 2 unschedulable\n"), "\(server1.stdout)")
            #expect(server1.stdout.contains("  replicas 1-2: no nodes available to schedule pods\n"))
            let writes = server.takeRequests().filter { !$0.hasPrefix("GET ") }
            #expect(writes.count == Self.chatLabels.count && writes.allSatisfy { $0.hasSuffix("?dryRun=All") }, "\(writes)")
            #expect(try await revision() == start, "a dry run changed the store")

            // Against live objects: configured, still without writes; invalid manifests fail as in a real apply.
            #expect(await server.kctl(["apply", "-f", Self.chat]).exitCode == 0)
            let applied = try await revision()
            _ = server.takeRequests()
            let scaled = try String(contentsOfFile: Self.chat + "/users.yaml", encoding: .utf8)
                .replacingOccurrences(of: "replicas: 2", with: "replicas: 3")
            let file = try temporaryFile(scaled + "\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: BAD}\n")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let update = await server.kctl(["apply", "--dry-run=client", "-f", file])
            #expect(update.exitCode == 1)
            #expect(update.stdout.contains("service/users unchanged (dry run)\n"), "\(update.stdout)")
            #expect(update.stdout.contains("deployment.apps/users configured (dry run)\n"))
            #expect(update.stderr.contains("ConfigMap \"BAD\" is invalid"), "\(update.stderr)")
            #expect(server.takeRequests().allSatisfy { $0.hasPrefix("GET ") })
            let serverUpdate = await server.kctl(["apply", "--dry-run=server", "-f", file])
            #expect(serverUpdate.stdout.contains("deployment.apps/users configured (server dry run)\n"), "\(serverUpdate.stdout)")
            #expect(serverUpdate.stderr.contains("ConfigMap \"BAD\" is invalid"), "\(serverUpdate.stderr)")
            #expect(server.takeRequests().filter { !$0.hasPrefix("GET ") }.allSatisfy { $0.hasSuffix("?dryRun=All") })
            #expect(try await revision() == applied, "a dry run changed the store")
        }
    }

    // MARK: Flags and the pure preview

    @Test func invalidDryRunValueNamesTheFlag() async {
        let bad = await KctlCommand.capture(["apply", "--dry-run=maybe", "-f", Self.chat])
        #expect(bad.exitCode != 0)
        #expect(bad.stderr.contains("'maybe'") && bad.stderr.contains("--dry-run"), "\(bad.stderr)")
        let explain = await KctlCommand.capture(["apply", "--explain-placement", "-f", Self.chat])
        #expect(explain.exitCode != 0)
        #expect(explain.stderr.contains("--explain-placement needs --dry-run=server"), "\(explain.stderr)")
    }

    /// A Deployment's own current pods make room for its replicas; pods of its older ReplicaSet
    /// still take theirs.
    @Test func previewSetsAsideTheDeploymentsCurrentPods() throws {
        let template: JSONValue = [
            "metadata": ["labels": ["app": "web"]],
            "spec": ["containers": [["name": "web", "command": ["/web"], "resources": ["requests": ["cpu": "2"]]]]],
        ]
        var oldTemplate = template
        oldTemplate["spec"]?["containers"] = [["name": "web", "command": ["/old"], "resources": ["requests": ["cpu": "3"]]]]
        let deployment = Samples.object([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default", "uid": "d-1"],
            "spec": ["replicas": 2, "selector": ["matchLabels": ["app": "web"]], "template": template],
        ])
        func replicaSet(_ name: String, _ template: JSONValue) -> KubeObject {
            var labelled = template
            labelled["metadata"]?["labels"]?["pod-template-hash"] = .string(name)
            return Samples.object([
                "apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": [
                    "name": .string("web-\(name)"), "namespace": "default", "uid": .string("rs-\(name)"),
                    "ownerReferences": [["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d-1", "controller": true]],
                ],
                "spec": ["replicas": 1, "template": labelled],
            ])
        }
        func pod(_ name: String, set: String, node: String, cpu: String) -> KubeObject {
            Samples.object([
                "apiVersion": "v1", "kind": "Pod",
                "metadata": [
                    "name": .string(name), "namespace": "default", "labels": ["app": "web"],
                    "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": .string("web-\(set)"), "uid": .string("rs-\(set)"), "controller": true]],
                ],
                "spec": [
                    "nodeName": .string(node),
                    "containers": [["name": "web", "resources": ["requests": ["cpu": .string(cpu)]]]],
                ],
                "status": ["phase": "Running"],
            ])
        }
        var preview = PlacementPreview(
            nodes: (1...3).map { readyNode($0) },
            pods: [pod("web-old-1", set: "old", node: "node-1", cpu: "3"), pod("web-new-1", set: "new", node: "node-2", cpu: "3")],
            replicaSets: [replicaSet("old", oldTemplate), replicaSet("new", template)])
        let outcome = preview.place(deployment, live: deployment)
        // node-1 keeps the old pod's 3 cpu (2 more do not fit in 4); node-2's current pod is set aside.
        #expect(PlacementPreview.lines(outcome) == ["placement: 2 replicas -> node-2 (1), node-3 (1)"])
        // The placed replicas stay in the snapshot for the next object: room for two more 2-cpu pods.
        var other = deployment
        other.name = "other"
        other.uid = "d-2"
        other.spec?["replicas"] = 3
        #expect(
            PlacementPreview.lines(preview.place(other, live: nil)) == [
                "placement: 3 replicas -> node-2 (1), node-3 (1), 1 unschedulable",
                "replica 3: 0/3 nodes are available: 3 Insufficient cpu.",
            ])
    }

    // MARK: Helpers

    /// Names of what the chat scenario would write, with their resourceVersions.
    func stored(_ client: KubeClient) async throws -> [String: String] {
        var names: [String: String] = [:]
        for type in [
            ResourceType.configMap, .secret, .service, .deployment, .replicaSet, .pod, .ingress, .horizontalPodAutoscaler,
        ] {
            for item in try await client.list(type, namespace: "default").items {
                names["\(type.kind)/\(item.name)"] = item.resourceVersion ?? ""
            }
        }
        return names
    }

    func waitForReadyNodes(_ d: TestDaemon, _ count: Int) async throws {
        try await eventually(seconds: 30, "\(count) ready nodes") {
            let nodes = try await d.client.list(.node, namespace: nil).items
            return nodes.count == count && nodes.allSatisfy(Self.isReady)
        }
    }

    /// `node -> replicas` from the `placement:` line under `label`'s line.
    func placement(of label: String, in output: String) throws -> [String: Int] {
        let lines = output.split(separator: "\n").map(String.init)
        guard let index = lines.firstIndex(where: { $0.hasPrefix(label + " ") }), index + 1 < lines.count,
            let arrow = lines[index + 1].range(of: " -> ")
        else { throw TestFailure("no placement line for \(label) in:\n\(output)") }
        var result: [String: Int] = [:]
        for part in lines[index + 1][arrow.upperBound...].components(separatedBy: ", ") {
            let pieces = part.split(separator: " ")
            guard pieces.count == 2, let count = Int(pieces[1].trimmingCharacters(in: CharacterSet(charactersIn: "()"))) else {
                continue
            }
            result[String(pieces[0])] = count
        }
        return result
    }

    func temporaryFile(_ text: String) throws -> String {
        let path = TestFiles.temporaryDirectory() + "/manifest.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func readyNode(_ index: Int) -> KubeObject {
        var node = SimulatedNodes.node(index: index, zone: "zone-\(index)")
        node.status?["conditions"] = [["type": "Ready", "status": "True"]]
        return node
    }
}

extension ApplyDryRunTests {
    static func isBound(_ pod: KubeObject) -> Bool {
        !(pod.spec?["nodeName"]?.stringValue ?? "").isEmpty
    }

    static func isReady(_ node: KubeObject) -> Bool {
        (node.status?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }
}

// MARK: - An API server that records requests

/// The real APIServer over a temporary SQLite store on a loopback port, behind a responder that
/// records `METHOD /path?query` of every request, so a test can tell reads from writes.
struct RecordingServer: Sendable {
    let url: String
    let client: KubeClient
    let requests: Locked<[String]>

    struct Recorder: HTTPResponder {
        typealias Context = BasicRequestContext
        let api: APIServer
        let requests: Locked<[String]>

        func respond(to request: Request, context: Context) async throws -> Response {
            requests.withLock { $0.append("\(request.method) \(request.uri)") }
            return try await api.respond(to: request, context: context)
        }
    }

    static func with(_ body: @escaping @Sendable (RecordingServer) async throws -> Void) async throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var logger = Logger(label: "apply-dry-run-test")
        logger.logLevel = .warning
        let store = try SQLiteStore(path: dir + "/kctl.db", logger: logger)
        defer { store.close() }
        _ = try await store.create(KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]]), as: .namespace)
        let requests = Locked<[String]>([])
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: Recorder(api: APIServer(store: store, logger: logger), requests: requests),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let running = Task { try await group.run() }
        var result: Result<Void, any Error> = .success(())
        var client: KubeClient?
        do {
            let port = try await withDeadline(seconds: 20) {
                for await port in ports { return port }
                throw TestFailure("the API server stopped before listening")
            }
            let url = "http://127.0.0.1:\(port)"
            client = try KubeClient(server: url)
            try await body(RecordingServer(url: url, client: client!, requests: requests))
        } catch {
            result = .failure(error)
        }
        try? await client?.shutdown()
        await group.triggerGracefulShutdown()
        _ = await running.result
        try result.get()
    }

    func kctl(_ arguments: [String]) async -> CommandResult {
        await KctlCommand.capture(arguments + ["--server", url])
    }

    /// The requests since the last call, and forgets them.
    func takeRequests() -> [String] {
        requests.withLock { recorded in
            defer { recorded = [] }
            return recorded
        }
    }
}
