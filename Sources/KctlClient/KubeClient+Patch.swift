import KctlModel

extension KubeClient {
    /// The patch formats a PATCH request can carry.
    public enum PatchType: String, Sendable, CaseIterable {
        /// Kubernetes' strategic merge patch: lists with a merge key (containers, env, ports) merge by it.
        case strategic
        /// RFC 7386: objects merge, `null` deletes, anything else (lists too) replaces.
        case merge
        /// RFC 6902: a list of operations.
        case json

        public var contentType: String {
            switch self {
            case .strategic: "application/strategic-merge-patch+json"
            case .merge: "application/merge-patch+json"
            case .json: "application/json-patch+json"
            }
        }
    }

    /// Sends `patch` as the given patch type and returns the patched object.
    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSONValue, as patchType: PatchType,
        subresource: String? = nil
    ) async throws -> KubeObject {
        var path = type.itemPath(namespace: scoped(type, namespace), name: name)
        if let subresource { path += "/" + subresource }
        return try await sendForObject(
            method: .PATCH, path: path, body: patch.serialized(), contentType: patchType.contentType)
    }
}
