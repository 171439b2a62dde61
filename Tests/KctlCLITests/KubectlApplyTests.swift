import Foundation
import KctlCLI
import KctlModel
import KctlTestSupport
import Testing

/// The real kubectl's apply (client-side three-way strategic merge and server-side), `set env`,
/// `rollout restart` and `cordon` against a real kctld: every one of them sends strategic merge
/// or apply patches. Skipped where no kubectl exists.
@Suite(.requiresKubectl)
struct KubectlApplyTests {
    static let chat = TestFiles.repoRoot + "/Manifests/chat/"

    /// What `kubectl apply -f Manifests/chat/` names, in its order (files alphabetically).
    static let chatObjects = [
        "configmap/chat-config", "horizontalpodautoscaler.autoscaling/messages", "ingress.networking.k8s.io/chat",
        "service/messages", "deployment.apps/messages", "service/notifications", "deployment.apps/notifications",
        "secret/chat-api-token", "service/users", "deployment.apps/users",
    ]

    /// A copy of Manifests/chat in a temporary directory, for tests that edit it.
    static func chatCopy() throws -> String {
        let directory = TestFiles.temporaryDirectory() + "/chat"
        try FileManager.default.copyItem(atPath: String(chat.dropLast()), toPath: directory)
        return directory
    }

