import Foundation

/// Any API object as JSON, with typed access to the metadata every layer needs. The store, the
/// API server and the client pass these around; the typed kinds (`Deployment`, `Pod`, ...) are
/// for validation and for the code that reasons about one kind.
public struct KubeObject: Sendable, Hashable {
    public var json: [String: JSONValue]

    public init(_ json: [String: JSONValue]) { self.json = json }

    /// Wraps a JSON value that must be an object.
    public init(json value: JSONValue) throws {
        guard case .object(let o) = value else {
            throw StatusError.badRequest("expected a JSON object, got \(value.typeName)")
        }
        self.json = o
    }

    public init(data: some Collection<UInt8>) throws {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch let e as JSONParseError {
            throw StatusError.badRequest("the body is not valid JSON: \(e.description)")
        }
        try self.init(json: value)
    }

    /// `init(data:)` for bytes in an array, callable from other modules without generic dispatch.
    public init(data: [UInt8]) throws {
        try self.init(parsing: { try JSONValue.parse(data) })
    }

    /// `init(data:)` for bytes the caller owns for the duration of the call (a SQLite row).
    public init(data: UnsafeRawBufferPointer) throws {
        try self.init(parsing: { try JSONValue.parse(data) })
    }

    private init(parsing parse: () throws -> JSONValue) throws {
        let value: JSONValue
        do { value = try parse() } catch let e as JSONParseError {
            throw StatusError.badRequest("the body is not valid JSON: \(e.description)")
        }
        try self.init(json: value)
    }

    public var value: JSONValue { .object(json) }
    public func serialized() -> [UInt8] { JSONValue.object(json).serialized() }

    public subscript(key: String) -> JSONValue? {
        get { json[key] }
        set { json[key] = newValue }
    }

    public var apiVersion: String { json["apiVersion"]?.stringValue ?? "" }
    public var kind: String { json["kind"]?.stringValue ?? "" }

    private func meta(_ key: String) -> JSONValue? { json["metadata"]?[key] }

    private mutating func setMeta(_ key: String, _ value: JSONValue?) {
        var m = json["metadata"]?.objectValue ?? [:]
        m[key] = value
        json["metadata"] = .object(m)
    }

    public var metadata: [String: JSONValue] {
        get { json["metadata"]?.objectValue ?? [:] }
        set { json["metadata"] = .object(newValue) }
    }

    public var name: String {
        get { meta("name")?.stringValue ?? "" }
        set { setMeta("name", .string(newValue)) }
    }
    public var generateName: String? { meta("generateName")?.stringValue }
    /// The namespace, or nil when unset (cluster-scoped kinds, or not yet defaulted).
    public var namespace: String? {
        get { meta("namespace")?.stringValue }
        set { setMeta("namespace", newValue.map { .string($0) }) }
    }
    public var uid: String? {
        get { meta("uid")?.stringValue }
        set { setMeta("uid", newValue.map { .string($0) }) }
    }
    /// The store revision of the object's last write, as Kubernetes' opaque string.
    public var resourceVersion: String? {
        get { meta("resourceVersion")?.stringValue }
        set { setMeta("resourceVersion", newValue.map { .string($0) }) }
    }
    public var generation: Int64? {
        get { meta("generation")?.intValue }
        set { setMeta("generation", newValue.map { .int($0) }) }
    }
    public var creationTimestamp: String? {
        get { meta("creationTimestamp")?.stringValue }
        set { setMeta("creationTimestamp", newValue.map { .string($0) }) }
    }
    public var deletionTimestamp: String? {
        get { meta("deletionTimestamp")?.stringValue }
        set { setMeta("deletionTimestamp", newValue.map { .string($0) }) }
    }
    public var labels: [String: String] {
        get { stringMap(meta("labels")) }
        set { setMeta("labels", newValue.isEmpty ? nil : .object(newValue.mapValues { .string($0) })) }
    }
    public var annotations: [String: String] {
        get { stringMap(meta("annotations")) }
        set { setMeta("annotations", newValue.isEmpty ? nil : .object(newValue.mapValues { .string($0) })) }
    }
    public var finalizers: [String] {
        get { (meta("finalizers")?.arrayValue ?? []).compactMap(\.stringValue) }
        set { setMeta("finalizers", newValue.isEmpty ? nil : .array(newValue.map { .string($0) })) }
    }
    public var ownerReferences: [JSONValue] {
        get { meta("ownerReferences")?.arrayValue ?? [] }
        set { setMeta("ownerReferences", newValue.isEmpty ? nil : .array(newValue)) }
    }

    public var spec: JSONValue? {
        get { json["spec"] }
        set { json["spec"] = newValue }
    }
    public var status: JSONValue? {
        get { json["status"] }
        set { json["status"] = newValue }
    }

    /// `namespace/name`, or `name` for cluster-scoped objects: the key work queues and logs use.
    public var key: String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    /// Every field but `metadata` and `status`: a change here is a spec change that bumps generation.
    public var specPart: [String: JSONValue] {
        json.filter { $0.key != "metadata" && $0.key != "status" && $0.key != "apiVersion" && $0.key != "kind" }
    }

    /// Whether `other` differs from this object in more than its status and the fields every
    /// write changes (`resourceVersion`, `managedFields`): a node agent does not sync a pod
    /// again when the only change is its own status report coming back.
    public func differsBeyondStatus(from other: KubeObject) -> Bool {
        func differs(_ a: [String: JSONValue], _ b: [String: JSONValue], ignoring ignored: (String) -> Bool) -> Bool {
            for (key, value) in a where !ignored(key) && b[key] != value { return true }
            for key in b.keys where !ignored(key) && a[key] == nil { return true }
            return false
        }
        if differs(json, other.json, ignoring: { $0 == "status" || $0 == "metadata" }) { return true }
        return differs(metadata, other.metadata, ignoring: { $0 == "resourceVersion" || $0 == "managedFields" })
    }

    private func stringMap(_ v: JSONValue?) -> [String: String] {
        guard let o = v?.objectValue else { return [:] }
        var out: [String: String] = [:]
        for (k, v) in o { if let s = v.stringValue { out[k] = s } }
        return out
    }
}
