/// Sensitive key/value data. `data` values are base64; `stringData` is plain text merged into `data` on write.
public struct Secret: APIObject {
    public static let resourceType = ResourceType.secret

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Base64-encoded values.
    public var data: [String: String]?
    /// Plain values, write-only.
    public var stringData: [String: String]?
    /// `Opaque` by default.
    public var type: String?
    public var immutable: Bool?

    public init(
        apiVersion: String? = ResourceType.secret.apiVersion,
        kind: String? = ResourceType.secret.kind,
        metadata: ObjectMeta = ObjectMeta(),
        data: [String: String]? = nil,
        stringData: [String: String]? = nil,
        type: String? = nil,
        immutable: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }
}
