import ArgumentParser
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl scale deploy/NAME --replicas N`: sets the replica count through the `scale`
    /// subresource, as `kubectl scale` (and the HPA) do, so nothing else of the object changes.
    struct Scale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a new size for a Deployment or ReplicaSet.",
            discussion: """
                Examples:
                  kctl scale deploy/web --replicas 4
                  kctl scale deployment web --replicas 0 --current-replicas 4
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND/NAME... or KIND NAME... (deployments and replicasets).")
        var resources: [String] = []

        @Option(help: "The new number of replicas.")
        var replicas: Int = -1

        @Option(name: .customLong("current-replicas"), help: "Scale only if the current number of replicas is this.")
        var currentReplicas: Int = -1

        @Option(name: .customLong("resource-version"), help: "Scale only if the object is still at this resourceVersion.")
        var resourceVersion: String?

        func validate() throws {
            if replicas < 0 {
                throw ValidationError("The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")
            }
            if replicas > Int(Int32.max) { throw ValidationError("--replicas must be at most \(Int32.max)") }
        }

        func run() async throws {
            let refs = try ObjectRefs.parse(resources, emptyMessage: "required resource not specified.")
            for ref in refs where !ref.type.hasScale {
                throw CLIError("\(ref.type.groupResource) \"\(ref.name)\" cannot be scaled")
            }
            let io = CommandIO.current
            let namespace = global.effectiveNamespace
            try await global.withClient { client in
                for ref in refs {
                    // With --current-replicas the write must land on the object that was checked;
                    // controllers write status all the time, so a Conflict means "check again"
                    // (kubectl retries the same way). A --resource-version given is never retried.
                    var attempt = 0
                    while true {
                        attempt += 1
                        var expectedVersion = resourceVersion
                        if currentReplicas >= 0 {
                            let scale = try await client.getScale(ref.type, namespace: namespace, name: ref.name)
                            let actual = Int(scale.spec?.replicas ?? 0)
                            guard actual == currentReplicas else {
                                throw CLIError("Expected replicas to be \(currentReplicas), was \(actual)")
                            }
                            expectedVersion = expectedVersion ?? scale.metadata.resourceVersion
                        }
                        do {
                            try await client.setScale(
                                ref.type, namespace: namespace, name: ref.name, replicas: Int32(replicas),
                                resourceVersion: expectedVersion)
                            break
                        } catch let error as StatusError
                            where error.reason == .conflict && resourceVersion == nil && currentReplicas >= 0 && attempt < 5
                        {
                            continue
                        }
                    }
                    io.out("\(Printers.qualifiedName(ref.type, ref.name)) scaled")
                }
            }
        }
    }
}

/// One object named on the command line by kind and name.
struct ObjectRef: Sendable, Equatable {
    var type: ResourceType
    var name: String
}

/// `KIND/NAME...` or `KIND NAME...`, as the verbs that act on named objects (scale, rollout,
/// set env) take them.
enum ObjectRefs {
    static func parse(_ arguments: [String], emptyMessage: String) throws -> [ObjectRef] {
        guard !arguments.isEmpty else { throw CLIError(emptyMessage) }
        let (requests, _) = try ResourceArgs.parse(arguments)
        let refs = requests.flatMap { request in request.names.map { ObjectRef(type: request.type, name: $0) } }
        guard !refs.isEmpty else {
            throw CLIError("resource(s) were provided, but no name was specified")
        }
        return refs
    }
}
