import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// The Services and Endpoints both proxies route by, read from informer caches so that choosing
/// a backend for a connection or a request needs no store round trip. Parsed endpoint lists are
/// cached per Service port and object version.
final class ServiceDirectory: Sendable {
    /// What a Service port resolves to.
    enum Resolution: Equatable, Sendable {
        case noService
        /// The Service has no port with this number or name.
        case noPort
        /// The ready endpoints of the port (maybe none), and the port's name.
        case endpoints([Endpoint], portName: String)
    }

    let services: Informer
    let endpoints: Informer
    /// `namespace/name port` -> the Endpoints' resourceVersion and the port's ready endpoints.
    private let parsed = Locked<[String: (version: String, endpoints: [Endpoint])]>([:])
    private let counters = Locked<[String: Int]>([:])

    init(store: any Store, logger: Logger) {
        services = Informer(store: store, resource: .service, logger: logger)
        endpoints = Informer(store: store, resource: .endpoints, logger: logger)
    }

    /// Runs both informers until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await self.services.run() }
            group.addTask { try? await self.endpoints.run() }
        }
    }

    func waitForSync() async {
        await services.waitForSync()
        await endpoints.waitForSync()
    }

    /// The ready endpoints of a Service port, by port name ("" for an unnamed port).
    func ready(namespace: String, service: String, portName: String) -> [Endpoint] {
        let key = "\(namespace)/\(service) \(portName)"
        guard let object = endpoints.get(namespace: namespace, name: service) else {
            parsed.withLock { _ = $0.removeValue(forKey: key) }
            return []
        }
        let version = object.resourceVersion ?? ""
        if let cached = parsed.withLock({ $0[key] }), cached.version == version { return cached.endpoints }
        let list = Endpoint.ready(in: object, portName: portName)
        parsed.withLock { $0[key] = (version, list) }
        return list
    }

    /// Resolves an Ingress backend's port (by number or name) through the Service's `spec.ports`
    /// to the Endpoints port of the same name.
    func resolve(namespace: String, service: String, port: IngressRoutes.Backend.Port) -> Resolution {
        guard let object = services.get(namespace: namespace, name: service) else { return .noService }
        let ports = object.spec?["ports"]?.arrayValue ?? []
        let match = ports.first { entry in
            switch port {
            case .number(let number): return entry["port"]?.intValue == Int64(number)
            case .name(let name): return entry["name"]?.stringValue == name
            }
        }
        guard let match else { return .noPort }
        let portName = match["name"]?.stringValue ?? ""
        return .endpoints(ready(namespace: namespace, service: service, portName: portName), portName: portName)
    }

    /// `endpoints` rotated by one more place each call for `key`: round robin that a failed
    /// attempt continues by taking the next element.
    func rotated(_ endpoints: [Endpoint], key: String) -> [Endpoint] {
        guard endpoints.count > 1 else { return endpoints }
        let start = counters.withLock { counters -> Int in
            let value = counters[key, default: 0]
            counters[key] = value &+ 1
            return value
        }
        let offset = Int(UInt(bitPattern: start) % UInt(endpoints.count))
        return Array(endpoints[offset...] + endpoints[..<offset])
    }
}
