/// Non-secret configuration as key/value pairs.
public struct ConfigMap: APIObject {
    public static let resourceType = ResourceType.configMap

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    /// Base64-encoded values.
    public var binaryData: [String: String]?
    public var immutable: Bool?

    public init(
        apiVersion: String? = ResourceType.configMap.apiVersion,
        kind: String? = ResourceType.configMap.kind,
        metadata: ObjectMeta = ObjectMeta(),
        data: [String: String]? = nil,
        binaryData: [String: String]? = nil,
        immutable: Bool? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.data = data
        self.binaryData = binaryData
        self.immutable = immutable
    }
}
