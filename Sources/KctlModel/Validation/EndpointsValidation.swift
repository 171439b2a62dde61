extension Endpoints: Admissible {
    /// Ports default to TCP; an empty subset list is stored as none.
    mutating func applyDefaults() {
        guard var subsets else { return }
        for index in subsets.indices {
            guard var ports = subsets[index].ports else { continue }
            for p in ports.indices where ports[p].protocol == nil { ports[p].protocol = "TCP" }
            subsets[index].ports = ports
        }
        self.subsets = subsets.isEmpty ? nil : subsets
    }

    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        for (index, subset) in (subsets ?? []).enumerated() {
            let field = "subsets[\(index)]"
            let addresses = subset.addresses ?? []
            let notReady = subset.notReadyAddresses ?? []
            if addresses.isEmpty && notReady.isEmpty {
                errors.required(field, "must specify `addresses` or `notReadyAddresses`")
            }
            for (i, address) in addresses.enumerated() { address.validate(into: &errors, "\(field).addresses[\(i)]") }
            for (i, address) in notReady.enumerated() {
                address.validate(into: &errors, "\(field).notReadyAddresses[\(i)]")
            }
            let ports = subset.ports ?? []
            var names = Set<String>()
            for (i, port) in ports.enumerated() {
                let portField = "\(field).ports[\(i)]"
                if let name = port.name, !name.isEmpty {
                    errors.check("\(portField).name", name, NameValidation.dns1123Label(name))
                    if !names.insert(name).inserted { errors.duplicate("\(portField).name", name) }
                } else if ports.count > 1 {
                    errors.required("\(portField).name")
                }
                errors.port("\(portField).port", port.port)
                if port.protocol == nil {
                    errors.required("\(portField).protocol")
                } else {
                    errors.oneOf("\(portField).protocol", port.protocol, PodSpec.protocols)
                }
            }
        }
    }
}

extension EndpointAddress {
    func validate(into errors: inout FieldErrors, _ field: String) {
        if !NameValidation.isIPv4(ip) && !NameValidation.isIPv6(ip) {
            errors.invalid("\(field).ip", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
        }
        if let hostname, !hostname.isEmpty {
            errors.check("\(field).hostname", hostname, NameValidation.dns1123Label(hostname))
        }
        if let nodeName, !nodeName.isEmpty {
            errors.check("\(field).nodeName", nodeName, NameValidation.dns1123Subdomain(nodeName))
        }
    }
}
