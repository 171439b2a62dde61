import KctlModel

/// Which addresses the service proxy should listen on, and for which Service port: a pure function
/// of the Services (and whether each port has ready endpoints), so the proxy only has to compare it
/// with what is open.
struct ServiceListenerPlan: Equatable, Sendable {
    /// A TCP address on loopback: a ClusterIP and port, or 127.0.0.1 and a node port.
    struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
        var host: String
        var port: Int

        var description: String { "\(host):\(port)" }

        static func < (a: Address, b: Address) -> Bool { (a.host, a.port) < (b.host, b.port) }
    }

    /// A Service port: where accepted connections go.
    struct Target: Hashable, Sendable, CustomStringConvertible {
        var namespace: String
        var service: String
        /// The Service port's name, "" when unnamed: the Endpoints port of the same name.
        var portName: String
        var port: Int

        var description: String { "\(namespace)/\(service):\(portName.isEmpty ? String(port) : portName)" }
    }

    var listeners: [Address: Target] = [:]
    /// Ports left out because another Service already claimed their address.
    var conflicts: [String] = []

    /// - Parameters:
    ///   - services: every Service (any order; sorted here so a conflict always resolves alike).
    ///   - nodeAddress: where `NodePort` ports listen.
    ///   - isReady: whether a target has a ready endpoint. Targets without one get no listener, so
    ///     that clients are refused at once, as kube-proxy rejects connections to such Services.
    init(services: [KubeObject], nodeAddress: String, isReady: (Target) -> Bool) {
        for service in services.sorted(by: { $0.key < $1.key }) {
            guard let spec = service.spec, spec["type"]?.stringValue != "ExternalName" else { continue }
            let clusterIP = spec["clusterIP"]?.stringValue ?? ""
            let hasClusterIP = !clusterIP.isEmpty && clusterIP != "None"
            let type = spec["type"]?.stringValue ?? "ClusterIP"
            let exposesNodePorts = type == "NodePort" || type == "LoadBalancer"
            for port in spec["ports"]?.arrayValue ?? [] {
                guard (port["protocol"]?.stringValue ?? "TCP") == "TCP", let number = port["port"]?.intValue else {
                    continue
                }
                let target = Target(
                    namespace: service.namespace ?? "default", service: service.name,
                    portName: port["name"]?.stringValue ?? "", port: Int(number))
                var addresses: [Address] = []
                if hasClusterIP { addresses.append(Address(host: clusterIP, port: Int(number))) }
                if exposesNodePorts, let nodePort = port["nodePort"]?.intValue {
                    addresses.append(Address(host: nodeAddress, port: Int(nodePort)))
                }
                guard !addresses.isEmpty, isReady(target) else { continue }
                for address in addresses {
                    if let owner = listeners[address] {
                        conflicts.append("\(target): \(address) is already used by \(owner)")
                        continue
                    }
                    listeners[address] = target
                }
            }
        }
    }
}
