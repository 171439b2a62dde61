import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl delete KIND NAME... | -f FILE|DIR`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete objects by kind and name, by label selector, or as listed in manifests.")

        enum Cascade: String, ExpressibleByArgument, CaseIterable, Sendable {
            case background, orphan, foreground
            var propagationPolicy: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
        }

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND NAME..., or KIND/NAME...")
        var resources: [String] = []

        @Option(name: [.customShort("f"), .long], help: "Delete the objects in a manifest file, directory, or - for stdin (repeatable).")
        var filename: [String] = []

        @Flag(name: [.customShort("R"), .long], help: "Read the sub-directories of directories given with -f (the default in kctl, so `-f Manifests/` takes every scenario; kept for kubectl habits).")
        var recursive = false

        @Flag(name: .customLong("no-recursive"), help: "Read only the files directly in directories given with -f, as kubectl does without -R.")
        var noRecursive = false

        @Option(name: [.customShort("l"), .long], help: "Delete every object of the kind matching this label selector.")
        var selector: String?

        @Flag(name: .long, help: "Delete every object of the kind in the namespace.")
        var all = false

        @Option(help: "How dependents are deleted: background (default), orphan or foreground.")
        var cascade: Cascade = .background

        @Option(help: "Wait until the objects are gone (--wait=false returns at once).")
        var wait = true

        @Option(help: "How long --wait waits, in seconds.")
        var timeout: Int = 60

        @Flag(name: .customLong("ignore-not-found"), help: "Treat a missing object as deleted, not as an error.")
        var ignoreNotFound = false

        func validate() throws {
            if filename.isEmpty && resources.isEmpty {
                throw ValidationError("you must specify KIND NAME, KIND/NAME, or -f FILE")
            }
            if !filename.isEmpty && !resources.isEmpty {
                throw ValidationError("names cannot be given together with -f")
            }
            if timeout < 0 { throw ValidationError("--timeout must not be negative") }
        }

        func run() async throws {
            let io = CommandIO.current
            var targets: [(type: ResourceType, namespace: String?, name: String, source: String?)] = []
            var failed = false
            if !filename.isEmpty {
                for doc in try ManifestFiles.documents(paths: filename, recursive: !noRecursive, io: io) {
                    guard let object = doc.object else {
                        io.err(ManifestFiles.failureLine(doc))
                        failed = true
                        continue
                    }
                    do {
                        let type = try ManifestFiles.type(of: object)
                        let ns = type.namespaced ? (object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? global.effectiveNamespace) : nil
                        targets.append((type, ns, object.name, doc.source))
                    } catch {
                        io.err("error: \(doc.source): \(error)")
                        failed = true
                    }
                }
            }
            let failedAny = try await global.withClient { client in
                var failed = failed
                if filename.isEmpty {
                    let (requests, _) = try ResourceArgs.parse(resources)
                    for request in requests {
                        let ns = request.type.namespaced ? global.effectiveNamespace : nil
                        if request.names.isEmpty {
                            guard all || selector != nil else {
                                throw CLIError("resource(s) were provided, but no name was specified (use --all or -l to delete several)")
                            }
                            let list = try await client.list(request.type, namespace: ns, labelSelector: selector)
                            if list.items.isEmpty, !ignoreNotFound { io.err("No resources found") }
                            for object in list.items { targets.append((request.type, ns, object.name, nil)) }
                        } else {
                            for name in request.names { targets.append((request.type, ns, name, nil)) }
                        }
                    }
                }
                // What was deleted, and the uid of the object still terminating (nil: already gone).
                var deleted: [(ResourceType, String?, String, uid: String?)] = []
                // Manifests go in the reverse of apply's order: workloads before the Services and config they use.
                if !filename.isEmpty { targets = ApplyOrder.forDelete(targets, kind: { $0.type.kind }) }
                for target in targets {
                    do {
                        let terminating = try await client.delete(
                            target.type, namespace: target.namespace, name: target.name,
                            propagationPolicy: cascade.propagationPolicy)
                        io.out("\(target.type.groupSingular) \"\(target.name)\" deleted")
                        deleted.append((target.type, target.namespace, target.name, terminating?.uid))
                    } catch let error as StatusError where error.reason == .notFound && ignoreNotFound {
                        continue
                    } catch let error as StatusError where !error.isUnreachable {
                        io.err(lines: ErrorReport.lines(for: error))
                        failed = true
                    }
                }
                if wait && cascade != .orphan {
                    let deadline = Date().addingTimeInterval(TimeInterval(timeout))
                    for (type, ns, name, uid) in deleted {
                        guard let uid else { continue }
                        if try await !waitUntilGone(type, ns, name, uid: uid, client: client, deadline: deadline) {
                            io.err("error: timed out waiting for the deletion of \(type.groupSingular) \"\(name)\"")
                            failed = true
                        }
                    }
                }
                return failed
            }
            if failedAny { throw AlreadyReported() }
        }

        /// Polls until the object with `uid` is gone; false at the deadline. An object of the same
        /// name with another uid is a new one (a controller's replacement), as kubectl sees it.
        private func waitUntilGone(
            _ type: ResourceType, _ namespace: String?, _ name: String, uid: String, client: KubeClient, deadline: Date
        ) async throws -> Bool {
            while true {
                do {
                    if try await client.get(type, namespace: namespace, name: name).uid != uid { return true }
                } catch let error as StatusError where error.reason == .notFound {
                    return true
                }
                if Date() >= deadline { return false }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }
}
