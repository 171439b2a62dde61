import ArgumentParser
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl apply -f FILE|DIR|-`: create or update objects to match manifests.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply manifests: create objects that are missing, update those that differ.",
            discussion: """
                Documents are applied in dependency order (namespaces, secrets and config maps, services, then
                workloads and ingresses), whatever order the files list them in; documents of one kind go up to
                8 at a time, and their lines are printed in file order.
                Each document is compared with the live object: fields the manifest sets are written,
                fields a previous apply set and the manifest no longer sets are removed, the rest is kept.
                A failing document is reported and the others are still applied (exit code 1).
                """)

        @OptionGroup var global: GlobalOptions

        @Option(name: [.customShort("f"), .long], help: "A manifest file, a directory of them, or - for stdin (repeatable).")
        var filename: [String] = []

        @Flag(name: [.customShort("R"), .long], help: "Read the sub-directories of directories given with -f (the default in kctl, so `-f Manifests/` takes every scenario; kept for kubectl habits).")
        var recursive = false

        @Flag(name: .customLong("no-recursive"), help: "Read only the files directly in directories given with -f, as kubectl does without -R.")
        var noRecursive = false

        @Option(
            name: .customLong("dry-run"),
            help: "none: apply. server: send every write with dryRun=All (validated, defaulted, not stored) and preview where Deployment, ReplicaSet and Pod replicas would be placed. client: only validate locally; no write reaches the server.")
        var dryRun: DryRun = .none

        @Flag(name: .customLong("explain-placement"), help: "With --dry-run=server: every replica's chosen node with its scores, and every other node's scores or the filter that rejected it.")
        var explainPlacement = false

        func validate() throws {
            if filename.isEmpty { throw ValidationError("must specify -f FILE|DIR|-") }
            if explainPlacement && dryRun != .server { throw ValidationError("--explain-placement needs --dry-run=server") }
        }

        func run() async throws {
            let io = CommandIO.current
            let docs = try ManifestFiles.documents(paths: filename, recursive: !noRecursive, io: io)
            let ordered = ApplyOrder.forApply(docs, kind: { $0.object?.kind })
            let failed = try await global.withClient { client in
                if dryRun == .server {
                    return try await applyInOrder(ordered, client: client, io: io)
                }
                return try await applyConcurrently(ordered, client: client, io: io)
            }
            if failed { throw AlreadyReported() }
        }

        /// Documents of one kind applied at once at most (a manifest of 1,000 Deployments is
        /// 1,000 round trips; one at a time, the network and the server would sit idle in between).
        static let inFlight = 8

        /// Applies documents kind by kind in install order (every Namespace before anything in it,
        /// and so on), up to `inFlight` at once within a kind, and prints each document's line in
        /// document order as soon as those before it are done. Returns whether any failed.
        private func applyConcurrently(_ docs: [ManifestDocument], client: KubeClient, io: CommandIO) async throws
            -> Bool
        {
            var failed = false
            var start = 0
            while start < docs.count {
                let rank = docs[start].object.map { ApplyOrder.rank(of: $0.kind) } ?? -1
                var end = start + 1
                while end < docs.count, (docs[end].object.map { ApplyOrder.rank(of: $0.kind) } ?? -1) == rank { end += 1 }
                if try await applyGroup(Array(docs[start..<end]), client: client, io: io) { failed = true }
                start = end
            }
            return failed
        }

        /// What applying one document printed, or the error to stop at.
        private enum Outcome: Sendable {
            case line(String)
            case failed(any Error)
            case unreachable(StatusError)
        }

        /// Applies one kind's documents, `inFlight` at a time, printing in document order.
        private func applyGroup(_ docs: [ManifestDocument], client: KubeClient, io: CommandIO) async throws -> Bool {
            // Each document's target, worked out once for the list and for its apply.
            let targets = docs.map { doc in doc.object.map { object in Result { try target(of: object) } } }
            let known = try await LiveObjects.listed(for: targets.compactMap { try? $0?.get() }, client: client)
            return try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
                var failed = false
                var outcomes: [Int: Outcome] = [:]
                var printed = 0
                var next = 0
                func startNext() {
                    guard next < docs.count else { return }
                    let index = next
                    next += 1
                    let doc = docs[index]
                    let target = targets[index]
                    group.addTask {
                        guard let target else { return (index, .failed(CLIError(ManifestFiles.failureLine(doc)))) }
                        do {
                            return (index, .line(try await apply(target: try target.get(), client: client, known: known).line))
                        } catch let error as StatusError where error.isUnreachable {
                            return (index, .unreachable(error))
                        } catch {
                            return (index, .failed(error))
                        }
                    }
                }
                for _ in 0..<Self.inFlight { startNext() }
                while let (index, outcome) = try await group.next() {
                    outcomes[index] = outcome
                    while let ready = outcomes.removeValue(forKey: printed) {
                        let doc = docs[printed]
                        printed += 1
                        switch ready {
                        case .line(let line):
                            io.out(line)
                        case .failed(let error):
                            failed = true
                            if doc.object == nil { io.err(ManifestFiles.failureLine(doc)) } else { report(error, source: doc.source, io: io) }
                        case .unreachable(let error):
                            group.cancelAll()
                            throw error
                        }
                    }
                    startNext()
                }
                return failed
            }
        }

        /// One document at a time, as `--dry-run=server` needs: each placement preview builds on
        /// the ones before it.
        private func applyInOrder(_ docs: [ManifestDocument], client: KubeClient, io: CommandIO) async throws -> Bool {
            var failed = false
            var placements = PlacementSession(client: client, explain: explainPlacement)
            for doc in docs {
                guard let object = doc.object else {
                    io.err(ManifestFiles.failureLine(doc))
                    failed = true
                    continue
                }
                do {
                    let applied = try await apply(object, client: client)
                    io.out(applied.line)
                    io.out(lines: await placements.lines(for: applied))
                } catch let error as StatusError where error.isUnreachable {
                    throw error
                } catch {
                    failed = true
                    report(error, source: doc.source, io: io)
                }
            }
            return failed
        }

        /// The document's resource type, and the document with the namespace it is applied in.
        func target(of document: KubeObject) throws -> (type: ResourceType, manifest: KubeObject) {
            let type = try ManifestFiles.type(of: document)
            var manifest = document
            guard !manifest.name.isEmpty else { throw CLIError("\(type.kind) has no metadata.name") }
            if type.namespaced {
                if let given = global.namespace, let own = manifest.namespace, !own.isEmpty, own != given {
                    throw CLIError(
                        "the namespace from the provided object \"\(own)\" does not match the namespace \"\(given)\". You must pass '--namespace=\(own)' to perform this operation.")
                }
                if (manifest.namespace ?? "").isEmpty { manifest.namespace = global.effectiveNamespace }
            } else {
                manifest.namespace = nil
            }
            return (type, manifest)
        }

        /// Applies one object (or, with `--dry-run`, only pretends to); returns the
        /// `deployment.apps/web configured` line and the object as the server holds it, or would.
        /// `known` holds live objects already listed; anything else is read with a GET.
        func apply(_ document: KubeObject, client: KubeClient, known: LiveObjects = .none) async throws -> Applied {
            try await apply(target: try target(of: document), client: client, known: known)
        }

        /// `apply(_:client:known:)` of a document whose target is worked out.
        private func apply(
            target: (type: ResourceType, manifest: KubeObject), client: KubeClient, known: LiveObjects
        ) async throws -> Applied {
            let (type, manifest) = target
            let label = Printers.qualifiedName(type, manifest.name)
            var attempt = 0
            while true {
                attempt += 1
                let live: KubeObject?
                let listed = attempt == 1 ? known.lookup(type, namespace: manifest.namespace, name: manifest.name) : nil
                if let listed {
                    live = listed
                } else {
                    do {
                        live = try await client.get(type, namespace: manifest.namespace, name: manifest.name)
                    } catch let error as StatusError where error.reason == .notFound {
                        live = nil
                    }
                }
                do {
                    let suffix = dryRun.suffix
                    switch try ApplyPlan.decide(manifest: manifest, live: live) {
                    case .unchanged:
                        return Applied(line: "\(label) unchanged\(suffix)", object: live!, live: live)
                    case .create(let object):
                        let created = try await write(create: object, as: type, client: client)
                        return Applied(line: "\(label) created\(suffix)", object: created, live: nil)
                    case .patch(let patch, let merged):
                        let patched = try await write(patch: patch, merged: merged, live: live!, as: type, client: client)
                        return Applied(line: "\(label) configured\(suffix)", object: patched, live: live)
                    }
                } catch let error as StatusError
                    where attempt < 5
                        && (error.reason == .conflict || error.reason == .alreadyExists
                            || (error.reason == .notFound && listed != nil))
                {
                    continue  // someone else wrote it in between: read it again and redo the merge
                }
            }
        }

        /// Creates `object`; a server dry run sends it with `dryRun=All`, a client dry run only admits it here.
        private func write(create object: KubeObject, as type: ResourceType, client: KubeClient) async throws -> KubeObject {
            switch dryRun {
            case .none: return try await client.create(object, as: type, namespace: object.namespace)
            case .server: return try await Self.dryRunWrite("POST", object, path: type.collectionPath(namespace: object.namespace), client: client)
            case .client: return try Admission.admit(object, as: type)
            }
        }

        /// Sends client-side apply's strategic merge patch, as kubectl does, or pretends to as
        /// `write(create:)` does (a client dry run admits `merged`, the patch's local preview).
        private func write(patch: JSONValue, merged: KubeObject, live: KubeObject, as type: ResourceType, client: KubeClient) async throws -> KubeObject {
            switch dryRun {
            case .none:
                return try await client.patch(type, namespace: live.namespace, name: live.name, patch: patch, as: .strategic)
            case .server:
                let path = type.itemPath(namespace: live.namespace, name: live.name)
                let (status, body) = try await client.raw(
                    method: "PATCH", path: path + "?dryRun=All", body: patch.serialized(),
                    contentType: KubeClient.PatchType.strategic.contentType)
                guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: body) }
                return try KubeObject(data: body)
            case .client:
                let admitted = try Admission.admit(merged, as: type)
                try Admission.validateUpdate(new: admitted, old: live, as: type)
                return admitted
            }
        }

        /// The API server answers a write with `?dryRun=All` with the object it would store, and stores nothing.
        private static func dryRunWrite(_ method: String, _ object: KubeObject, path: String, client: KubeClient) async throws -> KubeObject {
            let (status, body) = try await client.raw(method: method, path: path + "?dryRun=All", body: object.serialized())
            guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: body) }
            return try KubeObject(data: body)
        }

        func report(_ error: any Error, source: String, io: CommandIO) {
            switch error {
            case let status as StatusError:
                io.err("error: \(source): \(status.message)")
                for line in ErrorReport.causeLines(status) { io.err(line) }
            case let local as CLIError:
                io.err("error: \(source): \(local.message)")
            default:
                io.err("error: \(source): \(error)")
            }
        }
    }
}

extension KctlCommand.Apply {
    /// kubectl's `--dry-run` values.
    enum DryRun: String, ExpressibleByArgument, CaseIterable, Sendable {
        case none, client, server

        /// What follows `created` / `configured` / `unchanged`, as kubectl prints it.
        var suffix: String {
            switch self {
            case .none: ""
            case .client: " (dry run)"
            case .server: " (server dry run)"
            }
        }
    }

    /// Live objects read with one list per resource and namespace, for a manifest with many
    /// documents of one kind: a list costs the server and the client less than a GET for each
    /// (1,000 Deployments: one request instead of 1,000). An object created after the list
    /// answers the create with AlreadyExists, one deleted after it the patch with NotFound;
    /// either is read again with a GET, as a GET's answer that went stale would be.
    struct LiveObjects: Sendable {
        /// Documents of one resource and namespace from which on they are listed rather than read one by one.
        static let listFrom = 16

        static let none = LiveObjects()

        /// "resource/namespace" -> name -> live object; a listed collection without the name means absent.
        private var lists: [String: [String: KubeObject]] = [:]

        /// Takes `items` as everything of `type` in `namespace`.
        mutating func add(_ items: [KubeObject], of type: ResourceType, namespace: String?) {
            lists[Self.key(type, type.namespaced ? namespace : nil)] = Dictionary(
                items.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        }

        private static func key(_ type: ResourceType, _ namespace: String?) -> String {
            type.groupResource + "/" + (namespace ?? "")
        }

        /// Lists each resource and namespace that `targets` name at least `listFrom` times. A list
        /// that fails is left out: its documents are read one by one, and report their own errors.
        static func listed(for targets: [(type: ResourceType, manifest: KubeObject)], client: KubeClient) async throws -> LiveObjects {
            var counts: [String: (type: ResourceType, namespace: String?, count: Int)] = [:]
            for target in targets {
                let namespace = target.type.namespaced ? target.manifest.namespace : nil
                counts[key(target.type, namespace), default: (target.type, namespace, 0)].count += 1
            }
            var known = LiveObjects()
            for group in counts.values where group.count >= listFrom {
                do {
                    known.add(try await client.list(group.type, namespace: group.namespace).items, of: group.type, namespace: group.namespace)
                } catch let error as StatusError where error.isUnreachable {
                    throw error
                } catch {
                    continue
                }
            }
            return known
        }

        /// nil when the collection was not listed; `.some(nil)` when it was and holds no such object.
        func lookup(_ type: ResourceType, namespace: String?, name: String) -> KubeObject?? {
            guard let list = lists[Self.key(type, type.namespaced ? namespace : nil)] else { return nil }
            return .some(list[name])
        }
    }

    /// One applied object: the line to print and, for the placement preview, the object as the
    /// server holds it (or would) and as it was before.
    struct Applied: Sendable {
        var line: String
        var object: KubeObject
        var live: KubeObject?
    }
}
