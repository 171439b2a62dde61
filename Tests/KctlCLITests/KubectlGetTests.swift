import Foundation
import KctlModel
import KctlTestSupport
import Testing

/// The real kubectl against a real kctld: `get` in its forms. Skipped where no kubectl exists.
@Suite(.requiresKubectl)
struct KubectlGetTests {
    static let chat = TestFiles.repoRoot + "/Manifests/chat/"

    /// The chat app applied with the controllers on: every served kind then has objects.
    @Test func everyKindPrintsKubectlsColumnsNormalAndWide() async throws {
        try await withKubectl(controlLoops: true, nodes: 2) { k in
            try await k.ok(["apply", "-f", Self.chat])
            try await eventually(seconds: 20, "pods, endpoints and events exist") {
                let pods = try await k.daemon.client.list(.pod, namespace: "default").items
                let events = try await k.daemon.client.list(.event, namespace: "default").items
                let leases = try await k.daemon.client.list(.lease, namespace: nil).items
                return pods.count >= 5 && !events.isEmpty && !leases.isEmpty
            }
            for type in ResourceType.all {
                let allNamespaces = type == .lease
                let args = ["get", type.plural] + (allNamespaces ? ["-A"] : [])
                let normal = try await k.ok(args)
                let wide = try await k.ok(args + ["-o", "wide"])
                let prefix = allNamespaces ? ["NAMESPACE"] : []
                let columns = ObjectTable.columns(for: type)
                #expect(headerColumns(normal) == prefix + columns.filter { $0.priority == 0 }.map(\.name), "\(normal)")
                #expect(headerColumns(wide) == prefix + columns.map(\.name), "\(wide)")
                #expect(normal.lines.count >= 2, "no rows for \(type.plural): \(normal)")
            }
            // Real cells, not a NAME/AGE fallback: a deployment's READY and a secret's TYPE.
            let deployments = try await k.ok(["get", "deployments"])
            #expect(deployments.lines.contains { $0.hasPrefix("messages ") && $0.contains("/2") }, "\(deployments)")
            let secrets = try await k.ok(["get", "secret", "chat-api-token"])
            #expect(secrets.lines.last?.contains("Opaque") == true, "\(secrets)")
        }
    }

