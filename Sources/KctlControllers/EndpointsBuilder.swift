import KctlModel

/// The Endpoints a Service with a selector should have, as a pure function of the Service and
/// the pods: the decision half of the endpoints controller, tested without a store.
///
///     let endpoints = EndpointsBuilder.endpoints(for: service, pods: podsInNamespace)
///
/// A pod is an address when the selector matches it, it has an IP and it has not finished
/// (`Succeeded`/`Failed`). It is ready (under `addresses`) when its Ready condition is True and it
/// is not being deleted, else under `notReadyAddresses` (a terminating pod stops getting new
/// traffic at once); `publishNotReadyAddresses` makes every address ready. Each Service port maps
/// to the pod's `targetPort`: a number as is, a name through the pod's own container ports (same
/// name and protocol), so replicas may differ; a pod that declares none of the named ports is left
/// out, as Kubernetes does. Pods with the same resolved ports share one subset. Everything is
/// sorted, so the same input always gives the same object and unchanged state writes nothing.
public enum EndpointsBuilder {
    /// A named `targetPort` that some selected pods do not declare.
    public struct UnresolvedPort: Sendable, Hashable {
        /// The Service port's name (`""` when unnamed).
        public var servicePort: String
        /// The container port name looked for.
        public var targetPort: String
        public var `protocol`: String
        /// The pods without it, sorted.
        public var pods: [String]

        public init(servicePort: String, targetPort: String, protocol: String, pods: [String]) {
            self.servicePort = servicePort
            self.targetPort = targetPort
            self.protocol = `protocol`
            self.pods = pods
        }
    }

    private struct MissingPort: Hashable {
        var servicePort: String
        var targetPort: String
        var `protocol`: String
    }

    /// The desired Endpoints and what could not be resolved.
    public struct Result: Sendable, Hashable {
        public var endpoints: Endpoints
        public var unresolved: [UnresolvedPort]
        public var readyCount: Int
        public var notReadyCount: Int
    }

    /// The Endpoints `service` should have, from `pods` (any pods: those of other namespaces or not
    /// selected are ignored).
    public static func endpoints(for service: Service, pods: [Pod]) -> Endpoints {
        build(for: service, pods: pods).endpoints
    }

