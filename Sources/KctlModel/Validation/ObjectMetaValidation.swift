/// How a kind's names are checked.
enum NameRule: Sendable {
    case dns1123Subdomain, dns1123Label, dns1035Label, pathSegment

    func check(_ name: String) -> [String] {
        switch self {
        case .dns1123Subdomain: return NameValidation.dns1123Subdomain(name)
        case .dns1123Label: return NameValidation.dns1123Label(name)
        case .dns1035Label: return NameValidation.dns1035Label(name)
        case .pathSegment: return NameValidation.pathSegmentName(name)
        }
    }
}

extension ObjectMeta {
    static let totalAnnotationSizeLimit = 256 * 1024

    /// Validates an object's own metadata: name (or generateName), namespace, labels, annotations,
    /// finalizers and owner references.
    func validate(into errors: inout FieldErrors, namespaced: Bool, nameRule: NameRule) {
        let name = self.name ?? ""
        let generateName = self.generateName ?? ""
        if name.isEmpty {
            if generateName.isEmpty {
                errors.required("metadata.name", "name or generateName is required")
            } else {
                var prefix = generateName
                while prefix.hasSuffix("-") { prefix.removeLast() }
                if !prefix.isEmpty { errors.check("metadata.generateName", generateName, nameRule.check(prefix)) }
            }
        } else {
            errors.check("metadata.name", name, nameRule.check(name))
        }
        let namespace = self.namespace ?? ""
        if namespaced {
            if namespace.isEmpty {
                errors.required("metadata.namespace")
            } else {
                errors.check("metadata.namespace", namespace, NameValidation.dns1123Label(namespace))
            }
        } else if !namespace.isEmpty {
            errors.forbidden("metadata.namespace", "not allowed on this type")
        }
        validateLabelsAndAnnotations(into: &errors, path: "metadata")
        for (index, finalizer) in (finalizers ?? []).enumerated() {
            errors.check("metadata.finalizers[\(index)]", finalizer, NameValidation.qualifiedName(finalizer))
        }
        errors.nonNegative("metadata.deletionGracePeriodSeconds", deletionGracePeriodSeconds)
        var controllers = 0
        for (index, reference) in (ownerReferences ?? []).enumerated() {
            let path = "metadata.ownerReferences[\(index)]"
            if reference.apiVersion.isEmpty { errors.invalid("\(path).apiVersion", "", "version must not be empty") }
            if reference.kind.isEmpty { errors.invalid("\(path).kind", "", "kind must not be empty") }
            if reference.name.isEmpty { errors.invalid("\(path).name", "", "name must not be empty") }
            if reference.uid.isEmpty { errors.invalid("\(path).uid", "", "uid must not be empty") }
            if reference.controller == true { controllers += 1 }
        }
        if controllers > 1 {
            errors.invalid(
                "metadata.ownerReferences", json: .int(Int64(controllers)),
                "Only one reference can have Controller set to true")
        }
    }

    /// Labels and annotations only: for pod templates' metadata.
    func validateLabelsAndAnnotations(into errors: inout FieldErrors, path: String) {
        errors.labels("\(path).labels", labels)
        var size = 0
        for (key, value) in (annotations ?? [:]).sorted(by: { $0.key < $1.key }) {
            errors.check("\(path).annotations", key, NameValidation.qualifiedName(key.lowercased()))
            size += key.utf8.count + value.utf8.count
        }
        if size > ObjectMeta.totalAnnotationSizeLimit {
            errors.tooLong("\(path).annotations", ObjectMeta.totalAnnotationSizeLimit)
        }
    }
}
