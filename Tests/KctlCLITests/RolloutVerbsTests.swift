import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlCLI

/// kctl scale, rollout status|history|undo|pause|resume|restart and set env: their rules as pure
/// functions, and the commands against a real kctld.
@Suite struct RolloutVerbsTests {
    static func deployment(
        _ name: String = "web", replicas: Int64 = 4, generation: Int64 = 1, status: JSONValue? = nil,
        annotations: [String: String] = [:]
    ) -> KubeObject {
        var object = KubeObject([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": "default", "uid": "uid-web", "generation": .int(generation)],
            "spec": [
                "replicas": .int(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": template(version: "1", name: name),
            ],
        ])
        object.annotations = annotations
        if let status { object.status = status }
        return object
    }

    static func template(version: String, name: String = "web", hash: String? = nil) -> JSONValue {
        var labels: [String: JSONValue] = ["app": .string(name)]
        if let hash { labels["pod-template-hash"] = .string(hash) }
        return [
            "metadata": ["labels": .object(labels)],
            "spec": [
                "containers": [
                    [
                        "name": "main", "image": "none", "command": ["sleep", "100"],
                        "env": [["name": "VERSION", "value": .string(version)]],
                    ]
                ]
            ],
        ]
    }

    static func replicaSet(revision: Int64, version: String, owner: String = "uid-web", cause: String? = nil) -> KubeObject {
        var annotations = [DeploymentRollout.revisionAnnotation: String(revision)]
        if let cause { annotations[DeploymentRollout.changeCauseAnnotation] = cause }
        var object = KubeObject([
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": [
                "name": .string("web-h\(revision)"), "namespace": "default",
                "ownerReferences": [
                    ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": .string(owner), "controller": true]
                ],
            ],
            "spec": [
                "replicas": 0, "selector": ["matchLabels": ["app": "web"]],
                "template": template(version: version, hash: "h\(revision)"),
            ],
        ])
        object.annotations = annotations
        return object
    }

    // MARK: rollout status rules

    @Test func statusLinesFollowKubectlsRules() throws {
        func line(_ status: JSONValue, generation: Int64 = 1) throws -> String {
            try DeploymentRollout.status(of: Self.deployment(generation: generation, status: status)).line
        }
        #expect(try line(["observedGeneration": 1], generation: 2) == "Waiting for deployment spec update to be observed...")
        #expect(
            try line(["observedGeneration": 1, "replicas": 5, "updatedReplicas": 1, "availableReplicas": 4])
                == #"Waiting for deployment "web" rollout to finish: 1 out of 4 new replicas have been updated..."#)
        #expect(
            try line(["observedGeneration": 1, "replicas": 5, "updatedReplicas": 4, "availableReplicas": 3])
                == #"Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination..."#)
        #expect(
            try line(["observedGeneration": 1, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 2])
                == #"Waiting for deployment "web" rollout to finish: 2 of 4 updated replicas are available..."#)
        let done = try DeploymentRollout.status(
            of: Self.deployment(status: ["observedGeneration": 1, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 4]))
        #expect(done == (#"deployment "web" successfully rolled out"#, true))

        let stalled: JSONValue = [
            "observedGeneration": 1, "replicas": 5, "updatedReplicas": 1,
            "conditions": [["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"]],
        ]
        #expect(throws: CLIError(#"deployment "web" exceeded its progress deadline"#)) {
            try DeploymentRollout.status(of: Self.deployment(status: stalled))
        }
        // The deadline only counts once the controller has seen the latest spec.
        #expect(try line(stalled, generation: 2) == "Waiting for deployment spec update to be observed...")

