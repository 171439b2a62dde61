import KctlModel
import KctlStore
import Hummingbird

extension APIServer {
    func get(_ target: ResourceRequest) async throws -> JSONValue {
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        return try await store.get(target.type, namespace: target.namespace, name: name).value
    }

    /// Label and field selectors from the query, parsed once per request.
    struct Selectors {
        var label: LabelSelector?
        var field: FieldSelector?

        init(_ query: Query) throws {
            if let text = query["labelSelector"], !text.isEmpty { label = try LabelSelector.parse(text) }
            if let text = query["fieldSelector"], !text.isEmpty { field = try FieldSelector.parse(text) }
        }

        func matches(_ object: KubeObject) -> Bool {
            if let label, !label.matches(object.labels) { return false }
            if let field, !field.matches(object) { return false }
            return true
        }
    }

    func list(_ target: ResourceRequest, query: Query) async throws -> Response {
        let selectors = try Selectors(query)
        let result = try await store.list(target.type, namespace: target.namespace)
        var out: [UInt8] = []
        out.reserveCapacity(result.items.count * 512 + 128)
        out.append(contentsOf: "{\"apiVersion\":".utf8)
        JSONValue.string(target.type.apiVersion).appendSerialized(to: &out)
        out.append(contentsOf: ",\"items\":[".utf8)
        var first = true
        for item in result.items where selectors.matches(item) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            item.value.appendSerialized(to: &out)
        }
        out.append(contentsOf: "],\"kind\":".utf8)
        JSONValue.string(target.type.kind + "List").appendSerialized(to: &out)
        out.append(contentsOf: ",\"metadata\":{\"resourceVersion\":\"\(result.revision)\"}}".utf8)
        return Self.json(bytes: out)
    }
}

extension JSONValue {
    func appendSerialized(to out: inout [UInt8]) {
        out.append(contentsOf: serialized())
    }
}
