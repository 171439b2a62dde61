import Foundation
import Logging

/// How one kctld runs: where its data lives, where it listens, where it tells clients to connect.
public struct DaemonOptions: Sendable {
    /// Directory holding the SQLite file (`kctl.db`) and, later, pod working directories.
    public var dataDir: String
    public var host: String
    /// 0 picks a free port (tests).
    public var port: Int
    /// Where the kubeconfig-style file for kctl (and kubectl) is written; nil writes none.
    public var kubeconfigPath: String?
    public var logLevel: Logger.Level

    public init(
        dataDir: String = DaemonOptions.defaultDataDir, host: String = "127.0.0.1", port: Int = DaemonOptions.defaultPort,
        kubeconfigPath: String? = DaemonOptions.defaultKubeconfigPath, logLevel: Logger.Level = .info
    ) {
        self.dataDir = dataDir
        self.host = host
        self.port = port
        self.kubeconfigPath = kubeconfigPath
        self.logLevel = logLevel
    }

    public static let defaultPort = 6440

    static var home: String { ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.currentDirectoryPath }

    /// `~/.kctl/data`.
    public static var defaultDataDir: String { "\(home)/.kctl/data" }

    /// `$KCTL_CONFIG`, else `~/.kctl/config`: the same place kctl looks.
    public static var defaultKubeconfigPath: String {
        ProcessInfo.processInfo.environment["KCTL_CONFIG"] ?? "\(home)/.kctl/config"
    }

    /// Parses `HOST:PORT` (`127.0.0.1:6440`, `:0`, `[::1]:6440`).
    public static func parseListen(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else {
            throw DaemonError.invalidOption("--listen: expected HOST:PORT, got \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw DaemonError.invalidOption("--listen: \"\(text)\" has no valid port (0-65535)")
        }
        return (host, port)
    }
}

public enum DaemonError: Error, CustomStringConvertible {
    case invalidOption(String)
    case startFailed(String)

    public var description: String {
        switch self {
        case .invalidOption(let m), .startFailed(let m): return m
        }
    }
}
