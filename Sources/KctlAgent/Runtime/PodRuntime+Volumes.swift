import Foundation
import KctlModel
import KctlStore

extension PodRuntime {
    /// The volumes of the pods this runtime runs, laid out under its pod directories.
    var volumes: PodVolumes {
        PodVolumes(directories: directories, hostPathRoot: options.hostPathDirectory)
    }

    /// The ConfigMaps and Secrets the pod's volumes name, read from the store now; a name that is
    /// missing from the result has no object.
    func volumeSources(for pod: Pod) async throws -> VolumeSources {
        let namespace = pod.metadata.namespace ?? "default"
        var sources = VolumeSources()
        for volume in pod.spec?.volumes ?? [] {
            if let name = volume.configMap?.name, sources.configMaps[name] == nil,
                let object = try await lookUp(.configMap, namespace: namespace, name: name)
            {
                sources.configMaps[name] = Self.configMapFiles(object)
            }
            if let name = volume.secret?.secretName, sources.secrets[name] == nil,
                let object = try await lookUp(.secret, namespace: namespace, name: name)
            {
                sources.secrets[name] = Self.secretFiles(object)
            }
        }
        return sources
    }

    /// Whether the pod has volumes whose content follows an object (configMap, secret).
    static func hasObjectVolumes(_ pod: Pod) -> Bool {
        (pod.spec?.volumes ?? []).contains { $0.configMap != nil || $0.secret != nil }
    }

    /// A ConfigMap's `data` as UTF-8 and its `binaryData` decoded.
    static func configMapFiles(_ object: KubeObject) -> [String: Data] {
        var files: [String: Data] = [:]
        for (key, value) in object.json["data"]?.objectValue ?? [:] {
            if let text = value.stringValue { files[key] = Data(text.utf8) }
        }
        for (key, value) in object.json["binaryData"]?.objectValue ?? [:] {
            if let encoded = value.stringValue, let bytes = Data(base64Encoded: encoded) { files[key] = bytes }
        }
        return files
    }

    /// A Secret's `data` decoded, with `stringData` on top, bytes kept as they are.
    static func secretFiles(_ object: KubeObject) -> [String: Data] {
        var files: [String: Data] = [:]
        for (key, value) in object.json["data"]?.objectValue ?? [:] {
            if let encoded = value.stringValue, let bytes = Data(base64Encoded: encoded) { files[key] = bytes }
        }
        for (key, value) in object.json["stringData"]?.objectValue ?? [:] {
            if let text = value.stringValue { files[key] = Data(text.utf8) }
        }
        return files
    }

    private func lookUp(_ type: ResourceType, namespace: String, name: String) async throws -> KubeObject? {
        do {
            return try await store.get(type, namespace: namespace, name: name)
        } catch let error as StatusError where error.reason == .notFound {
            return nil
        }
    }
}
