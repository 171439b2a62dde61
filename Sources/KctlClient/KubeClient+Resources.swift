import KctlModel
import NIOHTTP1

extension KubeClient {
    /// Reads one object. Throws NotFound (404) when it does not exist.
    public func get(_ type: ResourceType, namespace: String?, name: String) async throws -> KubeObject {
        try await sendForObject(method: .GET, path: type.itemPath(namespace: scoped(type, namespace), name: name))
    }

    /// Lists objects; `namespace` nil lists every namespace.
    public func list(
        _ type: ResourceType, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil
    ) async throws -> ObjectList {
        let query = Query.encode([("labelSelector", labelSelector), ("fieldSelector", fieldSelector)])
        let list = try await sendForObject(
            method: .GET, path: type.collectionPath(namespace: type.namespaced ? namespace : nil) + query)
        let items = (list["items"]?.arrayValue ?? []).compactMap { try? KubeObject(json: $0) }.map { item -> KubeObject in
            // Lists may leave out each item's kind and apiVersion; the client always fills them in.
            var item = item
            if item.kind.isEmpty { item["kind"] = .string(type.kind) }
            if item.apiVersion.isEmpty { item["apiVersion"] = .string(type.apiVersion) }
            return item
        }
        return ObjectList(items: items, resourceVersion: list.resourceVersion ?? "")
    }

    /// Creates an object (POST). The namespace is `namespace`, else the object's, else `default`.
    public func create(_ object: KubeObject, as type: ResourceType, namespace: String? = nil) async throws -> KubeObject {
        let ns = scoped(type, namespace ?? object.namespace)
        return try await sendForObject(
            method: .POST, path: type.collectionPath(namespace: ns), body: object.serialized())
    }

    /// Replaces an object (PUT) at its own namespace and name; `subresource` "status" writes only status.
    /// Include `metadata.resourceVersion` for optimistic concurrency (409 Conflict when stale).
    public func update(_ object: KubeObject, as type: ResourceType, subresource: String? = nil) async throws -> KubeObject {
        var path = type.itemPath(namespace: scoped(type, object.namespace), name: object.name)
        if let subresource { path += "/" + subresource }
        return try await sendForObject(method: .PUT, path: path, body: object.serialized())
    }

    /// Applies a JSON merge patch (RFC 7386): objects merge, `null` deletes, anything else replaces.
    public func patch(
        _ type: ResourceType, namespace: String?, name: String, patch: JSONValue, subresource: String? = nil
    ) async throws -> KubeObject {
        var path = type.itemPath(namespace: scoped(type, namespace), name: name)
        if let subresource { path += "/" + subresource }
        return try await sendForObject(
            method: .PATCH, path: path, body: patch.serialized(), contentType: "application/merge-patch+json")
    }

    /// Deletes an object. Returns the object when the server answers with it (for example still
    /// terminating, with finalizers), nil when it answers with a Success Status.
    /// - Parameter propagationPolicy: `Background`, `Foreground` or `Orphan`; nil leaves the server's default.
    @discardableResult
    public func delete(
        _ type: ResourceType, namespace: String?, name: String, propagationPolicy: String? = nil
    ) async throws -> KubeObject? {
        var options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1"]
        if let propagationPolicy { options["propagationPolicy"] = .string(propagationPolicy) }
        let object = try await sendForObject(
            method: .DELETE, path: type.itemPath(namespace: scoped(type, namespace), name: name),
            body: options.serialized())
        return object.kind == "Status" ? nil : object
    }

    /// Any request, for paths the typed methods do not cover (discovery, `/readyz`, subresources).
    /// Does not throw for HTTP error codes: the caller reads `status`.
    public func raw(
        method: String, path: String, body: [UInt8]? = nil, contentType: String? = nil
    ) async throws -> (status: Int, body: [UInt8]) {
        try await send(method: HTTPMethod(rawValue: method.uppercased()), path: path, body: body, contentType: contentType)
    }

    /// GETs a plain-text resource (such as a pod's log). Non-2xx answers throw their Status.
    public func getText(path: String) async throws -> String {
        let (status, bytes) = try await send(method: .GET, path: path, accept: "text/plain, application/json")
        guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The scheduler's latest decision for a pod (`GET pods/NAME/scheduling`), as its JSON
    /// record; nil when the server has none (404): the pod is missing, not looked at yet, or
    /// was bound by someone else.
    public func schedulingRecord(namespace: String?, pod: String) async throws -> String? {
        let path = ResourceType.pod.itemPath(namespace: scoped(.pod, namespace), name: pod) + "/" + Pod.schedulingRecord
        let (status, bytes) = try await send(method: .GET, path: path)
        if status == 404 { return nil }
        guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The namespace to put in a path: none for cluster-scoped kinds, `default` when unset.
    func scoped(_ type: ResourceType, _ namespace: String?) -> String? {
        guard type.namespaced else { return nil }
        if let namespace, !namespace.isEmpty { return namespace }
        return "default"
    }
}

/// URL query strings.
enum Query {
    /// `?a=1&b=x%3Dy` from the pairs whose value is not nil (and not empty); "" when none.
    static func encode(_ pairs: [(String, String?)]) -> String {
        let parts = pairs.compactMap { key, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return "\(key)=\(escape(value))"
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
