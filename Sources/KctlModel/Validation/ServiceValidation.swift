extension Service {
    static let types = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]

    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1035Label)
        let spec = self.spec ?? ServiceSpec()
        let type = spec.type ?? "ClusterIP"
        errors.oneOf("spec.type", type, Service.types)
        errors.oneOf("spec.sessionAffinity", spec.sessionAffinity, ["ClientIP", "None"])
        errors.oneOf("spec.externalTrafficPolicy", spec.externalTrafficPolicy, ["Cluster", "Local"])
        errors.oneOf("spec.internalTrafficPolicy", spec.internalTrafficPolicy, ["Cluster", "Local"])
        let ports = spec.ports ?? []
        let headless = spec.clusterIP == "None"
        if type == "ExternalName" {
            let externalName = spec.externalName ?? ""
            if externalName.isEmpty {
                errors.required("spec.externalName")
            } else {
                errors.check("spec.externalName", externalName, NameValidation.dns1123Subdomain(externalName))
            }
        } else if ports.isEmpty && !headless {
            errors.required("spec.ports")
        }
        if let clusterIP = spec.clusterIP, !clusterIP.isEmpty, clusterIP != "None",
            !NameValidation.isIPv4(clusterIP), !NameValidation.isIPv6(clusterIP)
        {
            errors.invalid("spec.clusterIP", clusterIP, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
        }
        var names = Set<String>()
        var seen = Set<String>()
        for (index, port) in ports.enumerated() {
            let field = "spec.ports[\(index)]"
            if let name = port.name, !name.isEmpty {
                errors.check("\(field).name", name, NameValidation.dns1123Label(name))
                if !names.insert(name).inserted { errors.duplicate("\(field).name", name) }
            } else if ports.count > 1 {
                errors.required("\(field).name")
            }
            errors.port("\(field).port", port.port)
            errors.oneOf("\(field).protocol", port.protocol, PodSpec.protocols)
            if let target = port.targetPort { errors.portNumberOrName("\(field).targetPort", target) }
            if let nodePort = port.nodePort, nodePort != 0 {
                errors.port("\(field).nodePort", nodePort)
                if type != "NodePort" && type != "LoadBalancer" {
                    errors.forbidden("\(field).nodePort", "may not be used when `type` is '\(type)'")
                }
            }
            let key = "\(port.port)/\(port.protocol ?? "TCP")"
            if !seen.insert(key).inserted {
                errors.duplicate(field, key)
            }
        }
        errors.labels("spec.selector", spec.selector)
        for (index, ip) in (spec.externalIPs ?? []).enumerated()
        where !NameValidation.isIPv4(ip) && !NameValidation.isIPv6(ip) {
            errors.invalid("spec.externalIPs[\(index)]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")
        }
    }

    func validateUpdate(from old: Service, into errors: inout FieldErrors) {
        if let oldIP = old.spec?.clusterIP, !oldIP.isEmpty, let newIP = spec?.clusterIP, !newIP.isEmpty, oldIP != newIP,
            spec?.type != "ExternalName"
        {
            errors.invalid("spec.clusterIP", newIP, "field is immutable")
        }
    }
}
