import Foundation

/// The kubeconfig-style file kctld writes on start so kctl (and kubectl) find the server.
enum KubeconfigFile {
    static func write(server: String, to path: String) throws {
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kctl
              cluster:
                server: \(server)
            contexts:
            - name: kctl
              context:
                cluster: kctl
                user: kctl
                namespace: default
            current-context: kctl
            users:
            - name: kctl
              user: {}
            preferences: {}

            """
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = path + ".tmp"
        try text.write(toFile: tmp, atomically: false, encoding: .utf8)
        if rename(tmp, path) != 0 { throw CocoaError(.fileWriteUnknown) }
    }
}
