/// The addresses behind a Service (core/v1 Endpoints): what the endpoints controller writes for a
/// Service with a selector, or what a user writes by hand for one without, and what the service
/// and ingress proxies route to. Only `addresses` receive traffic.
public struct Endpoints: APIObject {
    public static let resourceType = ResourceType.endpoints

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Groups of addresses that share the same ports; nil (not `[]`) when there are none, as
    /// Kubernetes stores it.
    public var subsets: [EndpointSubset]?

    public init(
        apiVersion: String? = ResourceType.endpoints.apiVersion,
        kind: String? = ResourceType.endpoints.kind,
        metadata: ObjectMeta = ObjectMeta(),
        subsets: [EndpointSubset]? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.subsets = subsets
    }
}

/// Addresses that all serve the same set of ports.
public struct EndpointSubset: Codable, Sendable, Hashable {
    /// Ready to receive traffic.
    public var addresses: [EndpointAddress]?
    /// Selected by the Service but not (or no longer) ready: kept visible, never routed to.
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?

    public init(
        addresses: [EndpointAddress]? = nil, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]? = nil
    ) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

/// One backend address, usually a pod's IP.
public struct EndpointAddress: Codable, Sendable, Hashable {
    public var ip: String
    public var hostname: String?
    public var nodeName: String?
    /// The pod behind the address.
    public var targetRef: ObjectReference?

    public init(ip: String, hostname: String? = nil, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.hostname = hostname
        self.nodeName = nodeName
        self.targetRef = targetRef
    }
}

/// A port every address of its subset serves; `name` matches the Service port's name.
public struct EndpointPort: Codable, Sendable, Hashable {
    public var name: String?
    public var port: Int32
    public var `protocol`: String?
    public var appProtocol: String?

    public init(name: String? = nil, port: Int32, protocol: String? = nil, appProtocol: String? = nil) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
        self.appProtocol = appProtocol
    }
}