    static func edit(_ file: String, _ edits: [(String, String)]) throws {
        var text = try String(contentsOfFile: file, encoding: .utf8)
        for (old, new) in edits {
            #expect(text.contains(old), "\(file) has no \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: file, atomically: true, encoding: .utf8)
    }

    static func usersContainer(_ k: KubectlFixture) async throws -> JSONValue {
        let users = try await k.daemon.client.get(.deployment, namespace: "default", name: "users")
        return users.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first ?? .null
    }

    static func envNames(_ container: JSONValue) -> [String] {
        (container["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    static func env(_ container: JSONValue, _ name: String) -> JSONValue? {
        container["env"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["value"]
    }

    // MARK: Client-side apply

    @Test func applyCreatesAllThenReportsUnchanged() async throws {
        try await withKubectl { k in
            let first = try await k.ok(["apply", "-f", Self.chat])
            #expect(first.lines == Self.chatObjects.map { "\($0) created" }, "\(first)")
            let users = try await k.daemon.client.get(.deployment, namespace: "default", name: "users")
            #expect(users.annotations["kubectl.kubernetes.io/last-applied-configuration"] != nil)

            let second = try await k.ok(["apply", "-f", Self.chat])
            // A Secret given as stringData is "configured" on every apply, as with Kubernetes itself
            // (kubernetes/kubernetes#87736): the server turns stringData into data, so kubectl's
            // three-way diff always finds stringData missing from the live object.
            let expected = Self.chatObjects.map { $0 == "secret/chat-api-token" ? "\($0) configured" : "\($0) unchanged" }
            #expect(second.lines == expected, "\(second)")
            #expect(try await k.daemon.client.get(.deployment, namespace: "default", name: "users").resourceVersion == users.resourceVersion)
        }
    }

    /// A changed env value, a removed env entry and a changed container port become one
    /// strategic merge patch that changes just those; fields others wrote stay.
    @Test func editedManifestPatchesOnlyWhatChanged() async throws {
        try await withKubectl { k in
            let directory = try Self.chatCopy()
            defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
            try await k.ok(["apply", "-f", directory])
            let client = k.daemon.client
            // Another writer: a label on the object and an env entry in the template.
            try await k.ok(["label", "deployment/users", "team=chat"])
            try await k.ok(["set", "env", "deployment/users", "EXTRA=kept"])
            let before = try await Self.usersContainer(k)

            try Self.edit(directory + "/users.yaml", [
                ("        - name: VERSION\n          value: v1\n", "        - name: VERSION\n          value: v2\n"),
                ("        - name: POD_NAME\n          valueFrom:\n            fieldRef:\n              fieldPath: metadata.name\n", ""),
                ("          containerPort: 8080", "          containerPort: 8081"),
            ])
            let applied = try await k.ok(["apply", "-f", directory + "/users.yaml"])
            #expect(applied.lines == ["service/users unchanged", "deployment.apps/users configured"], "\(applied)")

            let after = try await Self.usersContainer(k)
            #expect(Self.envNames(after) == ["PORT", "POD_IP", "LISTEN_ADDRESS", "VERSION", "CHAT_API_TOKEN", "EXTRA"])
            #expect(Self.env(after, "VERSION") == "v2")
            #expect(Self.env(after, "EXTRA") == "kept")
            #expect(after["ports"]?.arrayValue?.map { $0["containerPort"] } == [8081])
            #expect(after["ports"]?.arrayValue?.first?["name"] == "http")
            for field in ["resources", "readinessProbe", "livenessProbe", "envFrom", "command", "image"] {
                #expect(after[field] == before[field], "\(field) changed")
            }
            let users = try await client.get(.deployment, namespace: "default", name: "users")
            #expect(users.labels["team"] == "chat")
            #expect(users.spec?["replicas"] == 2)

            // While the live list holds an entry the manifest lacks, kubectl sends its order
            // ($setElementOrder) on every apply, as against Kubernetes; without it, nothing.
            try await k.ok(["set", "env", "deployment/users", "EXTRA-"])
            #expect(try await k.ok(["apply", "-f", directory + "/users.yaml"]).lines == [
                "service/users unchanged", "deployment.apps/users unchanged",
            ])
        }
    }

    // MARK: Server-side apply

    @Test func serverSideApplyTwiceKeepsEverything() async throws {
        try await withKubectl { k in
            let first = try await k.ok(["apply", "--server-side", "-f", Self.chat])
            #expect(first.lines == Self.chatObjects.map { "\($0) serverside-applied" }, "\(first)")
            let second = try await k.ok(["apply", "--server-side", "-f", Self.chat])
            #expect(second.lines == first.lines, "\(second)")
            #expect(second.stderr.isEmpty, "\(second)")
            let container = try await Self.usersContainer(k)
            #expect(Self.envNames(container) == ["PORT", "POD_IP", "POD_NAME", "LISTEN_ADDRESS", "VERSION", "CHAT_API_TOKEN"])
            let secret = try await k.daemon.client.get(.secret, namespace: "default", name: "chat-api-token")
            #expect(secret["data"]?["token"] == .string(Data("demo-chat-token-3f9a1c".utf8).base64EncodedString()))

            // From client-side to server-side apply: kubectl's follow-up apply of only the
            // last-applied annotation (manager kubectl-last-applied) leaves the spec alone.
            try await k.ok(["apply", "-f", Self.chat + "configmap.yaml"])
            try await k.ok(["apply", "--server-side", "-f", Self.chat + "users.yaml"])
            try await k.ok(["apply", "--server-side", "-f", Self.chat + "users.yaml"])
            let users = try await k.daemon.client.get(.deployment, namespace: "default", name: "users")
            #expect(users.spec?["replicas"] == 2)
            #expect(Self.envNames(try await Self.usersContainer(k)).count == 6)

            // Fields the manifest sets follow it; one it does not set is kept.
            try await k.ok(["scale", "deployment/users", "--replicas=3"])
            try await k.ok(["label", "deployment/users", "team=chat"])
            let edited = try String(contentsOfFile: Self.chat + "users.yaml", encoding: .utf8)
                .replacingOccurrences(of: "          value: v1\n", with: "          value: v9\n")
            try await k.ok(["apply", "--server-side", "--force-conflicts", "-f", "-"], stdin: edited)
            let after = try await Self.usersContainer(k)
            #expect(Self.env(after, "VERSION") == "v9")
            let reapplied = try await k.daemon.client.get(.deployment, namespace: "default", name: "users")
            #expect(reapplied.spec?["replicas"] == 2)
            #expect(reapplied.labels["team"] == "chat")
        }
    }

    // MARK: set env, rollout restart, cordon

    @Test func setEnvRolloutRestartAndCordon() async throws {
        try await withKubectl { k in
            let client = k.daemon.client
            try await k.ok(["apply", "-f", Self.chat + "users.yaml"])
            #expect(try await k.ok(["set", "env", "deploy/users", "K=V"]).stdout == "deployment.apps/users env updated\n")
            var container = try await Self.usersContainer(k)
            #expect(Self.env(container, "K") == "V")
            #expect(Self.envNames(container).count == 7)
            #expect(try await k.ok(["set", "env", "deploy/users", "VERSION-"]).stdout == "deployment.apps/users env updated\n")
            container = try await Self.usersContainer(k)
            #expect(!Self.envNames(container).contains("VERSION") && Self.envNames(container).contains("K"))

            // kctl's own set env and kubectl's agree on the result.
            let kctl = await KctlCommand.capture(["set", "env", "deploy/users", "FROM_KCTL=1", "--server", k.daemon.url])
            #expect(kctl.exitCode == 0, "\(kctl.stderr)")
            container = try await Self.usersContainer(k)
            #expect(Self.env(container, "FROM_KCTL") == "1" && Self.env(container, "K") == "V")

            #expect(try await k.ok(["rollout", "restart", "deploy/users"]).stdout == "deployment.apps/users restarted\n")
            let users = try await client.get(.deployment, namespace: "default", name: "users")
            let annotations = users.spec?["template"]?["metadata"]?["annotations"]
            #expect(annotations?["kubectl.kubernetes.io/restartedAt"]?.stringValue?.isEmpty == false)
            #expect(annotations?["prometheus.io/scrape"] == "true")

            try await k.ok(["create", "-f", "-"], stdin: "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\n")
            #expect(try await k.ok(["cordon", "node-1"]).stdout == "node/node-1 cordoned\n")
            #expect(try await client.get(.node, namespace: nil, name: "node-1").spec?["unschedulable"] == true)
            #expect(try await k.ok(["uncordon", "node-1"]).stdout == "node/node-1 uncordoned\n")
            #expect(try await client.get(.node, namespace: nil, name: "node-1").spec?["unschedulable"] == nil)
            try await k.ok(["taint", "node", "node-1", "a=b:NoSchedule"])
            try await k.ok(["taint", "node", "node-1", "c=d:NoExecute"])
            try await k.ok(["taint", "node", "node-1", "a-"])
            let taints = try await client.get(.node, namespace: nil, name: "node-1").spec?["taints"]
            #expect(taints == [["key": "c", "value": "d", "effect": "NoExecute"]])
        }
    }
}
