extension Ingress {
    static let pathTypes = ["Exact", "Prefix", "ImplementationSpecific"]

    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        let spec = self.spec ?? IngressSpec()
        if let className = spec.ingressClassName {
            errors.check("spec.ingressClassName", className, NameValidation.dns1123Subdomain(className))
        }
        if spec.defaultBackend == nil && (spec.rules ?? []).isEmpty {
            errors.invalid("spec", json: .object([:]), "either `defaultBackend` or `rules` must be specified")
        }
        if let backend = spec.defaultBackend { backend.validate(into: &errors, path: "spec.defaultBackend") }
        for (index, tls) in (spec.tls ?? []).enumerated() {
            for (hostIndex, host) in (tls.hosts ?? []).enumerated() {
                Ingress.validateHost(host, field: "spec.tls[\(index)].hosts[\(hostIndex)]", into: &errors)
            }
            if let secretName = tls.secretName, !secretName.isEmpty {
                errors.check("spec.tls[\(index)].secretName", secretName, NameValidation.dns1123Subdomain(secretName))
            }
        }
        for (index, rule) in (spec.rules ?? []).enumerated() {
            let field = "spec.rules[\(index)]"
            if let host = rule.host, !host.isEmpty { Ingress.validateHost(host, field: "\(field).host", into: &errors) }
            guard let http = rule.http else { continue }
            if http.paths.isEmpty { errors.required("\(field).http.paths") }
            for (pathIndex, path) in http.paths.enumerated() {
                path.validate(into: &errors, path: "\(field).http.paths[\(pathIndex)]")
            }
        }
    }

    /// A DNS subdomain, optionally starting with one `*.` wildcard label; IPs are not allowed.
    static func validateHost(_ host: String, field: String, into errors: inout FieldErrors) {
        if NameValidation.isIPv4(host) {
            errors.invalid(field, host, "must be a DNS name, not an IP address")
            return
        }
        let name = host.hasPrefix("*.") ? String(host.dropFirst(2)) : host
        errors.check(field, host, NameValidation.dns1123Subdomain(name))
    }
}

extension HTTPIngressPath {
    func validate(into errors: inout FieldErrors, path field: String) {
        let text = path ?? ""
        if let pathType {
            errors.oneOf("\(field).pathType", pathType, Ingress.pathTypes)
        } else {
            errors.required("\(field).pathType", "pathType must be specified")
        }
        if text.isEmpty {
            if pathType == "Exact" || pathType == "Prefix" {
                errors.invalid("\(field).path", text, "must be an absolute path")
            }
        } else if !text.hasPrefix("/") {
            errors.invalid("\(field).path", text, "must be an absolute path")
        } else if pathType == "Exact" || pathType == "Prefix" {
            for bad in ["//", "/./", "/../", "%2f", "%2F"] where text.contains(bad) {
                errors.invalid("\(field).path", text, "must not contain '\(bad)'")
            }
            if text.hasSuffix("/..") || text.hasSuffix("/.") {
                errors.invalid("\(field).path", text, "must not end with '/..' or '/.'")
            }
        }
        backend.validate(into: &errors, path: "\(field).backend")
    }
}

extension IngressBackend {
    func validate(into errors: inout FieldErrors, path: String) {
        switch (service, resource) {
        case (nil, nil):
            errors.invalid(path, json: .object([:]), "one backend (service or resource) must be specified")
        case (.some, .some):
            errors.invalid(path, json: .object([:]), "cannot set both service and resource backends")
        case (let service?, nil):
            if service.name.isEmpty {
                errors.required("\(path).service.name")
            } else {
                errors.check("\(path).service.name", service.name, NameValidation.dns1035Label(service.name))
            }
            let port = service.port ?? ServiceBackendPort()
            switch (port.name, port.number) {
            case (let name?, let number?) where !name.isEmpty && number != 0:
                errors.invalid("\(path).service.port", name, "cannot set both port name & port number")
            case (let name?, _) where !name.isEmpty:
                errors.check("\(path).service.port.name", name, NameValidation.portName(name))
            case (_, let number?) where number != 0:
                errors.port("\(path).service.port.number", number)
            default:
                errors.required("\(path).service.port", "port name or number is required")
            }
        case (nil, let resource?):
            if resource.kind.isEmpty { errors.required("\(path).resource.kind") }
            if resource.name.isEmpty { errors.required("\(path).resource.name") }
        }
    }
}
