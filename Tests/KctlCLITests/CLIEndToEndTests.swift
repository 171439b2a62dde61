import Foundation
import KctlCLI
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// kctl against a real kctld, as a user would run it: apply the seed manifests, read them back,
/// watch changes made by another kctl, and get clear errors for bad input.
@Suite struct CLIEndToEndTests {
    static var manifests: String { TestFiles.repoRoot + "/Manifests" }

    func kctl(_ d: TestDaemon, _ args: [String], stdin: String = "") async -> CommandResult {
        await KctlCommand.capture(args + ["--server", d.url], stdin: stdin)
    }

    @Test func applySeedManifestsThenGetAndReapply() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let apply = await kctl(d, ["apply", "-f", Self.manifests + "/nodes.yaml", "-f", Self.manifests + "/chat", "-f", Self.manifests + "/edupro"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("deployment.apps/messages created"))
        #expect(apply.stdout.contains("ingress.networking.k8s.io/chat created"))
        #expect(apply.stdout.contains("horizontalpodautoscaler.autoscaling/messages created"))
        #expect(apply.stdout.contains("node/"))

        let get = await kctl(d, ["get", "deploy,svc,ing,secret,cm,hpa"])
        #expect(get.exitCode == 0, "\(get.stderr)")
        for name in ["deployment.apps/messages", "deployment.apps/users", "deployment.apps/notifications", "service/messages", "ingress.networking.k8s.io/chat", "horizontalpodautoscaler.autoscaling/messages"] {
            #expect(get.stdout.contains(name), "missing \(name) in:\n\(get.stdout)")
        }

        // Applying the same files again changes nothing.
        let again = await kctl(d, ["apply", "-f", Self.manifests + "/chat"])
        #expect(again.exitCode == 0)
        #expect(again.stdout.contains("deployment.apps/messages unchanged"))
        #expect(!again.stdout.contains("configured"))

        // A changed manifest is configured, and the change is stored.
        let changed = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: chat-config
            data:
              MESSAGE_MAX_LENGTH: "900"
            """
        let configured = await kctl(d, ["apply", "-f", "-"], stdin: changed)
        #expect(configured.stdout.contains("configmap/chat-config configured"), "\(configured.stdout)\(configured.stderr)")
        let cm = try await d.client.get(.configMap, namespace: "default", name: "chat-config")
        #expect(cm["data"]?["MESSAGE_MAX_LENGTH"]?.stringValue == "900")

        // Everything the files hold is stored.
        let json = await kctl(d, ["get", "deploy", "messages", "-o", "json"])
        let object = try JSONValue.parse(json.stdout)
        #expect(object["kind"]?.stringValue == "Deployment")
        #expect(object["metadata"]?["uid"]?.stringValue != nil)

        let deleted = await kctl(d, ["delete", "-f", Self.manifests + "/edupro"])
        #expect(deleted.exitCode == 0, "\(deleted.stderr)")
        #expect(deleted.stdout.contains("deployment.apps \"auth\" deleted"))
    }

    @Test func badDocumentsAreReportedAndNothingOfThemIsWritten() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let input = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: good
            data:
              a: b
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: broken
            spec:
              replicas: three
              selector:
                matchLabels: {app: broken}
              template:
                metadata:
                  labels: {app: broken}
                spec:
                  containers:
                  - name: main
                    command: ["sleep", "1"]
            ---
            apiVersion: v1
            kind: Widget
            metadata:
              name: w
            """
        let result = await kctl(d, ["apply", "-f", "-"], stdin: input)
        #expect(result.exitCode != 0)
        #expect(result.stdout.contains("configmap/good created"))
        #expect(result.stderr.contains("spec.replicas"), "\(result.stderr)")
        #expect(result.stderr.contains("Widget"), "\(result.stderr)")
        await #expect(throws: StatusError.self) { try await d.client.get(.deployment, namespace: "default", name: "broken") }

        let malformed = await kctl(d, ["apply", "-f", "-"], stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata: [unclosed\n")
        #expect(malformed.exitCode != 0)
        #expect(!malformed.stderr.isEmpty)

        let unknownKind = await kctl(d, ["get", "widgets"])
        #expect(unknownKind.exitCode != 0)
        #expect(unknownKind.stderr.contains("widgets"))

        let missing = await kctl(d, ["get", "deploy", "nope"])
        #expect(missing.exitCode != 0)
        #expect(missing.stderr.contains("Error from server (NotFound): deployments.apps \"nope\" not found"))
    }

    @Test func createSecretAndConfigMapFromLiterals() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let secret = await kctl(d, ["create", "secret", "generic", "token", "--from-literal=api-token=s3cr3t"])
        #expect(secret.exitCode == 0, "\(secret.stderr)")
        let stored = try await d.client.get(.secret, namespace: "default", name: "token")
        #expect(stored["data"]?["api-token"]?.stringValue == Data("s3cr3t".utf8).base64EncodedString())
        let describe = await kctl(d, ["describe", "secret", "token"])
        #expect(describe.exitCode == 0)
        #expect(!describe.stdout.contains("s3cr3t"))
        let cm = await kctl(d, ["create", "configmap", "tun", "--from-literal=K=V"])
        #expect(cm.exitCode == 0, "\(cm.stderr)")
        let ns = await kctl(d, ["create", "namespace", "shop"])
        #expect(ns.exitCode == 0, "\(ns.stderr)")
        let list = await kctl(d, ["get", "ns"])
        #expect(list.stdout.contains("shop"))
    }

    static func pod(_ name: String) -> String {
        """
        apiVersion: v1
        kind: Pod
        metadata:
          name: \(name)
        spec:
          containers:
          - name: main
            command: ["sleep", "30"]
        """
    }

    /// `kctl get pods -w` in one process streams a pod that another kctl creates.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: TestFiles.repoRoot + "/.build/debug/kctl")))
    func getWatchStreamsChangesFromAnotherKctl() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let first = await kctl(d, ["apply", "-f", "-"], stdin: Self.pod("first"))
        #expect(first.exitCode == 0, "\(first.stderr)")
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: TestFiles.repoRoot + "/.build/debug/kctl")
        watcher.arguments = ["get", "pods", "-w", "--server", d.url]
        let pipe = Pipe()
        watcher.standardOutput = pipe
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        defer { if watcher.isRunning { watcher.terminate() } }
        let lines = LineCollector(pipe.fileHandleForReading)

        // The list is printed before the watch opens from its revision; then create another.
        try await eventually(seconds: 20, "kctl get -w listed") { lines.text.contains("first") }
        let created = await kctl(d, ["apply", "-f", "-"], stdin: Self.pod("watched"))
        #expect(created.exitCode == 0, "\(created.stderr)")
        try await eventually(seconds: 20, "the watch printed the new pod") { lines.text.contains("watched") }
    }
}

/// Collects a pipe's output as it arrives.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""

    init(_ handle: FileHandle) {
        handle.readabilityHandler = { [weak self] h in
            let data = h.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.buffer += String(decoding: data, as: UTF8.self) }
        }
    }

    var text: String { lock.withLock { buffer } }
}
