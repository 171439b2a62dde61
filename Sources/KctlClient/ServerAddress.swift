import Foundation
import KctlModel

/// Where the CLI finds kctld.
public enum ServerAddress {
    /// The server to talk to, in order: the `--server` flag, `$KCTL_SERVER`, then the kubeconfig
    /// kctld writes on start (`$KCTL_CONFIG`, else `~/.kctl/config`).
    /// - Throws: `StatusError` (BadRequest) saying how to fix it when none is set or the address is invalid.
    public static func resolve(flag: String?) throws -> String {
        try resolve(flag: flag, environment: ProcessInfo.processInfo.environment)
    }

    /// `resolve(flag:)` with the environment given, for tests.
    public static func resolve(flag: String?, environment: [String: String]) throws -> String {
        if let flag, !flag.isEmpty { return try KubeClient.normalize(server: flag) }
        if let env = environment["KCTL_SERVER"], !env.isEmpty { return try KubeClient.normalize(server: env) }
        let path = Kubeconfig.defaultPath(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else {
            throw StatusError.badRequest(
                "no kctl server configured: \(path) does not exist. Start kctld (it writes that file), "
                    + "or pass --server http://127.0.0.1:PORT, or set KCTL_SERVER")
        }
        let config = try Kubeconfig.read(path: path)
        guard let server = config.server else {
            throw StatusError.badRequest(
                "kubeconfig \(path) names no server for its current context; "
                    + "restart kctld to rewrite it, or pass --server http://127.0.0.1:PORT")
        }
        return try KubeClient.normalize(server: server)
    }
}
