import Foundation
import KctlAPIServer
import KctlCLI
import KctlModel
import KctlTestSupport
import Testing

/// `kctl apply` sends kubectl's three-way strategic merge patch to a real kctld: what others added
/// to a list survives a re-apply, what the manifest dropped goes, and kctl and kubectl each find
/// the other's applies unchanged.
@Suite(.timeLimit(.minutes(3))) struct ApplyStrategicTests {
    static let chat = TestFiles.repoRoot + "/Manifests/chat/"

    static func deployment(env: [(String, String)]) -> String {
        var text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels: {app: web}
            spec:
              replicas: 1
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    command: ["/bin/web"]
                    env:

            """
        for (name, value) in env { text += "        - {name: \(name), value: \"\(value)\"}\n" }
        return text
    }

    /// A directory holding `web.yaml`; removed by the caller.
    static func manifest(_ text: String) throws -> (directory: String, file: String) {
        let directory = TestFiles.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let file = directory + "/web.yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (directory, file)
    }

    static func kctl(_ d: TestDaemon, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async -> CommandResult {
        let result = await KctlCommand.capture(args + ["--server", d.url])
        #expect(result.exitCode == 0, "kctl \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    static func env(_ d: TestDaemon) async throws -> [String: String] {
        let web = try await d.client.get(.deployment, namespace: "default", name: "web")
        let entries = web.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
        var env: [String: String] = [:]
        for entry in entries {
            if let name = entry["name"]?.stringValue { env[name] = entry["value"]?.stringValue ?? "" }
        }
        return env
    }

    static func envNames(_ d: TestDaemon) async throws -> [String] {
        let web = try await d.client.get(.deployment, namespace: "default", name: "web")
        let entries = web.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue ?? []
        return entries.compactMap { $0["name"]?.stringValue }
    }

    @Test func envAddedBySetEnvSurvivesReapply() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (directory, file) = try Self.manifest(Self.deployment(env: [("A", "1"), ("B", "2")]))
        defer { try? FileManager.default.removeItem(atPath: directory) }

        #expect(await Self.kctl(d, ["apply", "-f", file]).stdout == "deployment.apps/web created\n")
        #expect(await Self.kctl(d, ["apply", "-f", file]).stdout == "deployment.apps/web unchanged\n")
        _ = await Self.kctl(d, ["set", "env", "deployment/web", "EXTRA=kept"])

        // kubectl too reports `configured` here: the manifest's env order is sent again
        // (`$setElementOrder/env`), since the live list has an entry more; nothing else changes.
        #expect(await Self.kctl(d, ["apply", "-f", file]).stdout == "deployment.apps/web configured\n")
        #expect(try await Self.envNames(d) == ["A", "B", "EXTRA"])
        #expect(try await Self.env(d) == ["A": "1", "B": "2", "EXTRA": "kept"])
    }

    @Test func envEntryDroppedFromTheManifestGoesOthersStay() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (directory, file) = try Self.manifest(Self.deployment(env: [("A", "1"), ("B", "2"), ("C", "3")]))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = await Self.kctl(d, ["apply", "-f", file])
        _ = await Self.kctl(d, ["set", "env", "deployment/web", "EXTRA=kept"])

        try Self.deployment(env: [("A", "1"), ("C", "30")]).write(toFile: file, atomically: true, encoding: .utf8)
        #expect(await Self.kctl(d, ["apply", "-f", file]).stdout == "deployment.apps/web configured\n")
        #expect(try await Self.envNames(d) == ["A", "C", "EXTRA"])
        #expect(try await Self.env(d) == ["A": "1", "C": "30", "EXTRA": "kept"])

        // The annotation follows the manifest: B stays gone, and a further apply deletes nothing more.
        let web = try await d.client.get(.deployment, namespace: "default", name: "web")
        let annotation = try #require(web.annotations[ApplyPlan.lastAppliedAnnotation])
        #expect(!annotation.contains("\"B\""))
        _ = await Self.kctl(d, ["apply", "-f", file])
        #expect(try await Self.env(d) == ["A": "1", "C": "30", "EXTRA": "kept"])
    }

    @Test func dryRunsSendThePatchButStoreNothing() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (directory, file) = try Self.manifest(Self.deployment(env: [("A", "1")]))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = await Self.kctl(d, ["apply", "-f", file])
        _ = await Self.kctl(d, ["set", "env", "deployment/web", "EXTRA=kept"])
        let before = try await d.client.get(.deployment, namespace: "default", name: "web")

        try Self.deployment(env: [("A", "2")]).write(toFile: file, atomically: true, encoding: .utf8)
        let server = await Self.kctl(d, ["apply", "--dry-run=server", "-f", file])
        #expect(server.stdout.hasPrefix("deployment.apps/web configured (server dry run)\n"), "\(server.stdout)")
        let client = await Self.kctl(d, ["apply", "--dry-run=client", "-f", file])
        #expect(client.stdout == "deployment.apps/web configured (dry run)\n")
        let after = try await d.client.get(.deployment, namespace: "default", name: "web")
        #expect(after.resourceVersion == before.resourceVersion)
        #expect(try await Self.env(d) == ["A": "1", "EXTRA": "kept"])
    }

    // MARK: kctl and kubectl

    /// The chat scenario applied by one tool is unchanged for the other. The Secret is the
    /// exception on kubectl's side, as against Kubernetes itself: its `stringData` is never
    /// read back, so kubectl's diff always finds it missing.
    @Test(.requiresKubectl) func kubectlFindsKctlsApplyUnchangedAndTheReverse() async throws {
        try await withKubectl { k in
            let objects = KubectlApplyTests.chatObjects
            let created = await Self.kctl(k.daemon, ["apply", "-f", Self.chat])
            #expect(Set(created.stdout.split(separator: "\n").map(String.init)) == Set(objects.map { "\($0) created" }))
            let byKubectl = try await k.ok(["apply", "-f", Self.chat])
            let expected = objects.map { $0 == "secret/chat-api-token" ? "\($0) configured" : "\($0) unchanged" }
            #expect(byKubectl.lines == expected, "\(byKubectl)")
            // kubectl's last-applied for the Secret is what kctl wrote: kctl still finds everything unchanged.
            let byKctl = await Self.kctl(k.daemon, ["apply", "-f", Self.chat])
            #expect(Set(byKctl.stdout.split(separator: "\n").map(String.init)) == Set(objects.map { "\($0) unchanged" }), "\(byKctl.stdout)")
        }
        try await withKubectl { k in
            try await k.ok(["apply", "-f", Self.chat])
            let byKctl = await Self.kctl(k.daemon, ["apply", "-f", Self.chat])
            #expect(Set(byKctl.stdout.split(separator: "\n").map(String.init)) == Set(KubectlApplyTests.chatObjects.map { "\($0) unchanged" }), "\(byKctl.stdout)")
        }
    }

    /// After others' changes and manifest edits, both tools print the same and leave the same object.
    @Test(.requiresKubectl) func kctlAndKubectlPatchAlike() async throws {
        try await withKubectl { k in
            let d = k.daemon
            let (directory, file) = try Self.manifest(Self.deployment(env: [("A", "1"), ("B", "2")]))
            defer { try? FileManager.default.removeItem(atPath: directory) }
            _ = await Self.kctl(d, ["apply", "-f", file])
            _ = await Self.kctl(d, ["set", "env", "deployment/web", "EXTRA=kept"])

            // The same manifest again: both send only the env order.
            let kubectlLine = try await k.ok(["apply", "-f", file]).lines
            let kctlLine = await Self.kctl(d, ["apply", "-f", file]).stdout
            #expect(kubectlLine == ["deployment.apps/web configured"])
            #expect(kctlLine == "deployment.apps/web configured\n")
            #expect(try await Self.env(d) == ["A": "1", "B": "2", "EXTRA": "kept"])

            // B dropped by kubectl's apply, then the same manifest by kctl: B stays gone, EXTRA stays.
            try Self.deployment(env: [("A", "1")]).write(toFile: file, atomically: true, encoding: .utf8)
            try await k.ok(["apply", "-f", file])
            #expect(try await Self.env(d) == ["A": "1", "EXTRA": "kept"])
            _ = await Self.kctl(d, ["apply", "-f", file])
            #expect(try await Self.env(d) == ["A": "1", "EXTRA": "kept"])

            // A dropped by kctl's apply: kubectl's next apply keeps it dropped.
            try Self.deployment(env: [("C", "3")]).write(toFile: file, atomically: true, encoding: .utf8)
            _ = await Self.kctl(d, ["apply", "-f", file])
            #expect(try await Self.env(d) == ["C": "3", "EXTRA": "kept"])
            try await k.ok(["apply", "-f", file])
            #expect(try await Self.env(d) == ["C": "3", "EXTRA": "kept"])
            #expect(try await Self.envNames(d) == ["C", "EXTRA"])
        }
    }

    /// A Deployment whose strategy the server completes: kubectl sends `$retainKeys` on every
    /// apply and so reports `configured`; kctl does the same.
    @Test(.requiresKubectl) func serverCompletedStrategyAgrees() async throws {
        try await withKubectl { k in
            let file = TestFiles.repoRoot + "/Manifests/rollout/echo.yaml"
            _ = await Self.kctl(k.daemon, ["apply", "-f", file])
            let byKubectl = try await k.ok(["apply", "-f", file]).lines
            let byKctl = await Self.kctl(k.daemon, ["apply", "-f", file]).stdout.split(separator: "\n").map(String.init)
            #expect(byKctl == byKubectl)
        }
    }
}

