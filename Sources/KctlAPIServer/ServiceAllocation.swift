import KctlModel

/// Assigns a Service its cluster IP and node ports, as Kubernetes' API server does on create and
/// update, from what the other stored Services already hold. Pure: the caller lists the Services
/// and serializes "list, assign, write" (see `ServiceAllocationLock`), and the result lives only in
/// the stored object, so a restart loses nothing.
///
///     var allocation = ServiceAllocation(existing: storedServices, excluding: (namespace: "default", name: "users"))
///     let assigned = try allocation.assign(service, previous: nil)   // spec.clusterIP 127.2.0.1, ...
///
/// Cluster IPs come from `127.2.0.0/16` (lowest free first; addresses ending in `.0` or `.255` are
/// never used, so no address looks like a network or broadcast one), node ports from 30000-32767.
/// kctl is single-stack IPv4: `clusterIPs` holds exactly the `clusterIP`.
public struct ServiceAllocation: Sendable {
    public static let clusterIPRange = "127.2.0.0/16"
    public static let nodePortRange: ClosedRange<Int32> = 30000...32767
    /// 127.2.0.0, as a number.
    static let rangeBase: UInt32 = 127 << 24 | 2 << 16
    static let rangeSize: UInt32 = 1 << 16

    /// Cluster IPs (as numbers) and node ports other Services hold.
    public private(set) var usedIPs: Set<UInt32>
    public private(set) var usedNodePorts: Set<Int32>
    /// Addresses not to hand out automatically though no Service holds them (something on the
    /// host listens there: another kctld's service proxy). A given `clusterIP` may still use them.
    public var busyIPs: Set<UInt32> = []

    public init(usedIPs: Set<UInt32> = [], usedNodePorts: Set<Int32> = []) {
        self.usedIPs = usedIPs
        self.usedNodePorts = usedNodePorts
    }

    /// What the stored `services` hold, leaving out the one being written (`excluding`).
    public init(existing services: [KubeObject], excluding: (namespace: String?, name: String)? = nil) {
        self.init()
        for service in services {
            if let excluding, service.namespace == excluding.namespace, service.name == excluding.name { continue }
            let spec = service.spec
            var ips = (spec?["clusterIPs"]?.arrayValue ?? []).compactMap(\.stringValue)
            if let ip = spec?["clusterIP"]?.stringValue { ips.append(ip) }
            usedIPs.formUnion(ips.compactMap(Self.parseIPv4))
            for port in spec?["ports"]?.arrayValue ?? [] {
                guard let nodePort = port["nodePort"]?.intValue, nodePort != 0 else { continue }
                usedNodePorts.insert(Int32(clamping: nodePort))
            }
        }
    }

    /// `service` with its cluster IP and node ports filled in, and those marked used here.
    ///
    /// - `clusterIP` (or else `clusterIPs[0]`) unset: the previous one on an update, else the lowest
    ///   free address. Given: it must be in the range and free. `None` (headless) is kept.
    /// - NodePort and LoadBalancer Services (unless `allocateLoadBalancerNodePorts` is false): each
    ///   port without `nodePort` keeps the previous port's one (same port and protocol) on an update,
    ///   else gets the lowest free port. Given ones must be in the range and free.
    /// - ExternalName Services get nothing.
    ///
    /// Throws Invalid (422) naming the field for an address outside the range or already taken, and
    /// an internal error (500) when a range is full, as Kubernetes does.
    public mutating func assign(_ service: Service, previous: Service? = nil) throws -> Service {
        var service = service
        var spec = service.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        guard type != "ExternalName" else { return service }
        var causes: [StatusError.Cause] = []
        var ip: String?
        assignClusterIP(&spec, previous: previous?.spec, into: &ip, causes: &causes)
        var nodePorts: [Int32] = []
        try assignNodePorts(&spec, type: type, previous: previous?.spec, into: &nodePorts, causes: &causes)
        if !causes.isEmpty { throw StatusError.invalid(.service, service.name, causes) }
        if ip == nil && spec.clusterIP == nil {
            guard let free = lowestFreeIP() else {
                throw StatusError.internalError("failed to allocate a serviceIP: range is full")
            }
            ip = Self.format(free)
        }
        if let ip {
            spec.clusterIP = ip
            spec.clusterIPs = [ip]
            if let number = Self.parseIPv4(ip) { usedIPs.insert(number) }
        }
        if spec.ipFamilies == nil { spec.ipFamilies = ["IPv4"] }
        if spec.ipFamilyPolicy == nil { spec.ipFamilyPolicy = "SingleStack" }
        usedNodePorts.formUnion(nodePorts)
        service.spec = spec
        return service
    }

    /// The `KubeObject` form of `assign`: only `spec` changes.
    public mutating func assign(_ object: KubeObject, previous: KubeObject? = nil) throws -> KubeObject {
        let assigned = try assign(try Service(object), previous: previous.flatMap { try? Service($0) })
        var result = object
        result.spec = try JSONValue(encoding: assigned.spec ?? ServiceSpec())
        return result
    }

    // MARK: Cluster IP

