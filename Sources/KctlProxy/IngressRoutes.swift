import KctlModel

/// Every Ingress' rules merged into one lookup table, so that the ingress proxy answers "where does
/// this request go" without I/O, and so that the rules are testable as a table.
///
/// Matching follows networking.k8s.io/v1:
/// - hosts: an exact host beats a `*.example.com` wildcard (one label only: not `example.com`, not
///   `a.b.example.com`), which beats rules without a host. When a host's rules have no matching path
///   the next, less specific group is tried, then the default backend.
/// - paths: `Exact` compares the whole path; `Prefix` (and `ImplementationSpecific`) compares whole
///   `/`-separated elements, ignoring a trailing slash (`/foo` matches `/foo`, `/foo/`, `/foo/bar`,
///   not `/foobar`). The longest path wins; at equal length `Exact` beats `Prefix`.
/// - across Ingresses: the oldest Ingress keeps a host+path (or the default backend) that a newer
///   one repeats; the newer rule is dropped and reported in `problems`.
///
///     let routes = IngressRoutes(ingresses: ingresses.list())
///     routes.route(host: "chat.local:6480", path: "/messages/1?x=y")   // Backend(default/messages:80)
public struct IngressRoutes: Sendable {
    /// A Service port in the namespace of the Ingress that named it.
    public struct Backend: Hashable, Sendable, CustomStringConvertible {
        /// The Service port as the Ingress names it: its number or its name, resolved against the
        /// Service's `spec.ports` only when a request comes, so Service changes need no rebuild.
        public enum Port: Hashable, Sendable, CustomStringConvertible {
            case number(Int)
            case name(String)

            public var description: String {
                switch self {
                case .number(let number): return String(number)
                case .name(let name): return name
                }
            }
        }

        public var namespace: String
        public var service: String
        public var port: Port
        /// `namespace/name` of the Ingress the route came from.
        public var ingress: String

        public init(namespace: String, service: String, port: Port, ingress: String) {
            self.namespace = namespace
            self.service = service
            self.port = port
            self.ingress = ingress
        }

        /// `namespace/service`, as the proxy's answers name it.
        public var serviceKey: String { "\(namespace)/\(service)" }
        public var description: String { "\(serviceKey):\(port)" }
    }

    /// One path of one host group, ready to match.
    struct PathRule: Sendable {
        /// The path as written for `Exact`; without its trailing slash for prefixes (`/` becomes "").
        var path: String
        var exact: Bool
        var backend: Backend

        /// How specific the rule is: longer paths first, `Exact` before `Prefix` at equal length.
        var rank: (Int, Int) { (path.count, exact ? 1 : 0) }

        /// Compares bytes, as paths are (String's `==` and `hasPrefix` compare characters, slowly).
        func matches(_ requestPath: String) -> Bool {
            let request = requestPath.utf8
            if exact { return request.elementsEqual(path.utf8) }
            guard !path.isEmpty else { return true }
            guard request.starts(with: path.utf8) else { return false }
            let rest = request.dropFirst(path.utf8.count)
            return rest.isEmpty || rest.first == UInt8(ascii: "/")
        }
    }

    /// The ingress class this proxy serves; Ingresses naming another class are skipped.
    public static let defaultClassName = "kctl"

    var exactHosts: [String: [PathRule]] = [:]
    /// Keyed by the domain after `*.`.
    var wildcardHosts: [String: [PathRule]] = [:]
    var anyHost: [PathRule] = []
    public private(set) var defaultBackend: Backend?
    /// Rules dropped while building: conflicts with an older Ingress, unusable backends, other classes.
    public private(set) var problems: [String] = []

    /// An empty table: every request gets no backend.
    public init() {}

