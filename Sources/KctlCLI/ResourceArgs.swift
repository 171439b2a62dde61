import KctlModel

/// What `get`/`describe`/`delete` were asked for: kinds, each with names (none = the whole list).
struct ResourceRequest: Sendable, Equatable {
    var type: ResourceType
    var names: [String]
}

extension ResourceType {
    /// `get all`: the kinds kubectl's `all` category covers here.
    static let allCategory: [ResourceType] = [.pod, .service, .deployment, .replicaSet, .horizontalPodAutoscaler]

    /// Resolves a user-typed kind, or throws `the server doesn't have a resource type "x"`.
    static func resolve(_ name: String) throws -> ResourceType {
        guard let type = ResourceType.lookup(name) else { throw CLIError.unknownType(name) }
        return type
    }
}

enum ResourceArgs {
    /// Parses `KIND[,KIND...] [NAME...]` or `KIND/NAME [KIND/NAME...]`.
    /// - Returns: the requests in the order given, and whether several kinds were named
    ///   (then tables print `kind/name` and are separated by blank lines).
    static func parse(_ arguments: [String]) throws -> (requests: [ResourceRequest], multipleKinds: Bool) {
        guard let first = arguments.first else {
            throw CLIError("you must specify the type of resource to get, e.g. \"kctl get pods\"")
        }
        if first.contains("/") {
            var requests: [ResourceRequest] = []
            for argument in arguments {
                let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw CLIError(
                        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kctl get resource/<resource_name>' instead of 'kctl get resource resource/<resource_name>')")
                }
                let type = try ResourceType.resolve(parts[0])
                if let i = requests.firstIndex(where: { $0.type == type }) {
                    requests[i].names.append(parts[1])
                } else {
                    requests.append(ResourceRequest(type: type, names: [parts[1]]))
                }
            }
            return (requests, requests.count > 1)
        }
        var types: [ResourceType] = []
        var multiple = false
        for kind in first.split(separator: ",").map(String.init) where !kind.isEmpty {
            if kind.lowercased() == "all" {
                multiple = true
                for type in ResourceType.allCategory where !types.contains(type) { types.append(type) }
            } else {
                let type = try ResourceType.resolve(kind)
                if !types.contains(type) { types.append(type) }
            }
        }
        guard !types.isEmpty else { throw CLIError("you must specify the type of resource") }
        let names = Array(arguments.dropFirst())
        if let bad = names.first(where: { $0.contains("/") }) {
            throw CLIError(
                "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (\"\(bad)\")")
        }
        return (types.map { ResourceRequest(type: $0, names: names) }, multiple || types.count > 1)
    }
}
