import ArgumentParser
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl patch KIND/NAME -p PATCH [--type strategic|merge|json]`: changes some fields of a
    /// live object in one request, as `kubectl patch` does, and says whether anything changed.
    struct Patch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update fields of an object with a strategic merge, JSON merge or JSON patch.",
            discussion: """
                Examples:
                  kctl patch deploy/echo -p '{"spec":{"progressDeadlineSeconds":15}}'
                  kctl patch node node-1 --type merge -p '{"spec":{"unschedulable":true}}'
                  kctl patch deploy/echo --type json -p '[{"op":"replace","path":"/spec/replicas","value":2}]'
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND/NAME or KIND NAME.")
        var resources: [String] = []

        @Option(name: [.short, .customLong("patch")], help: "The patch, as JSON.")
        var patch: String

        @Option(help: "strategic (default), merge or json.")
        var type: String = "strategic"

        @Option(help: "A subresource to patch (status, scale).")
        var subresource: String?

        func run() async throws {
            let refs = try ObjectRefs.parse(resources, emptyMessage: "required resource not specified.")
            guard let patchType = KubeClient.PatchType(rawValue: type) else {
                throw CLIError("--type must be one of strategic, merge, json; got \"\(type)\"")
            }
            let document: JSONValue
            do { document = try JSONValue.parse(Array(patch.utf8)) } catch {
                throw CLIError("unable to parse \"\(patch)\": \(error)")
            }
            let io = CommandIO.current
            let namespace = global.effectiveNamespace
            try await global.withClient { client in
                for ref in refs {
                    let before = try await client.get(ref.type, namespace: namespace, name: ref.name).resourceVersion
                    let patched = try await client.patch(
                        ref.type, namespace: namespace, name: ref.name, patch: document, as: patchType,
                        subresource: subresource)
                    let label = Printers.qualifiedName(ref.type, ref.name)
                    io.out(patched.resourceVersion == before ? "\(label) patched (no change)" : "\(label) patched")
                }
            }
        }
    }
}
