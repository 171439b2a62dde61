extension Namespace {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: false, nameRule: .dns1123Label)
        errors.oneOf("status.phase", status?.phase, ["Active", "Terminating"])
        for (index, finalizer) in (spec?.finalizers ?? []).enumerated() {
            errors.check("spec.finalizers[\(index)]", finalizer, NameValidation.qualifiedName(finalizer))
        }
    }
}

extension Node {
    static let taintEffects = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
    static let addressTypes = ["Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"]

    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: false, nameRule: .dns1123Subdomain)
        var seenTaints = Set<String>()
        for (index, taint) in (spec?.taints ?? []).enumerated() {
            let field = "spec.taints[\(index)]"
            if taint.key.isEmpty {
                errors.required("\(field).key")
            } else {
                errors.check("\(field).key", taint.key, NameValidation.qualifiedName(taint.key))
            }
            if let value = taint.value { errors.check("\(field).value", value, NameValidation.labelValue(value)) }
            if taint.effect.isEmpty {
                errors.required("\(field).effect")
            } else {
                errors.oneOf("\(field).effect", taint.effect, Node.taintEffects)
            }
            if !seenTaints.insert("\(taint.key):\(taint.effect)").inserted {
                errors.duplicate(field, "\(taint.key):\(taint.effect)")
            }
        }
        for (section, values) in [("capacity", status?.capacity ?? [:]), ("allocatable", status?.allocatable ?? [:])] {
            for (name, quantity) in values.sorted(by: { $0.key < $1.key }) {
                errors.check("status.\(section)[\(name)]", name, NameValidation.qualifiedName(name))
                if quantity.isNegative {
                    errors.invalid("status.\(section)[\(name)]", quantity.string, "must be greater than or equal to 0")
                }
            }
        }
        for (index, address) in (status?.addresses ?? []).enumerated() {
            errors.oneOf("status.addresses[\(index)].type", address.type, Node.addressTypes)
            if address.address.isEmpty { errors.required("status.addresses[\(index)].address") }
        }
    }
}

extension Event {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        errors.oneOf("type", type, ["Normal", "Warning"])
        if (involvedObject.kind ?? "").isEmpty { errors.required("involvedObject.kind") }
        if let eventNamespace = metadata.namespace, let objectNamespace = involvedObject.namespace,
            !objectNamespace.isEmpty, objectNamespace != eventNamespace
        {
            errors.invalid("involvedObject.namespace", objectNamespace, "does not match event.namespace")
        }
        errors.nonNegative("count", count)
    }
}

extension Lease {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        if let duration = spec?.leaseDurationSeconds {
            errors.positive("spec.leaseDurationSeconds", duration)
        }
        errors.nonNegative("spec.leaseTransitions", spec?.leaseTransitions)
    }
}