    /// Settles `spec.clusterIP` except for a new address still to pick (then `ip` and
    /// `spec.clusterIP` stay nil); a kept or requested address goes to `ip`.
    private func assignClusterIP(
        _ spec: inout ServiceSpec, previous: ServiceSpec?, into ip: inout String?, causes: inout [StatusError.Cause]
    ) {
        let given = spec.clusterIP ?? ""
        let list = spec.clusterIPs ?? []
        if list.count > 1 {
            let detail = "only one IP family (IPv4) is supported"
            causes.append(invalid("spec.clusterIPs", list.joined(separator: ","), detail))
        }
        if let first = list.first, !given.isEmpty, first != given {
            causes.append(invalid("spec.clusterIPs[0]", first, "must be the same as spec.clusterIP"))
        }
        var requested = given.isEmpty ? (list.first ?? "") : given
        let previousIP = previous?.type == "ExternalName" ? "" : (previous?.clusterIP ?? "")
        if requested.isEmpty { requested = previousIP }
        if requested == "None" {
            spec.clusterIP = "None"
            spec.clusterIPs = ["None"]
            return
        }
        spec.clusterIP = nil
        guard !requested.isEmpty else { return }
        if requested == previousIP {
            ip = requested
            return
        }
        guard let number = Self.parseIPv4(requested), Self.isAllocatable(number) else {
            causes.append(
                invalid(
                    "spec.clusterIP", requested,
                    "provided IP is not in the valid range. The range of valid IPs is \(Self.clusterIPRange)"))
            return
        }
        if usedIPs.contains(number) {
            causes.append(invalid("spec.clusterIP", requested, "provided IP is already allocated"))
            return
        }
        ip = requested
    }

    func lowestFreeIP() -> UInt32? {
        var offset: UInt32 = 1
        while offset < Self.rangeSize - 1 {
            let candidate = Self.rangeBase + offset
            if Self.isAllocatable(candidate) && !usedIPs.contains(candidate) && !busyIPs.contains(candidate) {
                return candidate
            }
            offset += 1
        }
        return nil
    }

    static func isAllocatable(_ number: UInt32) -> Bool {
        let last = number & 0xFF
        return number & 0xFFFF_0000 == rangeBase && last != 0 && last != 255
    }

    // MARK: Node ports

    private func assignNodePorts(
        _ spec: inout ServiceSpec, type: String, previous: ServiceSpec?, into assigned: inout [Int32],
        causes: inout [StatusError.Cause]
    ) throws {
        guard var ports = spec.ports else { return }
        let wanted = type == "NodePort" || (type == "LoadBalancer" && spec.allocateLoadBalancerNodePorts != false)
        // Node port and protocol pairs this Service already uses (one number may serve TCP and UDP).
        var taken = Set<String>()
        for (index, port) in ports.enumerated() {
            guard let nodePort = port.nodePort, nodePort != 0 else { continue }
            let field = "spec.ports[\(index)].nodePort"
            if !Self.nodePortRange.contains(nodePort) {
                let range = "\(Self.nodePortRange.lowerBound)-\(Self.nodePortRange.upperBound)"
                let detail = "provided port is not in the valid range. The range of valid ports is \(range)"
                causes.append(invalid(field, number: nodePort, detail))
            } else if usedNodePorts.contains(nodePort)
                || !taken.insert("\(nodePort)/\(port.protocol ?? "TCP")").inserted
            {
                causes.append(invalid(field, number: nodePort, "provided port is already allocated"))
            } else {
                assigned.append(nodePort)
            }
        }
        guard wanted else { return }
        // Keep the previous node port of the same port and protocol first, then pick new ones, so
        // a new port never takes the number an existing one is about to keep.
        let previousPorts = previous?.ports ?? []
        for index in ports.indices where (ports[index].nodePort ?? 0) == 0 {
            let port = ports[index]
            let proto = port.protocol ?? "TCP"
            let kept = previousPorts.first { old in
                old.port == port.port && (old.protocol ?? "TCP") == proto && (old.nodePort ?? 0) != 0
            }?.nodePort
            if let kept, !usedNodePorts.contains(kept), taken.insert("\(kept)/\(proto)").inserted {
                ports[index].nodePort = kept
                assigned.append(kept)
            }
        }
        for index in ports.indices where (ports[index].nodePort ?? 0) == 0 {
            guard
                let free = Self.nodePortRange.first(where: { candidate in
                    !usedNodePorts.contains(candidate) && !assigned.contains(candidate)
                })
            else {
                throw StatusError.internalError("failed to allocate a nodePort: range is full")
            }
            taken.insert("\(free)/\(ports[index].protocol ?? "TCP")")
            ports[index].nodePort = free
            assigned.append(free)
        }
        spec.ports = ports
    }

    // MARK: Helpers

    private func invalid(_ field: String, _ value: String, _ detail: String) -> StatusError.Cause {
        StatusError.Cause(reason: "FieldValueInvalid", message: "Invalid value: \"\(value)\": \(detail)", field: field)
    }

    private func invalid(_ field: String, number: Int32, _ detail: String) -> StatusError.Cause {
        StatusError.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(number): \(detail)", field: field)
    }

    /// `127.2.0.1` as a number; nil for anything but four decimal octets.
    static func parseIPv4(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func format(_ number: UInt32) -> String {
        "\(number >> 24).\(number >> 16 & 0xFF).\(number >> 8 & 0xFF).\(number & 0xFF)"
    }
}
