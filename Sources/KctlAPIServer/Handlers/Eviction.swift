import Hummingbird
import KctlModel
import KctlStore

extension APIServer {
    /// POST `pods/NAME/eviction`: a pod deletion that asks first, as `kubectl drain` sends it. No
    /// PodDisruptionBudgets are served, so an eviction is always allowed and goes through the
    /// normal delete path: a pod on a node is marked and its agent stops it before it goes.
    /// The body is a policy/v1 (or v1beta1) Eviction, in JSON or in the protobuf kubectl sends.
    func evict(_ target: ResourceRequest, body: [UInt8], contentType: String?) async throws -> Response {
        guard let namespace = target.namespace, let name = target.name else {
            throw StatusError.badRequest("eviction is a subresource of a pod")
        }
        let eviction = try EvictionBody(body: body, contentType: contentType)
        guard eviction.kind.isEmpty || eviction.kind == "Eviction" else {
            throw StatusError.badRequest("expected an Eviction, got \(eviction.kind)")
        }
        guard eviction.apiVersion.isEmpty || ["policy/v1", "policy/v1beta1"].contains(eviction.apiVersion) else {
            throw StatusError.badRequest("Eviction must be policy/v1 or policy/v1beta1, got \(eviction.apiVersion)")
        }
        guard eviction.name == name else {
            throw StatusError.badRequest("name in URL does not match name in Eviction object")
        }
        if let ns = eviction.namespace, !ns.isEmpty, ns != namespace {
            throw StatusError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        let options = try DeleteOptions(body: eviction.deleteOptions?.serialized() ?? [], query: Query(nil))
        if options.dryRun {
            _ = try await store.get(.pod, namespace: namespace, name: name)
        } else {
            _ = try await deleteObject(.pod, namespace: namespace, name: name, options: options)
        }
        return Self.json(
            ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: .created)
    }
}

/// The parts of an Eviction the server reads, from JSON or from Kubernetes' protobuf envelope.
struct EvictionBody {
    var apiVersion = ""
    var kind = ""
    var name = ""
    var namespace: String?
    /// As JSON DeleteOptions, whichever encoding the body came in.
    var deleteOptions: JSONValue?

    init(body: [UInt8], contentType: String?) throws {
        let mediaType = (contentType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch mediaType {
        case "application/vnd.kubernetes.protobuf":
            try readProtobuf(body)
        case "", "application/json":
            let object = try KubeObject(data: body)
            apiVersion = object.apiVersion
            kind = object.kind
            name = object.name
            namespace = object.namespace
            deleteOptions = object["deleteOptions"]
        default:
            throw StatusError(
                reason: .unsupportedMediaType, code: 415,
                message: "the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf")
        }
    }

    /// `k8s\0` then runtime.Unknown {1: TypeMeta {1 apiVersion, 2 kind}, 2: raw Eviction
    /// {1: ObjectMeta {1 name, 3 namespace}, 2: DeleteOptions}}.
    private mutating func readProtobuf(_ body: [UInt8]) throws {
        let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
        guard body.starts(with: magic) else {
            throw StatusError.badRequest("the protobuf body does not start with the Kubernetes magic number")
        }
        var raw: ArraySlice<UInt8> = []
        for field in try ProtobufFields.parse(body.dropFirst(4)) {
            switch field.number {
            case 1:
                for meta in try ProtobufFields.parse(field.bytes) {
                    if meta.number == 1 { apiVersion = meta.string }
                    if meta.number == 2 { kind = meta.string }
                }
            case 2: raw = field.bytes
            default: break
            }
        }
        for field in try ProtobufFields.parse(raw) {
            switch field.number {
            case 1:
                for meta in try ProtobufFields.parse(field.bytes) {
                    if meta.number == 1 { name = meta.string }
                    if meta.number == 3 { namespace = meta.string }
                }
            case 2: deleteOptions = try Self.deleteOptions(protobuf: field.bytes)
            default: break
            }
        }
    }

    /// DeleteOptions {1 gracePeriodSeconds, 2 preconditions {1 uid, 2 resourceVersion},
    /// 3 orphanDependents, 4 propagationPolicy, 5 dryRun (repeated)} as their JSON form.
    private static func deleteOptions(protobuf bytes: ArraySlice<UInt8>) throws -> JSONValue {
        var json: [String: JSONValue] = [:]
        var dryRun: [JSONValue] = []
        for field in try ProtobufFields.parse(bytes) {
            switch field.number {
            case 1: json["gracePeriodSeconds"] = .int(Int64(bitPattern: field.varint))
            case 2:
                var preconditions: [String: JSONValue] = [:]
                for p in try ProtobufFields.parse(field.bytes) {
                    if p.number == 1 { preconditions["uid"] = .string(p.string) }
                    if p.number == 2 { preconditions["resourceVersion"] = .string(p.string) }
                }
                json["preconditions"] = .object(preconditions)
            case 3: if field.varint != 0 { json["propagationPolicy"] = json["propagationPolicy"] ?? "Orphan" }
            case 4: json["propagationPolicy"] = .string(field.string)
            case 5: dryRun.append(.string(field.string))
            default: break
            }
        }
        if !dryRun.isEmpty { json["dryRun"] = .array(dryRun) }
        return .object(json)
    }
}

/// The fields of one protobuf message, read without a schema (wire format only).
struct ProtobufFields {
    struct Field {
        var number: Int
        /// The value of a varint field.
        var varint: UInt64 = 0
        /// The payload of a length-delimited field.
        var bytes: ArraySlice<UInt8> = []
        var string: String { String(decoding: bytes, as: UTF8.self) }
    }

    static func parse(_ data: ArraySlice<UInt8>) throws -> [Field] {
        var fields: [Field] = []
        var i = data.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < data.endIndex, shift < 64 else { throw malformed }
                let byte = data[i]
                i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
        }
        while i < data.endIndex {
            let key = try varint()
            var field = Field(number: Int(key >> 3))
            switch key & 7 {
            case 0: field.varint = try varint()
            case 1, 5:
                let size = key & 7 == 1 ? 8 : 4
                guard data.endIndex - i >= size else { throw malformed }
                i += size
            case 2:
                let length = try varint()
                guard length <= UInt64(data.endIndex - i) else { throw malformed }
                field.bytes = data[i..<(i + Int(length))]
                i += Int(length)
            default: throw malformed
            }
            fields.append(field)
        }
        return fields
    }

    static let malformed = StatusError.badRequest("the protobuf body is malformed")
}
