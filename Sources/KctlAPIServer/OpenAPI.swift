import KctlModel

/// The OpenAPI v3 documents kubectl reads before it writes: `GET /openapi/v3` lists one
/// document per group-version, each describing the served paths and their operations.
///
/// kubectl's default `--validate=strict` looks for the kind's PATCH operation (by its
/// `x-kubernetes-group-version-kind`) and, finding a `fieldValidation` query parameter there,
/// sends `fieldValidation=Strict` and leaves validation to us (Admission rejects unknown fields).
/// Without these documents it fails with "failed to download openapi".
///
/// Deliberately no schemas for the kinds: client-side apply computes its strategic merge patch
/// from the schema of a kind when one is served, so a schema without every list's merge key
/// would make kubectl replace lists it should merge. With none, kubectl uses its compiled-in
/// types, which carry them all. (So `kubectl explain` has nothing to show.)
enum OpenAPI {
    /// `/openapi/v3`: each group-version's document, with a content hash in its URL so clients
    /// cache it until it changes.
    static func index() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for (path, document) in documents {
            paths[path] = ["serverRelativeURL": .string("/openapi/v3/\(path)?hash=\(document.hash)")]
        }
        return ["paths": .object(paths)]
    }

    /// Each group-version's document, serialized once, by its key in the index.
    static let documents: [String: (bytes: [UInt8], hash: String)] = {
        var out: [String: (bytes: [UInt8], hash: String)] = [:]
        for (group, version) in served {
            let bytes = document(group: group, version: version).serialized()
            out[prefix(group: group, version: version)] = (bytes, fnv1a(bytes))
        }
        return out
    }()

    /// The group-versions with a document: every one with a served kind.
    static var served: [(group: String, version: String)] {
        [("", "v1")] + Discovery.groupVersions
    }

    /// `api/v1`, `apis/apps/v1`: the document's key in the index and its API path prefix.
    static func prefix(group: String, version: String) -> String {
        group.isEmpty ? "api/\(version)" : "apis/\(group)/\(version)"
    }

    static func document(group: String, version: String) -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for type in ResourceType.all where type.group == group && type.version == version {
            let base = "/" + prefix(group: group, version: version)
                + (type.namespaced ? "/namespaces/{namespace}/" : "/") + type.plural
            let gvk: JSONValue = ["group": .string(group), "version": .string(version), "kind": .string(type.kind)]
            let scope: [JSONValue] = type.namespaced ? [pathParameter("namespace")] : []
            paths[base] = .object([
                "parameters": .array(scope),
                "get": operation("list", type, gvk, parameters: listParameters, verb: "list"),
                "post": operation("create", type, gvk, parameters: writeParameters, verb: "post", body: ["application/json", "application/yaml"]),
                "delete": operation("deletecollection", type, gvk, parameters: [dryRun], verb: "deletecollection"),
            ])
            paths[base + "/{name}"] = item(type, gvk, scope: scope)
            if type.hasStatus {
                paths[base + "/{name}/status"] = item(type, gvk, scope: scope, subresource: "Status")
            }
            if ScaleSubresource.serves(type) {
                let scale: JSONValue = ["group": "autoscaling", "version": "v1", "kind": "Scale"]
                paths[base + "/{name}/scale"] = item(type, scale, scope: scope, subresource: "Scale")
            }
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes", "version": .string(Discovery.version["gitVersion"]?.stringValue ?? "")],
            "paths": .object(paths),
            "components": [
                "schemas": [
                    patchSchema: [
                        "type": "object",
                        "description": "The body of a PATCH request, in the format its Content-Type names.",
                    ]
                ]
            ],
        ]
    }

    /// The operations on one object (or one of its subresources).
    private static func item(_ type: ResourceType, _ gvk: JSONValue, scope: [JSONValue], subresource: String = "") -> JSONValue {
        var operations: [String: JSONValue] = [
            "parameters": .array([pathParameter("name")] + scope),
            "get": operation("read", type, gvk, parameters: [], verb: "get", subresource: subresource),
            "put": operation(
                "replace", type, gvk, parameters: writeParameters, verb: "put", subresource: subresource,
                body: ["application/json", "application/yaml"]),
            "patch": operation(
                "patch", type, gvk, parameters: writeParameters + [force], verb: "patch", subresource: subresource,
                body: patchContentTypes),
        ]
        if subresource.isEmpty {
            operations["delete"] = operation("delete", type, gvk, parameters: [dryRun], verb: "delete")
        }
        return .object(operations)
    }

    private static func operation(
        _ action: String, _ type: ResourceType, _ gvk: JSONValue, parameters: [JSONValue], verb: String,
        subresource: String = "", body: [String] = []
    ) -> JSONValue {
        let scoped = type.namespaced ? "Namespaced" : ""
        let groupPart = type.group.isEmpty ? "Core" : camel(type.group.split(separator: ".").first.map(String.init) ?? "")
        var op: [String: JSONValue] = [
            "operationId": .string("\(action)\(groupPart)\(camel(type.version))\(scoped)\(type.kind)\(subresource)"),
            "description": .string("\(action) \(subresource.isEmpty ? "the specified" : subresource.lowercased() + " of the specified") \(type.kind)"),
            "parameters": .array(parameters),
            "responses": ["200": ["description": "OK"]],
            "x-kubernetes-action": .string(verb),
            "x-kubernetes-group-version-kind": gvk,
        ]
        if !body.isEmpty {
            let schema: JSONValue = ["$ref": .string("#/components/schemas/\(patchSchema)")]
            op["requestBody"] = [
                "required": true,
                "content": .object(Dictionary(uniqueKeysWithValues: body.map { ($0, ["schema": schema]) })),
            ]
        }
        return .object(op)
    }

    private static let patchSchema = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch"

    private static let patchContentTypes = [
        "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
        "application/strategic-merge-patch+json",
    ]

    private static func pathParameter(_ name: String) -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string", "uniqueItems": true]]
    }

    private static func queryParameter(_ name: String, _ description: String, type: String = "string") -> JSONValue {
        ["name": .string(name), "in": "query", "description": .string(description), "schema": ["type": .string(type), "uniqueItems": true]]
    }

    private static let dryRun = queryParameter("dryRun", "When present (All), the change is checked but not persisted.")
    private static let force = queryParameter("force", "Server-side apply: take over conflicting fields.", type: "boolean")
    private static let writeParameters = [
        dryRun,
        queryParameter("fieldManager", "The name of the actor making the change."),
        queryParameter(
            "fieldValidation",
            "Ignore, Warn or Strict: what to do with unknown or duplicate fields. Strict (the default here) rejects them."),
    ]
    private static let listParameters = [
        queryParameter("labelSelector", "Only objects whose labels match."),
        queryParameter("fieldSelector", "Only objects whose fields match."),
        queryParameter("resourceVersion", "With watch: events after this revision."),
        queryParameter("watch", "Stream changes instead of listing.", type: "boolean"),
        queryParameter("timeoutSeconds", "End the watch after this long.", type: "integer"),
        queryParameter("limit", "Accepted; lists are answered whole.", type: "integer"),
    ]

    private static func camel(_ text: String) -> String {
        text.prefix(1).uppercased() + text.dropFirst()
    }

    /// A short stable content hash (FNV-1a, 64-bit, hex) for the document URLs.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16, uppercase: true)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
