import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import Synchronization

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
    /// Bumped after every Service or Endpoints change reaches the caches: a `ResolvedPort` of an
    /// older generation may be stale.
    private let changes = Atomic<Int>(0)
    /// The latest `ResolvedPort` of each Service port asked for.
    private let resolvedPorts = Locked<[PortKey: ResolvedPort]>([:])

    /// - Parameter shared: where the Service and Endpoints informers come from in a daemon (nil: its own).
    init(store: any Store, logger: Logger, informers shared: SharedInformers? = nil) {
        services = SharedInformers.informer(for: .service, from: shared, store: store, logger: logger)
        endpoints = SharedInformers.informer(for: .endpoints, from: shared, store: store, logger: logger)
        services.addHandler { [weak self] _ in self?.changed() }
        endpoints.addHandler { [weak self] _ in self?.changed() }
    }

    private func changed() {
        changes.add(1, ordering: .releasing)
        resolvedPorts.withLock { $0.removeAll(keepingCapacity: true) }
    }

    /// The directory's generation: it moves on with every Service or Endpoints change.
    var generation: Int { changes.load(ordering: .acquiring) }

    /// A Service port's resolution as of now, shared by every request to it until the next change
    /// (the ingress asks again only when `generation` moved: no lock, lookup or parse per request).
    func resolvedPort(namespace: String, service: String, port: IngressRoutes.Backend.Port) -> ResolvedPort {
        let key = PortKey(namespace: namespace, service: service, port: port)
        let generation = self.generation
        if let cached = resolvedPorts.withLock({ $0[key] }), cached.generation == generation { return cached }
        let fresh = ResolvedPort(
            resolution: resolve(namespace: namespace, service: service, port: port), generation: generation)
        resolvedPorts.withLock { $0[key] = fresh }
        return fresh
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
    func rotated(_ endpoints: [Endpoint], key: String) -> EndpointCycle {
        guard endpoints.count > 1 else { return EndpointCycle(endpoints) }
        let start = counters.withLock { counters -> Int in
            let value = counters[key, default: 0]
            counters[key] = value &+ 1
            return value
        }
        return EndpointCycle(endpoints, start: start)
    }
}

/// A Service port resolved at one `ServiceDirectory.generation`, with the round-robin position
/// its requests share.
final class ResolvedPort: Sendable {
    let resolution: ServiceDirectory.Resolution
    let generation: Int
    private let next = Atomic<Int>(0)

    init(resolution: ServiceDirectory.Resolution, generation: Int) {
        self.resolution = resolution
        self.generation = generation
    }

    /// The ready endpoints, rotated by one more place each call (round robin; a failed attempt
    /// continues with the next element).
    func rotated() -> EndpointCycle {
        guard case .endpoints(let ready, _) = resolution else { return EndpointCycle() }
        guard ready.count > 1 else { return EndpointCycle(ready) }
        return EndpointCycle(ready, start: next.wrappingAdd(1, ordering: .relaxed).oldValue)
    }
}

/// A Service port as an Ingress backend names it.
struct PortKey: Hashable, Sendable {
    var namespace: String
    var service: String
    var port: IngressRoutes.Backend.Port
}
