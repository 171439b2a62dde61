import Foundation
import KctlModel

/// kubectl's typed clients (`kubectl create namespace|configmap|secret|deployment|service|ingress`)
/// send their body as Kubernetes protobuf: the magic `k8s\0`, then a `runtime.Unknown` wrapping
/// the type and the object's own message. This decodes exactly those kinds into the JSON the rest
/// of the server handles; every other kind is a 415 asking for JSON, never a guess.
///
/// Hand-written for these few messages: field numbers from the Kubernetes `generated.proto`
/// files. Namespace, ConfigMap and Secret skip unknown fields by wire type; the workload kinds are
/// read through `ProtoSchema` tables, which refuse what they do not decode. Server-owned metadata
/// (uid, resourceVersion, timestamps, managedFields) is not read: a create drops it anyway.
enum ProtobufBody {
    static let mediaType = "application/vnd.kubernetes.protobuf"
    static let decodedKinds = [
        "v1 Namespace", "v1 ConfigMap", "v1 Secret", "v1 Service", "apps/v1 Deployment", "networking.k8s.io/v1 Ingress",
        "autoscaling/v1 HorizontalPodAutoscaler",
    ]

    /// The kinds read through a `ProtoSchema`, by apiVersion and kind.
    static let schemas: [String: ProtoSchema] = [
        "v1 Service": .service, "apps/v1 Deployment": .deployment, "networking.k8s.io/v1 Ingress": .ingress,
        "autoscaling/v1 HorizontalPodAutoscaler": .horizontalPodAutoscalerV1,
    ]

    /// Whether a Content-Type names Kubernetes protobuf (parameters ignored).
    static func isProtobuf(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        return mediaType == Self.mediaType
    }

    /// The object in a protobuf body, as JSON.
    static func decode(_ body: [UInt8]) throws -> JSONValue {
        let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]
        guard body.count >= 4, Array(body.prefix(4)) == magic else {
            throw StatusError.badRequest("the protobuf body does not start with the Kubernetes magic prefix \"k8s\\0\"")
        }
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        var encoding = ""
        var reader = ProtoReader(body[4...])
        while let (field, value) = try reader.next() {
            switch field {
            case 1:  // TypeMeta
                var meta = ProtoReader(try value.bytes())
                while let (f, v) = try meta.next() {
                    if f == 1 { apiVersion = try v.string() } else if f == 2 { kind = try v.string() }
                }
            case 2: raw = try value.bytes()
            case 3: encoding = try value.string()
            default: break
            }
        }
        guard encoding.isEmpty else {
            throw unsupported("a protobuf body with content encoding \"\(encoding)\" is not supported")
        }
        guard !kind.isEmpty else { throw StatusError.badRequest("the protobuf body names no kind") }
        var object: [String: JSONValue] = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        switch (apiVersion, kind) {
        case ("v1", "Secret"): try decodeSecret(raw, into: &object)
        case ("v1", "ConfigMap"): try decodeConfigMap(raw, into: &object)
        case ("v1", "Namespace"): try decodeNamespace(raw, into: &object)
        default:
            guard let schema = schemas["\(apiVersion) \(kind)"] else {
                throw unsupported(
                    "protobuf bodies are decoded only for \(decodedKinds.joined(separator: ", ")); send \(apiVersion) \(kind) as application/json (kubectl create -f or apply -f do)")
            }
            object.merge(try schema.decode(raw, path: "")) { kept, _ in kept }
        }
        return .object(object)
    }

    static func unsupported(_ message: String) -> StatusError {
        StatusError(reason: .unsupportedMediaType, code: 415, message: message)
    }

    // MARK: Kinds

    private static func decodeSecret(_ raw: ArraySlice<UInt8>, into object: inout [String: JSONValue]) throws {
        var data: [String: JSONValue] = [:]
        var stringData: [String: JSONValue] = [:]
        var reader = ProtoReader(raw)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: object["metadata"] = try objectMeta(value.bytes())
            case 2:
                let (key, bytes) = try mapEntry(value.bytes())
                data[key] = .string(Data(bytes).base64EncodedString())
            case 3: object["type"] = .string(try value.string())
            case 4:
                let (key, bytes) = try mapEntry(value.bytes())
                stringData[key] = .string(String(decoding: bytes, as: UTF8.self))
            case 5: object["immutable"] = .bool(try value.varint() != 0)
            default: break
            }
        }
        if (object["type"]?.stringValue ?? "").isEmpty { object["type"] = "Opaque" }
        if !data.isEmpty { object["data"] = .object(data) }
        if !stringData.isEmpty { object["stringData"] = .object(stringData) }
    }

    private static func decodeConfigMap(_ raw: ArraySlice<UInt8>, into object: inout [String: JSONValue]) throws {
        var data: [String: JSONValue] = [:]
        var binaryData: [String: JSONValue] = [:]
        var reader = ProtoReader(raw)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: object["metadata"] = try objectMeta(value.bytes())
            case 2:
                let (key, bytes) = try mapEntry(value.bytes())
                data[key] = .string(String(decoding: bytes, as: UTF8.self))
            case 3:
                let (key, bytes) = try mapEntry(value.bytes())
                binaryData[key] = .string(Data(bytes).base64EncodedString())
            case 4: object["immutable"] = .bool(try value.varint() != 0)
            default: break
            }
        }
        if !data.isEmpty { object["data"] = .object(data) }
        if !binaryData.isEmpty { object["binaryData"] = .object(binaryData) }
    }

    private static func decodeNamespace(_ raw: ArraySlice<UInt8>, into object: inout [String: JSONValue]) throws {
        var reader = ProtoReader(raw)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: object["metadata"] = try objectMeta(value.bytes())
            case 2:  // NamespaceSpec: 1 finalizers
                var finalizers: [JSONValue] = []
                var spec = ProtoReader(try value.bytes())
                while let (f, v) = try spec.next() {
                    if f == 1 { finalizers.append(.string(try v.string())) }
                }
                if !finalizers.isEmpty { object["spec"] = ["finalizers": .array(finalizers)] }
            default: break  // status is the server's
            }
        }
    }

    // MARK: Shared messages

    /// ObjectMeta's client-set fields; empty strings (always written by Go) are left out.
    static func objectMeta(_ raw: ArraySlice<UInt8>) throws -> JSONValue {
        var meta: [String: JSONValue] = [:]
        var labels: [String: JSONValue] = [:]
        var annotations: [String: JSONValue] = [:]
        var owners: [JSONValue] = []
        var finalizers: [JSONValue] = []
        var reader = ProtoReader(raw)
        func setString(_ key: String, _ value: ProtoValue) throws {
            let text = try value.string()
            if !text.isEmpty { meta[key] = .string(text) }
        }
        while let (field, value) = try reader.next() {
            switch field {
            case 1: try setString("name", value)
            case 2: try setString("generateName", value)
            case 3: try setString("namespace", value)
            case 11:
                let (key, bytes) = try mapEntry(value.bytes())
                labels[key] = .string(String(decoding: bytes, as: UTF8.self))
            case 12:
                let (key, bytes) = try mapEntry(value.bytes())
                annotations[key] = .string(String(decoding: bytes, as: UTF8.self))
            case 13: owners.append(try ownerReference(value.bytes()))
            case 14: finalizers.append(.string(try value.string()))
            default: break
            }
        }
        if !labels.isEmpty { meta["labels"] = .object(labels) }
        if !annotations.isEmpty { meta["annotations"] = .object(annotations) }
        if !owners.isEmpty { meta["ownerReferences"] = .array(owners) }
        if !finalizers.isEmpty { meta["finalizers"] = .array(finalizers) }
        return .object(meta)
    }

    private static func ownerReference(_ raw: ArraySlice<UInt8>) throws -> JSONValue {
        var owner: [String: JSONValue] = [:]
        var reader = ProtoReader(raw)
        while let (field, value) = try reader.next() {
            switch field {
            case 1: owner["kind"] = .string(try value.string())
            case 3: owner["name"] = .string(try value.string())
            case 4: owner["uid"] = .string(try value.string())
            case 5: owner["apiVersion"] = .string(try value.string())
            case 6: owner["controller"] = .bool(try value.varint() != 0)
            case 7: owner["blockOwnerDeletion"] = .bool(try value.varint() != 0)
            default: break
            }
        }
        return .object(owner)
    }

    /// A map entry message: 1 key (string), 2 value (string or bytes).
    static func mapEntry(_ raw: ArraySlice<UInt8>) throws -> (String, ArraySlice<UInt8>) {
        var key = ""
        var value: ArraySlice<UInt8> = []
        var reader = ProtoReader(raw)
        while let (field, v) = try reader.next() {
            if field == 1 { key = try v.string() } else if field == 2 { value = try v.bytes() }
        }
        return (key, value)
    }
}