    /// Builds the table from Ingress objects (in any order; age decides conflicts).
    /// - Parameter className: the `ingressClassName` served besides an absent one.
    public init(ingresses: [KubeObject], className: String = IngressRoutes.defaultClassName) {
        let oldestFirst = ingresses.sorted { a, b in
            let (ta, tb) = (a.creationTimestamp ?? "", b.creationTimestamp ?? "")
            if ta != tb { return ta < tb }
            return a.key < b.key
        }
        /// host group + path rule -> the Ingress that owns it
        var owners: [String: String] = [:]
        var defaultOwner: String?
        for object in oldestFirst {
            let ingressKey = object.key
            let ingress: Ingress
            do {
                ingress = try Ingress(object)
            } catch {
                problems.append("ingress \(ingressKey): ignored, not a valid Ingress: \(error)")
                continue
            }
            if let ingressClass = ingress.spec?.ingressClassName, ingressClass != className {
                problems.append("ingress \(ingressKey): ignored, ingressClassName \(ingressClass) is not \(className)")
                continue
            }
            let namespace = ingress.metadata.namespace ?? "default"
            func backend(_ spec: IngressBackend) -> Backend? {
                guard let service = spec.service else { return nil }
                let port: Backend.Port
                if let number = service.port?.number {
                    port = .number(Int(number))
                } else if let name = service.port?.name, !name.isEmpty {
                    port = .name(name)
                } else {
                    return nil
                }
                return Backend(namespace: namespace, service: service.name, port: port, ingress: ingressKey)
            }

            if let spec = ingress.spec?.defaultBackend {
                if let target = backend(spec) {
                    if let owner = defaultOwner {
                        problems.append(
                            "ingress \(ingressKey): defaultBackend ignored, ingress \(owner) already sets one")
                    } else {
                        defaultOwner = ingressKey
                        defaultBackend = target
                    }
                } else {
                    problems.append("ingress \(ingressKey): defaultBackend ignored, it names no service port")
                }
            }

            for rule in ingress.spec?.rules ?? [] {
                let host = rule.host.map(Self.normalizedHost) ?? ""
                for path in rule.http?.paths ?? [] {
                    let raw = path.path ?? "/"
                    let exact = path.pathType == "Exact"
                    let place = "host \(host.isEmpty ? "*" : host) path \(raw) (\(path.pathType ?? "Prefix"))"
                    guard let target = backend(path.backend) else {
                        problems.append("ingress \(ingressKey): \(place) ignored, its backend names no service port")
                        continue
                    }
                    let normalized = exact ? raw : Self.prefixPath(raw)
                    let ownerKey = "\(host) \(exact ? "=" : "^")\(normalized)"
                    if let owner = owners[ownerKey] {
                        problems.append("ingress \(ingressKey): \(place) ignored, ingress \(owner) already routes it")
                        continue
                    }
                    owners[ownerKey] = ingressKey
                    let entry = PathRule(path: normalized, exact: exact, backend: target)
                    if host.isEmpty {
                        anyHost.append(entry)
                    } else if host.hasPrefix("*.") {
                        wildcardHosts[String(host.dropFirst(2)), default: []].append(entry)
                    } else {
                        exactHosts[host, default: []].append(entry)
                    }
                }
            }
        }
        func mostSpecificFirst(_ rules: inout [PathRule]) {
            rules.sort { $0.rank > $1.rank }
        }
        for key in exactHosts.keys { mostSpecificFirst(&exactHosts[key]!) }
        for key in wildcardHosts.keys { mostSpecificFirst(&wildcardHosts[key]!) }
        mostSpecificFirst(&anyHost)
    }

    /// The backend for a request, or nil when no rule and no default backend applies.
    /// - Parameters:
    ///   - host: the `Host` header (a port and letter case are ignored).
    ///   - path: the request target's path; a query or fragment is ignored.
    public func route(host: String, path: String) -> Backend? {
        route(normalizedHost: Self.normalizedHost(host), requestPath: Self.requestPath(path))
    }

    /// `route(host:path:)` for a host already made `normalizedHost` and a path already reduced by
    /// `requestPath`.
    func route(normalizedHost host: String, requestPath path: String) -> Backend? {
        if let rules = exactHosts[host], let rule = rules.first(where: { $0.matches(path) }) {
            return rule.backend
        }
        if let dot = host.firstIndex(of: "."), let rules = wildcardHosts[String(host[host.index(after: dot)...])],
            let rule = rules.first(where: { $0.matches(path) })
        {
            return rule.backend
        }
        if let rule = anyHost.first(where: { $0.matches(path) }) { return rule.backend }
        return defaultBackend
    }

    /// Whether the table routes nothing at all.
    public var isEmpty: Bool {
        exactHosts.isEmpty && wildcardHosts.isEmpty && anyHost.isEmpty && defaultBackend == nil
    }

    // MARK: Normalizing

    /// Lower case, without a port and a trailing dot: `Chat.Local.:6480` is `chat.local`.
    static func normalizedHost(_ host: String) -> String {
        var host = Substring(host)
        if host.hasPrefix("[") {
            // An IPv6 literal: keep the brackets, drop what follows them.
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return host.lowercased()
    }

    /// A `Prefix` rule's path without its trailing slash, so that `/foo/` and `/foo` match alike.
    static func prefixPath(_ path: String) -> String {
        var path = Substring(path)
        while path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    /// The path of a request target: no query, no fragment, and the origin form of an absolute URI.
    static func requestPath(_ target: String) -> String {
        // Most targets are a path already.
        let bytes = target.utf8
        if bytes.first == UInt8(ascii: "/"), !bytes.contains(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            return target
        }
        var target = Substring(target)
        if let end = target.firstIndex(where: { $0 == "?" || $0 == "#" }) { target = target[..<end] }
        if target.first != "/", let scheme = target.range(of: "://") {
            let rest = target[scheme.upperBound...]
            target = rest.firstIndex(of: "/").map { rest[$0...] } ?? "/"
        }
        return target.isEmpty ? "/" : String(target)
    }
}
