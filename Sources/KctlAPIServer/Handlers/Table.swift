import Foundation
import KctlModel

/// What a read answers with, chosen from the Accept header: kubectl's `get` asks for a
/// `meta.k8s.io` `Table` first (the columns it prints come from the server), everything else
/// for plain JSON.
enum ReadFormat: Equatable, Sendable {
    case json
    /// A `Table` of this apiVersion (`meta.k8s.io/v1` or `/v1beta1`), with each row's object as asked.
    case table(apiVersion: String, include: IncludeObject)

    /// `includeObject`: what each row carries besides its cells.
    enum IncludeObject: String, Sendable {
        case none = "None"
        /// `PartialObjectMetadata`: enough for kubectl's NAMESPACE and LABELS columns. The default.
        case metadata = "Metadata"
        case object = "Object"
    }

    /// The first media type in `accept` that we serve. No header, `*/*` or plain JSON: JSON.
    /// Only types we cannot produce (protobuf, YAML, partial metadata): 406, as Kubernetes answers.
    static func negotiate(accept: String?, query: Query) throws -> ReadFormat {
        guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return .json }
        for entry in accept.split(separator: ",") {
            let parts = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            let mediaType = parts.first?.lowercased() ?? ""
            var parameters: [String: String] = [:]
            for parameter in parts.dropFirst() {
                let kv = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2 { parameters[kv[0].lowercased()] = kv[1] }
            }
            guard mediaType == "application/json" || mediaType == "*/*" || mediaType == "application/*" else { continue }
            guard let representation = parameters["as"] else { return .json }
            guard representation == "Table", parameters["g"] == "meta.k8s.io",
                let version = parameters["v"], version == "v1" || version == "v1beta1"
            else { continue }
            let includeText = query["includeObject"] ?? ""
            guard let include = includeText.isEmpty ? .metadata : IncludeObject(rawValue: includeText) else {
                throw StatusError.badRequest(
                    "includeObject: Unsupported value: \"\(includeText)\": supported values: \"Metadata\", \"None\", \"Object\"")
            }
            return .table(apiVersion: "meta.k8s.io/\(version)", include: include)
        }
        throw StatusError(
            reason: .notAcceptable, code: 406,
            message: "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io")
    }
}

/// `meta.k8s.io` `Table` responses, from the same columns and cells `kctl get` prints
/// (`ObjectTable`): a list, one object, or one watch event's object (a table of one row).
enum TableResponse {
    /// A table of `objects`; `revision` is the list's resourceVersion (kubectl watches from it).
    static func table(
        _ type: ResourceType, _ objects: [KubeObject], apiVersion: String, include: ReadFormat.IncludeObject,
        revision: String?, now: Date = Date()
    ) -> JSONValue {
        var metadata: [String: JSONValue] = [:]
        if let revision { metadata["resourceVersion"] = .string(revision) }
        return [
            "kind": "Table",
            "apiVersion": .string(apiVersion),
            "metadata": .object(metadata),
            "columnDefinitions": columnDefinitions(type),
            "rows": .array(objects.map { row($0, type: type, include: include, now: now) }),
        ]
    }

    static func columnDefinitions(_ type: ResourceType) -> JSONValue {
        .array(
            ObjectTable.columns(for: type).map { column in
                [
                    "name": .string(column.name),
                    "type": .string(column.type),
                    "format": .string(column.format),
                    "description": .string(column.description),
                    "priority": .int(Int64(column.priority)),
                ]
            })
    }

    /// One row: the cells (integer columns as numbers) and the object as `include` asks.
    static func row(_ object: KubeObject, type: ResourceType, include: ReadFormat.IncludeObject, now: Date) -> JSONValue {
        let columns = ObjectTable.columns(for: type)
        let cells = zip(columns, ObjectTable.cells(for: object, type: type, now: now)).map { column, cell -> JSONValue in
            if column.type == "integer", let number = Int64(cell) { return .int(number) }
            return .string(cell)
        }
        var row: [String: JSONValue] = ["cells": .array(cells)]
        switch include {
        case .none: break
        case .object: row["object"] = object.value
        case .metadata: row["object"] = partialMetadata(object)
        }
        return .object(row)
    }

    /// `PartialObjectMetadata`: the object's metadata under the meta.k8s.io kind.
    static func partialMetadata(_ object: KubeObject) -> JSONValue {
        [
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": object.value["metadata"] ?? .object([:]),
        ]
    }
}
