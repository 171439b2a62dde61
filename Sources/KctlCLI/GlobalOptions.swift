import ArgumentParser
import KctlClient
import KctlModel

/// Flags every command shares: where the server is and which namespace to use.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: [.customShort("s"), .long],
        help: "The kctld API address (default: $KCTL_SERVER, else the server in $KCTL_CONFIG or ~/.kctl/config).")
    var server: String?

    @Option(name: .shortAndLong, help: "The namespace to use (default: \"default\").")
    var namespace: String?

    @Flag(name: [.customShort("A"), .customLong("all-namespaces")], help: "List across all namespaces.")
    var allNamespaces = false

    /// `arguments` with the shared flags given before the command (`kctl -n prod get pods`, as
    /// kubectl takes them) moved to where every command reads them: the end, or before a `--`.
    static func movedBehindTheCommand(_ arguments: [String]) -> [String] {
        let withValue = ["-n", "-s", "--namespace", "--server"]
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if ["-A", "--all-namespaces"].contains(first)
                || withValue.contains(where: { first.hasPrefix($0 + "=") })
            {
                leading.append(first)
                rest = rest.dropFirst()
            } else if withValue.contains(first), rest.count >= 2 {
                leading.append(contentsOf: rest.prefix(2))
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var moved = Array(rest)
        moved.insert(contentsOf: leading, at: moved.firstIndex(of: "--") ?? moved.endIndex)
        return moved
    }

    /// The namespace for requests on one object: `-n`, else `default`.
    var effectiveNamespace: String { namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default" }

    /// The namespace for lists: nil (all) with `-A`.
    var listNamespace: String? { allNamespaces ? nil : effectiveNamespace }

    /// Runs `body` with a client for the resolved server, shutting the client down afterwards.
    func withClient<T: Sendable>(_ body: (KubeClient) async throws -> T) async throws -> T {
        let address: String
        let client: KubeClient
        do {
            address = try ServerAddress.resolve(flag: server)
            client = try KubeClient(server: address)
        } catch let error as StatusError {
            throw CLIError(error.message)
        }
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// `-o` choices.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case wide, yaml, json, name
}