        let atTwo = Self.deployment(
            status: ["observedGeneration": 1], annotations: [DeploymentRollout.revisionAnnotation: "2"])
        #expect(throws: CLIError("desired revision (3) is different from the running revision (2)")) {
            try DeploymentRollout.status(of: atTwo, revision: 3)
        }
    }

    // MARK: history and undo rules

    @Test func historyKeepsOnlyControlledReplicaSetsWithRevisions() {
        var unnumbered = Self.replicaSet(revision: 9, version: "9")
        unnumbered.annotations = [:]
        let sets = [
            Self.replicaSet(revision: 2, version: "2", cause: "set VERSION=2"), Self.replicaSet(revision: 1, version: "1"),
            Self.replicaSet(revision: 5, version: "x", owner: "someone-else"), unnumbered,
        ]
        let revisions = DeploymentRollout.revisions(of: Self.deployment(), replicaSets: sets)
        #expect(revisions.keys.sorted() == [1, 2])
        #expect(DeploymentRollout.historyTable(revisions) == ["REVISION  CHANGE-CAUSE", "1         <none>", "2         set VERSION=2"])
        #expect(DeploymentRollout.historyTable([:]) == ["No rollout history found."])
        let template = DeploymentRollout.template(of: sets[0])
        #expect(template.value(atPath: "metadata.annotations")?[DeploymentRollout.changeCauseAnnotation]?.stringValue == "set VERSION=2")
        let text = DeploymentRollout.describeTemplate(template)
        #expect(text.contains("Pod Template:\n  Labels:"))
        #expect(text.contains("    Environment:\n      VERSION:  2\n"))
    }

    @Test func undoTakesThePreviousOrTheGivenRevision() throws {
        var deployment = Self.deployment(annotations: [
            DeploymentRollout.revisionAnnotation: "3", "team": "a", "kubectl.kubernetes.io/last-applied-configuration": "{}",
        ])
        deployment.spec?["template"] = Self.template(version: "3")
        let sets = [
            Self.replicaSet(revision: 1, version: "1", cause: "first"), Self.replicaSet(revision: 2, version: "2"),
            Self.replicaSet(revision: 3, version: "3"),
        ]
        guard case .patch(let previous) = try DeploymentRollout.undo(deployment, replicaSets: sets, toRevision: 0) else {
            Issue.record("expected a patch")
            return
        }
        // The template of revision 2, without the ReplicaSet's pod-template-hash label.
        #expect(previous.arrayValue?[0] == ["op": "replace", "path": "/spec/template", "value": Self.template(version: "2")])
        // The Deployment keeps its revision and last-applied annotations; the others come from the ReplicaSet.
        #expect(
            previous.arrayValue?[1]["value"]
                == [DeploymentRollout.revisionAnnotation: "3", "kubectl.kubernetes.io/last-applied-configuration": "{}"])

        guard case .patch(let first) = try DeploymentRollout.undo(deployment, replicaSets: sets, toRevision: 1) else {
            Issue.record("expected a patch")
            return
        }
        #expect(first.arrayValue?[0]["value"] == Self.template(version: "1"))
        #expect(first.arrayValue?[1]["value"]?[DeploymentRollout.changeCauseAnnotation]?.stringValue == "first")

        #expect(try DeploymentRollout.undo(deployment, replicaSets: sets, toRevision: 3) == .skip(revision: 3))
        #expect(throws: CLIError("unable to find specified revision 7 in history")) {
            try DeploymentRollout.undo(deployment, replicaSets: sets, toRevision: 7)
        }
        #expect(throws: CLIError(#"no rollout history found for deployment "web""#)) {
            try DeploymentRollout.undo(deployment, replicaSets: [sets[2]], toRevision: 0)
        }
        var paused = deployment
        paused.spec?["paused"] = true
        #expect(throws: CLIError.self) { try DeploymentRollout.undo(paused, replicaSets: sets, toRevision: 1) }
    }

    // MARK: set env rules

    @Test func envChangesSetReplaceAndRemove() throws {
        #expect(try EnvChange.parse("A=b=c") == .set("A", "b=c"))
        #expect(try EnvChange.parse("A=") == .set("A", ""))
        #expect(try EnvChange.parse("OLD-") == .remove("OLD"))
        #expect(throws: CLIError.self) { try EnvChange.parse("NOVALUE") }
        #expect(throws: CLIError.self) { try EnvChange.parse("1X=2") }
        #expect(throws: CLIError.self) { try EnvChange.parse("=2") }

        var template = Self.template(version: "1")
        let changed = try EnvChange.apply(
            [.set("VERSION", "2"), .set("NEW", "x"), .remove("GONE")], toTemplate: &template, container: "*")
        #expect(changed)
        #expect(template.value(atPath: "spec.containers")?.arrayValue?.first?["env"] == [["name": "VERSION", "value": "2"], ["name": "NEW", "value": "x"]])
        #expect(try !EnvChange.apply([.set("VERSION", "2")], toTemplate: &template, container: nil))
        #expect(try EnvChange.apply([.remove("VERSION"), .remove("NEW")], toTemplate: &template, container: "main"))
        #expect(template.value(atPath: "spec.containers")?.arrayValue?.first?["env"] == nil)
        #expect(throws: CLIError("unable to find container named sidecar")) {
            try EnvChange.apply([.set("A", "1")], toTemplate: &template, container: "sidecar")
        }
    }

    // MARK: rollout status against a daemon

    /// Runs a command in process, with its output readable while it runs.
    static func start(_ arguments: [String]) -> (output: OutputBuffer, exit: Task<Int32, Never>) {
        let buffer = OutputBuffer()
        let task = Task { await CommandIO.$current.withValue(buffer.io()) { await KctlCommand.run(arguments: arguments) } }
        return (buffer, task)
    }

    static func writeStatus(_ client: KubeClient, _ status: JSONValue) async throws {
        _ = try await client.patch(.deployment, namespace: "default", name: "web", patch: ["status": status], subresource: "status")
    }

    @Test func statusFollowsTheRolloutToCompletion() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        var manifest = Self.deployment()
        manifest.metadata = ["name": "web"]
        _ = try await c.create(manifest, as: .deployment, namespace: "default")

        let (output, exit) = Self.start(["rollout", "status", "deploy/web", "--timeout", "30s", "--server", d.url])
        let prefix = #"Waiting for deployment "web" rollout to finish: "#
        var expected = ["Waiting for deployment spec update to be observed..."]
        let steps: [(JSONValue, String)] = [
            (["observedGeneration": 1, "replicas": 5, "updatedReplicas": 1, "availableReplicas": 4],
             prefix + "1 out of 4 new replicas have been updated..."),
            (["observedGeneration": 1, "replicas": 5, "updatedReplicas": 4, "availableReplicas": 3],
             prefix + "1 old replicas are pending termination..."),
            (["observedGeneration": 1, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 2],
             prefix + "2 of 4 updated replicas are available..."),
            (["observedGeneration": 1, "replicas": 4, "updatedReplicas": 4, "availableReplicas": 4],
             #"deployment "web" successfully rolled out"#),
        ]
        for (status, line) in steps {
            // Each state is written only once the command has reported the one before.
            let lines = expected
            try await eventually(seconds: 20, "kctl printed \(lines.last!)") { output.stdout == lines.joined(separator: "\n") + "\n" }
            try await Self.writeStatus(c, status)
            expected.append(line)
        }
        #expect(await exit.value == 0)
        #expect(output.stdout == expected.joined(separator: "\n") + "\n")
        #expect(output.stderr.isEmpty)

        // Complete already: one line, at once.
        let again = await KctlCommand.capture(["rollout", "status", "deployment", "web", "--server", d.url])
        #expect(again.exitCode == 0 && again.stdout == "deployment \"web\" successfully rolled out\n", "\(again)")
    }

    @Test func statusFailsOnDeadlineTimeoutAndMissingDeployment() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        var manifest = Self.deployment()
        manifest.metadata = ["name": "web"]
        _ = try await c.create(manifest, as: .deployment, namespace: "default")
        try await Self.writeStatus(c, ["observedGeneration": 1, "replicas": 4, "updatedReplicas": 1, "availableReplicas": 3])
        let waiting = #"Waiting for deployment "web" rollout to finish: 1 out of 4 new replicas have been updated..."#

        // -w=false: the current state once, exit 0 even though not complete.
        let once = await KctlCommand.capture(["rollout", "status", "deploy/web", "-w=false", "--server", d.url])
        #expect(once.exitCode == 0 && once.stdout == waiting + "\n", "\(once)")

        // Long enough for the first read on a loaded machine (at 300 ms it came too late once,
        // beside a build), short enough to keep the test quick: the rollout never completes.
        let timedOut = await KctlCommand.capture(["rollout", "status", "deploy/web", "--timeout", "2s", "--server", d.url])
        #expect(timedOut.exitCode == 1)
        #expect(timedOut.stdout == waiting + "\n")
        #expect(timedOut.stderr == "error: timed out waiting for the condition\n")

        // The deadline passing while the command watches.
        let (output, exit) = Self.start(["rollout", "status", "deploy/web", "--timeout", "30s", "--server", d.url])
        try await eventually(seconds: 20, "the first line") { output.stdout == waiting + "\n" }
        try await Self.writeStatus(c, [
            "observedGeneration": 1, "replicas": 4, "updatedReplicas": 1, "availableReplicas": 3,
            "conditions": [["type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"]],
        ])
        #expect(await exit.value == 1)
        #expect(output.stderr == "error: deployment \"web\" exceeded its progress deadline\n")

        let missing = await KctlCommand.capture(["rollout", "status", "deploy/nope", "--server", d.url])
        #expect(missing.exitCode == 1)
        #expect(missing.stderr == "Error from server (NotFound): deployments.apps \"nope\" not found\n")
        let pods = await KctlCommand.capture(["rollout", "status", "pod/web", "--server", d.url])
        #expect(pods.exitCode == 1 && pods.stderr.hasPrefix("error: "))
    }

    // MARK: the verbs against a daemon with its controllers

    @Test func scaleSetEnvHistoryUndoPauseResumeRestart() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 3)
        defer { Task { await d.stop() } }
        let c = d.client
        @Sendable func kctl(_ arguments: [String]) async -> CommandResult {
            await KctlCommand.capture(arguments + ["--server", d.url])
        }
        @Sendable func deployment() async throws -> KubeObject { try await c.get(.deployment, namespace: "default", name: "web") }
        @Sendable func version() async throws -> String? {
            try await deployment().spec?.value(atPath: "template.spec.containers")?.arrayValue?.first?["env"]?.arrayValue?.first?["value"]?.stringValue
        }
        var manifest = Self.deployment(replicas: 2)
        manifest.metadata = ["name": "web"]
        _ = try await c.create(manifest, as: .deployment, namespace: "default")

        // scale
        let scaled = await kctl(["scale", "deploy/web", "--replicas", "3"])
        #expect(scaled.exitCode == 0 && scaled.stdout == "deployment.apps/web scaled\n", "\(scaled)")
        #expect(try await deployment().spec?["replicas"]?.intValue == 3)
        let precondition = await kctl(["scale", "deployment", "web", "--replicas", "1", "--current-replicas", "2"])
        #expect(precondition.exitCode == 1 && precondition.stderr == "error: Expected replicas to be 2, was 3\n")
        #expect(try await deployment().spec?["replicas"]?.intValue == 3)
        #expect(await kctl(["scale", "deploy/web", "--replicas", "2", "--current-replicas", "3"]).exitCode == 0)
        #expect(try await deployment().spec?["replicas"]?.intValue == 2)
        let noCount = await kctl(["scale", "deploy/web"])
        #expect(noCount.exitCode == 1 && noCount.stderr.contains("--replicas=COUNT"))

        // set env makes revision 2 next to revision 1.
        let env = await kctl(["set", "env", "deploy/web", "VERSION=2", "EXTRA=x"])
        #expect(env.exitCode == 0 && env.stdout == "deployment.apps/web env updated\n", "\(env)")
        #expect(try await version() == "2")
        try await eventually(seconds: 20, "two revisions") {
            await kctl(["rollout", "history", "deploy/web"]).stdout
                == "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n"
        }
        let one = await kctl(["rollout", "history", "deploy/web", "--revision", "1"])
        #expect(one.stdout.hasPrefix("deployment.apps/web with revision #1\nPod Template:\n"))
        #expect(one.stdout.contains("VERSION:  1"))

        // undo: unknown revision changes nothing; the previous one restores the template.
        let unknown = await kctl(["rollout", "undo", "deploy/web", "--to-revision", "9"])
        #expect(unknown.exitCode == 1 && unknown.stderr == "error: unable to find specified revision 9 in history\n")
        #expect(try await version() == "2")
        let undo = await kctl(["rollout", "undo", "deploy/web"])
        #expect(undo.exitCode == 0 && undo.stdout == "deployment.apps/web rolled back\n", "\(undo)")
        #expect(try await version() == "1")
        #expect(try await deployment().spec?.value(atPath: "template.metadata.labels")?["pod-template-hash"] == nil)

        // pause / resume / restart
        #expect(await kctl(["rollout", "pause", "deploy/web"]).stdout == "deployment.apps/web paused\n")
        #expect(try await deployment().spec?["paused"]?.boolValue == true)
        let again = await kctl(["rollout", "pause", "deploy/web"])
        #expect(again.exitCode == 1 && again.stderr == "error: deployments.apps \"web\" is already paused\n")
        let restartPaused = await kctl(["rollout", "restart", "deploy/web"])
        #expect(restartPaused.exitCode == 1)
        #expect(restartPaused.stderr == "error: deployments.apps \"web\" can't restart paused deployment (run rollout resume first)\n")
        #expect(await kctl(["rollout", "undo", "deploy/web"]).exitCode == 1)
        #expect(await kctl(["rollout", "resume", "deploy/web"]).stdout == "deployment.apps/web resumed\n")
        #expect(try await deployment().spec?["paused"]?.boolValue != true)
        let resumeAgain = await kctl(["rollout", "resume", "deploy/web"])
        #expect(resumeAgain.exitCode == 1 && resumeAgain.stderr == "error: deployments.apps \"web\" is not paused\n")
        let restart = await kctl(["rollout", "restart", "deploy/web"])
        #expect(restart.exitCode == 0 && restart.stdout == "deployment.apps/web restarted\n", "\(restart)")
        let stamp = try await deployment().spec?.value(atPath: "template.metadata.annotations")?[DeploymentRollout.restartedAtAnnotation]?.stringValue
        #expect(stamp.flatMap(Timestamp.parse) != nil)

        // set env on one container only, and removal.
        let wrong = await kctl(["set", "env", "deploy/web", "A=1", "-c", "sidecar"])
        #expect(wrong.exitCode == 1 && wrong.stderr == "error: unable to find container named sidecar\n")
        #expect(await kctl(["set", "env", "deploy/web", "VERSION-", "-c", "main"]).exitCode == 0)
        #expect(try await deployment().spec?.value(atPath: "template.spec.containers")?.arrayValue?.first?["env"]?.arrayValue?.contains {
            $0["name"]?.stringValue == "VERSION"
        } != true)
    }
}
