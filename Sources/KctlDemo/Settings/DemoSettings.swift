import Foundation

/// Everything a role reads from its environment, taken from an explicit dictionary (the process
/// environment in `kctl-demo`, a literal in tests) so several roles can run in one test process.
public struct DemoSettings: Sendable {
    public var environment: [String: String]
    /// `--listen`, which wins over the environment.
    public var listenOverride: ListenAddress?

    public init(environment: [String: String], listen: ListenAddress? = nil) {
        self.environment = environment
        self.listenOverride = listen
    }

    public subscript(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// `--listen`, else `LISTEN_ADDRESS`, else `$POD_IP:$PORT`, else `127.0.0.1:$PORT`.
    func listenAddress(defaultPort: Int) -> ListenAddress {
        if let listenOverride { return listenOverride }
        if let text = self["LISTEN_ADDRESS"], let address = ListenAddress(text) { return address }
        let port = self["PORT"].flatMap(Int.init) ?? defaultPort
        return ListenAddress(host: self["POD_IP"] ?? "127.0.0.1", port: port)
    }

    /// `VERSION`, else `v1`: what the rollout demo watches change.
    var version: String { self["VERSION"] ?? "v1" }

    /// `POD_NAME`, else `HOSTNAME` (the agent sets it to the pod's name), else the host's name.
    var podName: String { self["POD_NAME"] ?? self["HOSTNAME"] ?? ProcessInfo.processInfo.hostName }

    func integer(_ name: String, default value: Int) -> Int { self[name].flatMap(Int.init) ?? value }
    func double(_ name: String, default value: Double) -> Double { self[name].flatMap(Double.init) ?? value }
    func duration(_ name: String) -> Duration? { self[name].flatMap(DurationText.parse) }

    /// The base URL of Service `name` (`users`, `payment`): `USERS_URL` when set, else the
    /// Kubernetes service variables `USERS_SERVICE_HOST` and `USERS_SERVICE_PORT`. A value still
    /// holding an unexpanded `$(VAR)` counts as unset (Kubernetes leaves unknown references as
    /// they are). Nil when nothing names it: there is no DNS to fall back on.
    func serviceURL(_ name: String) -> String? {
        let key = name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined()
        if let url = self["\(key)_URL"], !url.contains("$(") {
            return url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        guard let host = self["\(key)_SERVICE_HOST"], !host.contains("$(") else { return nil }
        let port = self["\(key)_SERVICE_PORT"] ?? "80"
        return host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }
}
