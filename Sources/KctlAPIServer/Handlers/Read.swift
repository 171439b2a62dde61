import KctlModel
import KctlStore
import Hummingbird
import NIOCore

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

        var isEmpty: Bool { label == nil && field == nil }

        func matches(_ object: KubeObject) -> Bool {
            if let label, !label.matches(object.labels) { return false }
            if let field, !field.matches(object) { return false }
            return true
        }
    }

    /// One object, as JSON or as a one-row `Table`.
    func get(_ target: ResourceRequest, format: ReadFormat) async throws -> Response {
        guard case .table(let apiVersion, let include) = format else { return Self.json(try await get(target)) }
        guard let name = target.name else { throw StatusError.badRequest("a name is required") }
        let object = try await store.get(target.type, namespace: target.namespace, name: name)
        return Self.json(TableResponse.table(target.type, [object], apiVersion: apiVersion, include: include, revision: nil))
    }

    func list(_ target: ResourceRequest, query: Query, format: ReadFormat = .json) async throws -> Response {
        let selectors = try Selectors(query)
        if case .table(let apiVersion, let include) = format {
            let result = try await store.list(target.type, namespace: target.namespace)
            let items = selectors.isEmpty ? result.items : result.items.filter { selectors.matches($0) }
            return Self.json(
                TableResponse.table(
                    target.type, items, apiVersion: apiVersion, include: include, revision: String(result.revision)))
        }
        // The stored bytes go out as they are; with a selector, each object is parsed only to
        // match it, and what matches is still sent as stored.
        let result = try await store.listJSON(target.type, namespace: target.namespace)
        let size = result.items.reduce(128) { $0 + $1.count + 1 }
        var out = ByteBufferAllocator().buffer(capacity: size)
        out.writeStaticString(#"{"apiVersion":"#)
        out.writeBytes(JSONValue.string(target.type.apiVersion).serialized())
        out.writeStaticString(#","items":["#)
        var first = true
        for item in result.items {
            if !selectors.isEmpty, !selectors.matches(try KubeObject(data: item)) { continue }
            if !first { out.writeInteger(UInt8(ascii: ",")) }
            first = false
            out.writeBytes(item)
        }
        out.writeStaticString(#"],"kind":"#)
        out.writeBytes(JSONValue.string(target.type.kind + "List").serialized())
        out.writeString(",\"metadata\":{\"resourceVersion\":\"\(result.revision)\"}}")
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: out))
    }
}
