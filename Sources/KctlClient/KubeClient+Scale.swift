import KctlModel
import NIOHTTP1

extension KubeClient {
    /// Reads the `scale` subresource (autoscaling/v1 Scale) of a Deployment or ReplicaSet.
    public func getScale(_ type: ResourceType, namespace: String?, name: String) async throws -> Scale {
        let object = try await sendForObject(method: .GET, path: scalePath(type, namespace, name))
        return try object.value.decode(Scale.self)
    }

    /// Sets `spec.replicas` through the `scale` subresource with a merge patch, as `kubectl scale`
    /// and the HPA do: nothing else of the object changes.
    /// - Parameter resourceVersion: when given, the write fails with Conflict unless the object is
    ///   still at this version (a `--current-replicas` check read at that version stays true).
    @discardableResult
    public func setScale(
        _ type: ResourceType, namespace: String?, name: String, replicas: Int32, resourceVersion: String? = nil
    ) async throws -> Scale {
        var patch: JSONValue = ["spec": ["replicas": .int(Int64(replicas))]]
        if let resourceVersion { patch["metadata"] = ["resourceVersion": .string(resourceVersion)] }
        let object = try await sendForObject(
            method: .PATCH, path: scalePath(type, namespace, name), body: patch.serialized(),
            contentType: "application/merge-patch+json")
        return try object.value.decode(Scale.self)
    }

    private func scalePath(_ type: ResourceType, _ namespace: String?, _ name: String) -> String {
        type.itemPath(namespace: scoped(type, namespace), name: name) + "/scale"
    }
}