    @Test func outputFormatsMatchTheStoredObject() async throws {
        try await withKubectl { k in
            let stored = try await k.daemon.client.create(
                KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "labels": ["app": "web"]], "data": ["a": "1"]]),
                as: .configMap, namespace: "default")
            let json = try await k.ok(["get", "configmap", "c", "-o", "json"])
            #expect(try JSONValue.parse(Array(json.stdout.utf8)) == stored.value)
            let yaml = try await k.ok(["get", "cm", "c", "-o", "yaml"])
            #expect(yaml.stdout.contains("kind: ConfigMap") && yaml.stdout.contains("  name: c"), "\(yaml)")
            let name = try await k.ok(["get", "configmaps", "-o", "name"])
            #expect(name.lines == ["configmap/c"])
            let list = try await k.ok(["get", "configmaps", "-o", "json"])
            let parsed = try JSONValue.parse(Array(list.stdout.utf8))
            #expect(parsed["kind"] == "List")
            #expect(parsed["items"]?.arrayValue?.first == stored.value)
            let labels = try await k.ok(["get", "cm", "--show-labels"])
            #expect(headerColumns(labels) == ["NAME", "DATA", "AGE", "LABELS"])
            #expect(labels.lines.last?.hasSuffix("app=web") == true)
        }
    }

    @Test func labelAndFieldSelectorsAndAllNamespaces() async throws {
        try await withKubectl { k in
            let client = k.daemon.client
            _ = try await client.create(namespace("dev"), as: .namespace, namespace: nil)
            for (name, ns, tier) in [("a", "default", "web"), ("b", "default", "db"), ("c", "dev", "web")] {
                _ = try await client.create(
                    KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "labels": ["tier": .string(tier)]]]),
                    as: .configMap, namespace: ns)
            }
            #expect(try await k.ok(["get", "cm", "-l", "tier=web", "-o", "name"]).lines == ["configmap/a"])
            #expect(try await k.ok(["get", "cm", "-l", "tier!=web", "-o", "name"]).lines == ["configmap/b"])
            #expect(try await k.ok(["get", "cm", "--field-selector", "metadata.name=b", "-o", "name"]).lines == ["configmap/b"])
            let all = try await k.ok(["get", "cm", "-A", "-l", "tier=web"])
            #expect(headerColumns(all) == ["NAMESPACE", "NAME", "DATA", "AGE"])
            #expect(all.lines.dropFirst().map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["default a", "dev c"])
            let none = try await k.run(["get", "cm", "-l", "tier=none"])
            #expect(none.succeeded && none.stdout.isEmpty && none.stderr.contains("No resources found in default namespace."), "\(none)")
        }
    }

    @Test func getAllGroupsTheWorkloadKinds() async throws {
        try await withKubectl(controlLoops: true, nodes: 1) { k in
            try await k.ok(["apply", "-f", Self.chat + "users.yaml"])
            try await eventually(seconds: 20, "the users pods exist") {
                try await k.daemon.client.list(.pod, namespace: "default").items.count == 2
            }
            let all = try await k.ok(["get", "all"])
            for expected in ["pod/users-", "service/users", "deployment.apps/users", "replicaset.apps/users-"] {
                #expect(all.lines.contains { $0.hasPrefix(expected) }, "\(expected) missing: \(all)")
            }
            #expect(all.lines.contains { $0.hasPrefix("NAME") && $0.contains("UP-TO-DATE") })
        }
    }

    @Test func watchPrintsTheListThenLaterChanges() async throws {
        try await withKubectl { k in
            let client = k.daemon.client
            _ = try await client.create(configMap("first"), as: .configMap, namespace: "default")
            let watch = try await k.start(["get", "configmaps", "-w"])
            defer { Task { await watch.stop() } }
            try await watch.waitFor("the listed object") { $0.count == 2 && $0[1].hasPrefix("first ") }
            #expect(watch.lines.first.map { headerColumns($0) } == ["NAME", "DATA", "AGE"])
            _ = try await client.create(configMap("second", data: ["a": "1"]), as: .configMap, namespace: "default")
            try await watch.waitFor("the created object") { $0.contains { $0.hasPrefix("second ") && $0.contains(" 1 ") } }
            _ = try await client.delete(.configMap, namespace: "default", name: "first")
            try await watch.waitFor("the deleted object") { $0.filter { $0.hasPrefix("first ") }.count == 2 }
            await watch.stop()
        }
    }

    @Test func watchOneObjectByName() async throws {
        try await withKubectl { k in
            let client = k.daemon.client
            _ = try await client.create(configMap("watched"), as: .configMap, namespace: "default")
            _ = try await client.create(configMap("other"), as: .configMap, namespace: "default")
            let watch = try await k.start(["get", "configmap", "watched", "-w"])
            defer { Task { await watch.stop() } }
            try await watch.waitFor("the object") { $0.contains { $0.hasPrefix("watched ") } }
            var changed = try await client.get(.configMap, namespace: "default", name: "watched")
            changed["data"] = ["a": "1", "b": "2"]
            _ = try await client.update(changed, as: .configMap)
            _ = try await client.create(configMap("another"), as: .configMap, namespace: "default")
            try await watch.waitFor("the update") { $0.contains { $0.hasPrefix("watched ") && $0.contains(" 2 ") } }
            #expect(!watch.lines.contains { $0.hasPrefix("other") || $0.hasPrefix("another") }, "\(watch.stdout)")
            await watch.stop()
        }
    }

    @Test func unservedKindsAndVersionsAndMissingObjects() async throws {
        try await withKubectl { k in
            let jobs = try await k.run(["get", "jobs"])
            #expect(jobs.exitCode == 1)
            #expect(jobs.stderr.contains("the server doesn't have a resource type \"jobs\""), "\(jobs)")
            let beta = try await k.run(["get", "deployments.v1beta1.apps"])
            #expect(beta.exitCode == 1)
            #expect(beta.stderr.contains("the server doesn't have a resource type \"deployments\""), "\(beta)")
            let raw = try await k.run(["get", "--raw", "/apis/apps/v1beta1/deployments"])
            #expect(raw.exitCode == 1 && raw.stderr.contains("Error from server (NotFound)"), "\(raw)")
            let missing = try await k.run(["get", "deployment", "nope"])
            #expect(missing.exitCode == 1)
            #expect(missing.stderr.contains("Error from server (NotFound): deployments.apps \"nope\" not found"), "\(missing)")
        }
    }
}

// MARK: - Shared by the kubectl suites

/// A daemon and a kubectl pointed at it.
struct KubectlFixture {
    let daemon: TestDaemon
    let kubectl: Kubectl

    func run(_ arguments: [String], stdin: String? = nil, timeout: Double = 60) async throws -> KubectlResult {
        try await kubectl.run(arguments, stdin: stdin, timeout: timeout)
    }

    /// Runs kubectl and records an issue unless it succeeds.
    @discardableResult
    func ok(
        _ arguments: [String], stdin: String? = nil, timeout: Double = 60, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> KubectlResult {
        let result = try await kubectl.run(arguments, stdin: stdin, timeout: timeout)
        #expect(result.succeeded, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    func start(_ arguments: [String]) async throws -> KubectlStream { try await kubectl.start(arguments) }
}

/// Starts a daemon, runs `body` with kubectl, and always stops both.
func withKubectl(
    controlLoops: Bool = false, nodes: Int = 0, processes: Bool = false,
    _ body: (KubectlFixture) async throws -> Void
) async throws {
    let daemon = try await TestDaemon.start(controlLoops: controlLoops, nodes: nodes, processes: processes)
    guard let kubectl = Kubectl(daemon) else {
        await daemon.stop()
        return
    }
    do {
        try await body(KubectlFixture(daemon: daemon, kubectl: kubectl))
    } catch {
        await daemon.stop()
        kubectl.cleanup()
        throw error
    }
    await daemon.stop()
    kubectl.cleanup()
}

/// A table header's column names (columns are separated by at least three spaces; names may hold one).
func headerColumns(_ result: KubectlResult) -> [String] { headerColumns(result.lines.first ?? "") }

func headerColumns(_ line: String) -> [String] {
    line.components(separatedBy: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

func configMap(_ name: String, data: [String: String] = [:]) -> KubeObject {
    var json: [String: JSONValue] = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)]]
    if !data.isEmpty { json["data"] = .object(data.mapValues { .string($0) }) }
    return KubeObject(json)
}

func namespace(_ name: String) -> KubeObject {
    KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]])
}
