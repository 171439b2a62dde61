/// The `/scale` subresource of Deployments and ReplicaSets (autoscaling/v1).
public struct Scale: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ScaleSpec?
    public var status: ScaleStatus?

    public init(
        apiVersion: String? = nil,
        kind: String? = nil,
        metadata: ObjectMeta,
        spec: ScaleSpec? = nil,
        status: ScaleStatus? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The desired replica count.
public struct ScaleSpec: Codable, Sendable, Hashable {
    public var replicas: Int32?

    public init(replicas: Int32? = nil) {
        self.replicas = replicas
    }
}

/// The observed replica count and the pods' selector in string form.
public struct ScaleStatus: Codable, Sendable, Hashable {
    public var replicas: Int32
    public var selector: String?

    public init(replicas: Int32, selector: String? = nil) {
        self.replicas = replicas
        self.selector = selector
    }
}
