import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl rollout status|history|undo|pause|resume|restart deploy/NAME`, as kubectl's.
    struct Rollout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manage the rollout of a Deployment.",
            subcommands: [Status.self, History.self, Undo.self, Pause.self, Resume.self, Restart.self])
    }
}

/// The rules of kubectl's rollout verbs for Deployments, as pure functions of the objects.
enum DeploymentRollout {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let changeCauseAnnotation = "kubernetes.io/change-cause"
    static let restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"
    /// Annotations a rollback keeps from the Deployment rather than taking from the ReplicaSet.
    static let annotationsKeptOnUndo: Set<String> = [
        "kubectl.kubernetes.io/last-applied-configuration", revisionAnnotation,
        "deployment.kubernetes.io/revision-history", "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas", "deprecated.deployment.rollback.to",
    ]

    /// One line of `rollout status` and whether the rollout is complete. Until the controller has
    /// seen the latest spec (observedGeneration), nothing else in the status is about it.
    /// - Throws: when the rollout exceeded its progress deadline, or runs another revision than `revision`.
    static func status(of deployment: KubeObject, revision: Int64 = 0) throws -> (line: String, done: Bool) {
        let name = deployment.name
        if revision > 0 {
            let running = Int64(deployment.annotations[revisionAnnotation] ?? "") ?? 0
            if running != revision {
                throw CLIError("desired revision (\(revision)) is different from the running revision (\(running))")
            }
        }
        let status = deployment.status
        func count(_ key: String) -> Int64 { status?[key]?.intValue ?? 0 }
        guard (deployment.generation ?? 0) <= count("observedGeneration") else {
            return ("Waiting for deployment spec update to be observed...", false)
        }
        let progressing = status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Progressing" }
        if progressing?["reason"]?.stringValue == "ProgressDeadlineExceeded" {
            throw CLIError("deployment \"\(name)\" exceeded its progress deadline")
        }
        let updated = count("updatedReplicas")
        let replicas = count("replicas")
        let available = count("availableReplicas")
        let prefix = "Waiting for deployment \"\(name)\" rollout to finish: "
        if let desired = deployment.spec?["replicas"]?.intValue, updated < desired {
            return (prefix + "\(updated) out of \(desired) new replicas have been updated...", false)
        }
        if replicas > updated {
            return (prefix + "\(replicas - updated) old replicas are pending termination...", false)
        }
        if available < updated {
            return (prefix + "\(available) of \(updated) updated replicas are available...", false)
        }
        return ("deployment \"\(name)\" successfully rolled out", true)
    }

    /// The Deployment's ReplicaSets by revision: those it controls (by uid) with a revision annotation.
    static func revisions(of deployment: KubeObject, replicaSets: [KubeObject]) -> [Int64: KubeObject] {
        var out: [Int64: KubeObject] = [:]
        for rs in replicaSets where isControlled(rs, by: deployment) {
            guard let revision = Int64(rs.annotations[revisionAnnotation] ?? "") else { continue }
            out[revision] = rs
        }
        return out
    }

    static func isControlled(_ object: KubeObject, by owner: KubeObject) -> Bool {
        object.ownerReferences.contains {
            $0["controller"]?.boolValue == true && $0["uid"]?.stringValue == owner.uid && owner.uid != nil
        }
    }

    /// `REVISION  CHANGE-CAUSE` rows, oldest first; "No rollout history found." when there is none.
    static func historyTable(_ revisions: [Int64: KubeObject]) -> [String] {
        guard !revisions.isEmpty else { return ["No rollout history found."] }
        let rows = revisions.keys.sorted().map { revision -> [String] in
            let cause = revisions[revision]?.annotations[changeCauseAnnotation] ?? ""
            return [String(revision), cause.isEmpty ? "<none>" : cause]
        }
        return Printers.table([["REVISION", "CHANGE-CAUSE"]] + rows, padding: 2)
    }

    /// The pod template of one revision, with its ReplicaSet's change-cause, as kubectl shows it.
    static func template(of replicaSet: KubeObject) -> JSONValue {
        var template = replicaSet.spec?["template"] ?? [:]
        if let cause = replicaSet.annotations[changeCauseAnnotation], !cause.isEmpty {
            var meta = template["metadata"]?.objectValue ?? [:]
            var annotations = meta["annotations"]?.objectValue ?? [:]
            annotations[changeCauseAnnotation] = .string(cause)
            meta["annotations"] = .object(annotations)
            template["metadata"] = .object(meta)
        }
        return template
    }

    /// What `rollout undo` does to a Deployment.
    enum UndoPlan: Equatable {
        /// The template already is that revision's.
        case skip(revision: Int64)
        /// A JSON patch that puts the revision's template and annotations on the Deployment.
        case patch(JSONValue)
    }

    /// Rolls back to `toRevision`, or (0) to the revision before the newest, as kubectl does:
    /// the ReplicaSet's template without its `pod-template-hash` label becomes the Deployment's.
    static func undo(_ deployment: KubeObject, replicaSets: [KubeObject], toRevision: Int64) throws -> UndoPlan {
        if deployment.spec?["paused"]?.boolValue == true {
            throw CLIError(
                "you cannot rollback a paused deployment; resume it first with 'kctl rollout resume deployment/\(deployment.name)' and try again")
        }
        let byRevision = revisions(of: deployment, replicaSets: replicaSets)
        let chosen: (Int64, KubeObject)
        if toRevision > 0 {
            guard let rs = byRevision[toRevision] else {
                throw CLIError("unable to find specified revision \(toRevision) in history")
            }
            chosen = (toRevision, rs)
        } else {
            let sorted = byRevision.keys.sorted(by: >)
            guard sorted.count >= 2, let rs = byRevision[sorted[1]] else {
                throw CLIError("no rollout history found for deployment \"\(deployment.name)\"")
            }
            chosen = (sorted[1], rs)
        }
        var template = chosen.1.spec?["template"] ?? [:]
        if var meta = template["metadata"]?.objectValue, var labels = meta["labels"]?.objectValue {
            labels["pod-template-hash"] = nil
            meta["labels"] = .object(labels)
            template["metadata"] = .object(meta)
        }
        if template == deployment.spec?["template"] { return .skip(revision: chosen.0) }
        var annotations: [String: JSONValue] = [:]
        for (key, value) in deployment.annotations where annotationsKeptOnUndo.contains(key) {
            annotations[key] = .string(value)
        }
        for (key, value) in chosen.1.annotations where !annotationsKeptOnUndo.contains(key) {
            annotations[key] = .string(value)
        }
        // "add" replaces an existing member and also works where the Deployment has no annotations.
        return .patch([
            ["op": "replace", "path": "/spec/template", "value": template],
            ["op": "add", "path": "/metadata/annotations", "value": .object(annotations)],
        ])
    }

    /// `Pod Template:` as `rollout history --revision` prints it.
    static func describeTemplate(_ template: JSONValue) -> String {
        var w = DescribeWriter()
        w.text("Pod Template:")
        let labels = (template.value(atPath: "metadata.labels")?.objectValue ?? [:]).compactMapValues(\.stringValue)
        w.pair("Labels", values: Describer.labelLines(labels), indent: 2)
        let annotations = (template.value(atPath: "metadata.annotations")?.objectValue ?? [:]).compactMapValues(\.stringValue)
        if !annotations.isEmpty { w.pair("Annotations", values: Describer.annotationLines(annotations), indent: 2) }
        w.text("Containers:", indent: 2)
        for container in template.value(atPath: "spec.containers")?.arrayValue ?? [] {
            w.text("\(container["name"]?.stringValue ?? ""):", indent: 3)
            if let image = container["image"]?.stringValue { w.pair("Image", image, indent: 4) }
            // One word, and one variable, a line, as kubectl's describe prints them.
            for key in ["command", "args"] {
                let words = (container[key]?.arrayValue ?? []).compactMap(\.stringValue)
                guard !words.isEmpty else { continue }
                w.text(key == "command" ? "Command:" : "Args:", indent: 4)
                for word in words { w.text(word, indent: 6) }
            }
            let env = container["env"]?.arrayValue ?? []
            if env.isEmpty { w.pair("Environment", "<none>", indent: 4) } else { w.text("Environment:", indent: 4) }
            for entry in env {
                let value = entry["value"]?.stringValue ?? "<set from a reference>"
                w.pair(entry["name"]?.stringValue ?? "", value, indent: 6)
            }
        }
        return w.render()
    }
}

extension KctlCommand.Rollout {
    /// The Deployment one rollout verb acts on (other kinds are refused as kubectl refuses kinds it has no viewer for).
    static func deploymentName(_ resources: [String], verb: String) throws -> String {
        let refs = try ObjectRefs.parse(resources, emptyMessage: "required resource not specified")
        guard refs.count == 1, let ref = refs.first else { throw CLIError("rollout \(verb) takes exactly one deployment") }
        guard ref.type == .deployment else { throw CLIError("rollout \(verb) is not supported for \(ref.type.groupResource)") }
        return ref.name
    }

    /// `rollout status`: follows the Deployment with a watch, printing a line per change.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Watch a rollout until it completes.",
            discussion: "Exits 0 once complete; 1 when it exceeds its progress deadline or --timeout passes.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        @Option(help: "Give up after this long (e.g. 90s, 5m; 0: wait forever).")
        var timeout: String = "0s"

        @Option(name: [.customShort("w"), .long], help: "Watch until the rollout completes (false: print once).")
        var watch: Bool = true

        @Option(help: "Require this revision to be the one rolling out (0: any).")
        var revision: Int64 = 0

        func validate() throws {
            guard DrainTimeout.parse(timeout) != nil else { throw ValidationError("invalid --timeout \"\(timeout)\"") }
        }

        func run() async throws {
            let name = try KctlCommand.Rollout.deploymentName(resources, verb: "status")
            let limit = DrainTimeout.parse(timeout) ?? .zero
            let namespace = global.effectiveNamespace
            let (watch, revision) = (watch, revision)
            try await global.withClient { client in
                let follow: @Sendable () async throws -> Void = {
                    try await Self.follow(client, namespace: namespace, name: name, watch: watch, revision: revision)
                }
                if limit == .zero { return try await follow() }
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await follow()
                        return true
                    }
                    group.addTask {
                        try await Task.sleep(for: limit)
                        return false
                    }
                    let finished = try await group.next() ?? false
                    group.cancelAll()
                    if !finished { throw CLIError("timed out waiting for the condition") }
                }
            }
        }

        /// Prints the status of the Deployment as read, then of every change the watch reports,
        /// until it is complete (or once, without `watch`). A watch the server ends is resumed
        /// from the last version seen; one that expired starts again from a fresh read.
        static func follow(
            _ client: KubeClient, namespace: String, name: String, watch: Bool, revision: Int64
        ) async throws {
            let io = CommandIO.current
            func report(_ deployment: KubeObject) throws -> Bool {
                let (line, done) = try DeploymentRollout.status(of: deployment, revision: revision)
                io.out(line)
                return done || !watch
            }
            var version: String?
            while !Task.isCancelled {
                if version == nil {
                    let deployment = try await client.get(.deployment, namespace: namespace, name: name)
                    if try report(deployment) { return }
                    version = deployment.resourceVersion
                }
                do {
                    let events = client.watch(
                        .deployment, namespace: namespace, resourceVersion: version,
                        fieldSelector: "metadata.name=\(name)")
                    for try await event in events {
                        switch event.type {
                        case "ADDED", "MODIFIED":
                            if try report(event.object) { return }
                        case "DELETED":
                            throw CLIError("object has been deleted")
                        default:
                            break
                        }
                        if let rv = event.object.resourceVersion { version = rv }
                    }
                } catch let error as StatusError where error.code == 410 {
                    version = nil
                }
            }
        }
    }

    /// `rollout history`: the revisions recorded on the Deployment's ReplicaSets.
    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the revisions of a rollout.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        @Option(help: "Show the pod template of this revision.")
        var revision: Int64 = 0

        func run() async throws {
            let name = try KctlCommand.Rollout.deploymentName(resources, verb: "history")
            let namespace = global.effectiveNamespace
            let revision = revision
            let io = CommandIO.current
            try await global.withClient { client in
                let (deployment, replicaSets) = try await DeploymentReads.withReplicaSets(client, namespace, name)
                let revisions = DeploymentRollout.revisions(of: deployment, replicaSets: replicaSets)
                let title = Printers.qualifiedName(.deployment, name)
                if revision > 0 {
                    guard let rs = revisions[revision] else { throw CLIError("unable to find the specified revision") }
                    io.out("\(title) with revision #\(revision)")
                    io.out(DeploymentRollout.describeTemplate(DeploymentRollout.template(of: rs)))
                    return
                }
                io.out(title + " ")   // kubectl's name printer leaves a space for an empty operation
                io.out(lines: DeploymentRollout.historyTable(revisions))
                io.out("")
            }
        }
    }

    /// `rollout undo`: the Deployment takes an earlier revision's template again (client-side, as kubectl).
    struct Undo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Roll back to an earlier revision.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        @Option(name: .customLong("to-revision"), help: "The revision to roll back to (0: the one before the current).")
        var toRevision: Int64 = 0

        func run() async throws {
            let name = try KctlCommand.Rollout.deploymentName(resources, verb: "undo")
            let namespace = global.effectiveNamespace
            let toRevision = toRevision
            let io = CommandIO.current
            try await global.withClient { client in
                let (deployment, replicaSets) = try await DeploymentReads.withReplicaSets(client, namespace, name)
                let title = Printers.qualifiedName(.deployment, name)
                switch try DeploymentRollout.undo(deployment, replicaSets: replicaSets, toRevision: toRevision) {
                case .skip(let revision):
                    io.out("\(title) skipped rollback (current template already matches revision \(revision))")
                case .patch(let patch):
                    try await DeploymentReads.jsonPatch(client, namespace, name, patch)
                    io.out("\(title) rolled back")
                }
            }
        }
    }

    /// `rollout pause`: template changes are recorded but not rolled out until `resume`.
    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a Deployment's rollouts.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        func run() async throws {
            try await DeploymentReads.setPaused(true, resources: resources, global: global)
        }
    }

    /// `rollout resume`: a paused Deployment rolls out its latest template.
    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused Deployment.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        func run() async throws {
            try await DeploymentReads.setPaused(false, resources: resources, global: global)
        }
    }

    /// `rollout restart`: a new template annotation makes every pod be replaced, by the usual rollout.
    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace every pod of a Deployment by a rollout.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "deploy/NAME or deployment NAME.")
        var resources: [String] = []

        func run() async throws {
            let name = try KctlCommand.Rollout.deploymentName(resources, verb: "restart")
            let namespace = global.effectiveNamespace
            let io = CommandIO.current
            try await global.withClient { client in
                let deployment = try await client.get(.deployment, namespace: namespace, name: name)
                if deployment.spec?["paused"]?.boolValue == true {
                    throw CLIError(
                        "\(ResourceType.deployment.groupResource) \"\(name)\" can't restart paused deployment (run rollout resume first)")
                }
                let stamp: JSONValue = [DeploymentRollout.restartedAtAnnotation: .string(Timestamp.now())]
                let patch: JSONValue = ["spec": ["template": ["metadata": ["annotations": stamp]]]]
                _ = try await client.patch(.deployment, namespace: namespace, name: name, patch: patch)
                io.out("\(Printers.qualifiedName(.deployment, name)) restarted")
            }
        }
    }
}

/// The reads and writes the rollout verbs share.
enum DeploymentReads {
    /// A Deployment and the ReplicaSets its selector matches (callers keep those it controls).
    static func withReplicaSets(
        _ client: KubeClient, _ namespace: String, _ name: String
    ) async throws -> (KubeObject, [KubeObject]) {
        let deployment = try await client.get(.deployment, namespace: namespace, name: name)
        let selector = deployment.spec?["selector"].flatMap { try? $0.decode(LabelSelector.self) }
        let list = try await client.list(.replicaSet, namespace: namespace, labelSelector: selector?.stringForm)
        return (deployment, list.items)
    }

    /// A JSON patch (RFC 6902), the kind kubectl's undo sends.
    static func jsonPatch(_ client: KubeClient, _ namespace: String, _ name: String, _ patch: JSONValue) async throws {
        let (status, body) = try await client.raw(
            method: "PATCH", path: ResourceType.deployment.itemPath(namespace: namespace, name: name),
            body: patch.serialized(), contentType: "application/json-patch+json")
        guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: body) }
    }

    static func setPaused(_ paused: Bool, resources: [String], global: GlobalOptions) async throws {
        let verb = paused ? "pause" : "resume"
        let name = try KctlCommand.Rollout.deploymentName(resources, verb: verb)
        let namespace = global.effectiveNamespace
        let io = CommandIO.current
        try await global.withClient { client in
            let deployment = try await client.get(.deployment, namespace: namespace, name: name)
            let isPaused = deployment.spec?["paused"]?.boolValue == true
            if isPaused == paused {
                throw CLIError(
                    "\(ResourceType.deployment.groupResource) \"\(name)\" \(paused ? "is already paused" : "is not paused")")
            }
            _ = try await client.patch(.deployment, namespace: namespace, name: name, patch: ["spec": ["paused": .bool(paused)]])
            io.out("\(Printers.qualifiedName(.deployment, name)) \(paused ? "paused" : "resumed")")
        }
    }
}