/// One field's value as the protobuf wire format carries it.
enum ProtoValue {
    case varint(UInt64)
    case fixed64(UInt64)
    case fixed32(UInt32)
    case bytes(ArraySlice<UInt8>)

    func bytes() throws -> ArraySlice<UInt8> {
        guard case .bytes(let b) = self else { throw ProtoReader.malformed("expected a length-delimited field") }
        return b
    }

    func string() throws -> String { String(decoding: try bytes(), as: UTF8.self) }

    func varint() throws -> UInt64 {
        guard case .varint(let v) = self else { throw ProtoReader.malformed("expected a varint field") }
        return v
    }
}

/// Reads `(field number, value)` pairs of one protobuf message; a truncated or malformed
/// message is a 400, never a crash.
struct ProtoReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    static func malformed(_ detail: String) -> StatusError {
        StatusError.badRequest("the protobuf body is malformed: \(detail)")
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> (Int, ProtoValue)? {
        guard !bytes.isEmpty else { return nil }
        let key = try readVarint()
        let field = Int(truncatingIfNeeded: key >> 3)
        guard field > 0 else { throw Self.malformed("field number 0") }
        switch key & 7 {
        case 0: return (field, .varint(try readVarint()))
        case 1: return (field, .fixed64(try readFixed(8)))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.count) else { throw Self.malformed("a field runs past the end") }
            let start = bytes.startIndex
            let end = start + Int(length)
            defer { bytes = bytes[end...] }
            return (field, .bytes(bytes[start..<end]))
        case 5: return (field, .fixed32(UInt32(truncatingIfNeeded: try readFixed(4))))
        default: throw Self.malformed("unsupported wire type \(key & 7)")
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.first {
            bytes = bytes.dropFirst()
            guard shift < 64 else { throw Self.malformed("a varint is too long") }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw Self.malformed("a varint runs past the end")
    }

    private mutating func readFixed(_ count: Int) throws -> UInt64 {
        guard bytes.count >= count else { throw Self.malformed("a fixed-width field runs past the end") }
        var value: UInt64 = 0
        for (i, byte) in bytes.prefix(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        bytes = bytes.dropFirst(count)
        return value
    }
}