    /// `endpoints(for:pods:)` with the unresolved port names and the address counts.
    public static func build(for service: Service, pods: [Pod]) -> Result {
        let namespace = service.metadata.namespace ?? "default"
        let spec = service.spec ?? ServiceSpec()
        let selector = spec.selector ?? [:]
        let servicePorts = spec.ports ?? []
        let publishNotReady = spec.publishNotReadyAddresses == true

        var groups: [[EndpointPort]: (ready: [EndpointAddress], notReady: [EndpointAddress])] = [:]
        var missing: [MissingPort: [String]] = [:]
        let selected = selector.isEmpty ? [] : pods.filter { pod in
            (pod.metadata.namespace ?? "default") == namespace
                && selector.allSatisfy { pod.metadata.labels?[$0.key] == $0.value }
        }
        for pod in selected.sorted(by: { $0.name < $1.name }) {
            let phase = pod.status?.phase ?? "Pending"
            guard phase != "Succeeded", phase != "Failed", let ip = pod.status?.podIP, !ip.isEmpty else { continue }
            var ports: [EndpointPort] = []
            for servicePort in servicePorts {
                let proto = servicePort.protocol ?? "TCP"
                let name = servicePort.name.flatMap { $0.isEmpty ? nil : $0 }
                let number: Int32
                switch servicePort.targetPort ?? .int(servicePort.port) {
                case .int(let given):
                    number = given
                case .string(let portName):
                    guard let found = containerPort(named: portName, protocol: proto, in: pod) else {
                        let key = MissingPort(servicePort: name ?? "", targetPort: portName, protocol: proto)
                        missing[key, default: []].append(pod.name)
                        continue
                    }
                    number = found
                }
                let appProtocol = servicePort.appProtocol
                ports.append(EndpointPort(name: name, port: number, protocol: proto, appProtocol: appProtocol))
            }
            // Every port of a Service with ports is unresolvable for this pod: it serves nothing.
            if ports.isEmpty && !servicePorts.isEmpty { continue }
            let address = EndpointAddress(
                ip: ip, nodeName: pod.spec?.nodeName.flatMap { $0.isEmpty ? nil : $0 },
                targetRef: ObjectReference(kind: "Pod", namespace: namespace, name: pod.name, uid: pod.metadata.uid))
            let key = ports.sorted(by: portOrder)
            if publishNotReady || isReady(pod) {
                groups[key, default: ([], [])].ready.append(address)
            } else {
                groups[key, default: ([], [])].notReady.append(address)
            }
        }

        var subsets: [EndpointSubset] = []
        var readyCount = 0
        var notReadyCount = 0
        for ports in groups.keys.sorted(by: { portsOrder($0, $1) }) {
            let group = groups[ports]!
            readyCount += group.ready.count
            notReadyCount += group.notReady.count
            subsets.append(
                EndpointSubset(
                    addresses: group.ready.isEmpty ? nil : group.ready.sorted(by: addressOrder),
                    notReadyAddresses: group.notReady.isEmpty ? nil : group.notReady.sorted(by: addressOrder),
                    ports: ports.isEmpty ? nil : ports))
        }

        var labels = service.metadata.labels ?? [:]
        if spec.clusterIP == "None" { labels["service.kubernetes.io/headless"] = "" }
        let endpoints = Endpoints(
            metadata: ObjectMeta(name: service.name, namespace: namespace, labels: labels.isEmpty ? nil : labels),
            subsets: subsets.isEmpty ? nil : subsets)
        let unresolved = missing.map { key, pods in
            UnresolvedPort(servicePort: key.servicePort, targetPort: key.targetPort, protocol: key.protocol, pods: pods)
        }.sorted { ($0.servicePort, $0.targetPort) < ($1.servicePort, $1.targetPort) }
        return Result(
            endpoints: endpoints, unresolved: unresolved, readyCount: readyCount, notReadyCount: notReadyCount)
    }

    /// Ready condition True and not being deleted.
    static func isReady(_ pod: Pod) -> Bool {
        guard pod.metadata.deletionTimestamp == nil else { return false }
        return pod.status?.conditions?.first { $0.type == "Ready" }?.status == "True"
    }

    /// The number of the container port `name`/`protocol`, searching containers in order.
    static func containerPort(named name: String, protocol proto: String, in pod: Pod) -> Int32? {
        for container in pod.spec?.containers ?? [] {
            for port in container.ports ?? [] where port.name == name && (port.protocol ?? "TCP") == proto {
                return port.containerPort
            }
        }
        return nil
    }

    private static func portOrder(_ a: EndpointPort, _ b: EndpointPort) -> Bool {
        (a.name ?? "", a.port, a.protocol ?? "") < (b.name ?? "", b.port, b.protocol ?? "")
    }

    private static func portsOrder(_ a: [EndpointPort], _ b: [EndpointPort]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return portOrder(x, y) }
        return a.count < b.count
    }

    /// By IP, numerically for IPv4 (`127.1.0.9` before `127.1.0.10`), then by pod name.
    private static func addressOrder(_ a: EndpointAddress, _ b: EndpointAddress) -> Bool {
        let (x, y) = (ipKey(a.ip), ipKey(b.ip))
        if x != y { return x.lexicographicallyPrecedes(y) }
        return (a.targetRef?.name ?? "") < (b.targetRef?.name ?? "")
    }

    private static func ipKey(_ ip: String) -> [Int] {
        let parts = ip.split(separator: ".").compactMap { Int($0) }
        return parts.count == 4 ? parts : ip.unicodeScalars.map { Int($0.value) + 256 }
    }
}
