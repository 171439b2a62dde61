import ArgumentParser
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl apply -f FILE|DIR|-`: create or update objects to match manifests.
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply manifests: create objects that are missing, update those that differ.",
            discussion: """
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

        func validate() throws {
            if filename.isEmpty { throw ValidationError("must specify -f FILE|DIR|-") }
        }

        func run() async throws {
            let io = CommandIO.current
            let docs = try ManifestFiles.documents(paths: filename, recursive: !noRecursive, io: io)
            let failed = try await global.withClient { client in
                var failed = false
                for doc in docs {
                    guard let object = doc.object else {
                        io.err(ManifestFiles.failureLine(doc))
                        failed = true
                        continue
                    }
                    do {
                        io.out(try await apply(object, client: client))
                    } catch let error as StatusError where error.isUnreachable {
                        throw error
                    } catch {
                        failed = true
                        report(error, source: doc.source, io: io)
                    }
                }
                return failed
            }
            if failed { throw AlreadyReported() }
        }

        /// Applies one object; returns the `deployment.apps/web configured` line.
        func apply(_ document: KubeObject, client: KubeClient) async throws -> String {
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
            let label = Printers.qualifiedName(type, manifest.name)
            var attempt = 0
            while true {
                attempt += 1
                let live: KubeObject?
                do {
                    live = try await client.get(type, namespace: manifest.namespace, name: manifest.name)
                } catch let error as StatusError where error.reason == .notFound {
                    live = nil
                }
                do {
                    switch ApplyPlan.decide(manifest: manifest, live: live) {
                    case .unchanged:
                        return "\(label) unchanged"
                    case .create(let object):
                        _ = try await client.create(object, as: type, namespace: manifest.namespace)
                        return "\(label) created"
                    case .update(let object):
                        _ = try await client.update(object, as: type)
                        return "\(label) configured"
                    }
                } catch let error as StatusError
                    where attempt < 5 && (error.reason == .conflict || error.reason == .alreadyExists)
                {
                    continue  // someone else wrote it in between: read it again and redo the merge
                }
            }
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
