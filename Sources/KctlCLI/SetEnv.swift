import ArgumentParser
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl set ...`: small edits of an object's pod template.
    struct SetCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change fields of a workload's pod template.", subcommands: [Env.self])
    }
}

/// One `set env` argument: `K=V` sets, `K-` removes.
enum EnvChange: Equatable, Sendable {
    case set(String, String)
    case remove(String)

    /// - Throws: for anything else, or a name that is not a valid environment variable name.
    static func parse(_ text: String) throws -> EnvChange {
        let change: EnvChange
        if let eq = text.firstIndex(of: "=") {
            change = .set(String(text[..<eq]), String(text[text.index(after: eq)...]))
        } else if text.hasSuffix("-") {
            change = .remove(String(text.dropLast()))
        } else {
            throw CLIError("environment variables must be of the form key=value and can only contain letters, numbers, and underscores")
        }
        let name: String
        switch change {
        case .set(let n, _), .remove(let n): name = n
        }
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
        guard !name.isEmpty, allowed, !(name.first?.isNumber ?? true) else {
            throw CLIError("invalid environment variable name \"\(name)\"")
        }
        return change
    }

    /// Applies `changes` in order to the containers of a pod template whose name matches
    /// `container` (`*` or nil: all). Setting a name replaces its entry (value, or a former
    /// `valueFrom`) in place; a new name is appended. Returns whether anything changed.
    static func apply(_ changes: [EnvChange], toTemplate template: inout JSONValue, container: String?) throws -> Bool {
        guard var spec = template["spec"]?.objectValue, var containers = spec["containers"]?.arrayValue else {
            return false
        }
        var matched = false
        for index in containers.indices {
            let name = containers[index]["name"]?.stringValue ?? ""
            if let container, container != "*", container != name { continue }
            matched = true
            var env = containers[index]["env"]?.arrayValue ?? []
            for change in changes {
                switch change {
                case .set(let key, let value):
                    let entry: JSONValue = ["name": .string(key), "value": .string(value)]
                    if let at = env.firstIndex(where: { $0["name"]?.stringValue == key }) {
                        env[at] = entry
                    } else {
                        env.append(entry)
                    }
                case .remove(let key):
                    env.removeAll { $0["name"]?.stringValue == key }
                }
            }
            containers[index]["env"] = env.isEmpty ? nil : .array(env)
        }
        if !matched, let container { throw CLIError("unable to find container named \(container)") }
        spec["containers"] = .array(containers)
        let before = template
        template["spec"] = .object(spec)
        return template != before
    }
}

extension KctlCommand.SetCommand {
    /// `kctl set env deploy/NAME K=V K2-`: environment is what changes between versions here,
    /// so this is the everyday way to start a rollout.
    struct Env: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set or remove environment variables in a pod template.",
            discussion: """
                Examples:
                  kctl set env deploy/web VERSION=2
                  kctl set env deploy/web DEBUG- -c main
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND/NAME (deployments, replicasets), then K=V to set and K- to remove.")
        var arguments: [String] = []

        @Option(name: [.customShort("c"), .customLong("containers")], help: "Only the containers with this name (* for all).")
        var container: String = "*"

        func run() async throws {
            let resourceArgs = arguments.filter { !$0.contains("=") && !$0.hasSuffix("-") }
            let changes = try arguments.filter { $0.contains("=") || $0.hasSuffix("-") }.map(EnvChange.parse)
            let refs = try ObjectRefs.parse(resourceArgs, emptyMessage: "one or more resources must be specified as <resource> <name> or <resource>/<name>")
            guard !changes.isEmpty else { throw CLIError("at least one environment variable change must be provided") }
            for ref in refs where ref.type != .deployment && ref.type != .replicaSet {
                throw CLIError("\(ref.type.groupResource) \"\(ref.name)\" has no pod template to set env on")
            }
            let namespace = global.effectiveNamespace
            let container = container
            let io = CommandIO.current
            try await global.withClient { client in
                for ref in refs {
                    try await Self.update(client, ref, namespace: namespace, changes: changes, container: container)
                    io.out("\(Printers.qualifiedName(ref.type, ref.name)) env updated")
                }
            }
        }

        /// Read, change, write with the read's resourceVersion; a concurrent write (Conflict) starts over.
        static func update(
            _ client: KubeClient, _ ref: ObjectRef, namespace: String, changes: [EnvChange], container: String
        ) async throws {
            for attempt in 1...5 {
                var object = try await client.get(ref.type, namespace: namespace, name: ref.name)
                var template = object.spec?["template"] ?? [:]
                guard try EnvChange.apply(changes, toTemplate: &template, container: container) else { return }
                object.spec?["template"] = template
                do {
                    _ = try await client.update(object, as: ref.type)
                    return
                } catch let error as StatusError where error.reason == .conflict && attempt < 5 {
                    continue
                }
            }
        }
    }
}
