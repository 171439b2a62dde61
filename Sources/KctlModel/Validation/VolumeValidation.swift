/// Volume and volume-mount checks with Kubernetes' rules and messages, plus one of kctl's own: a
/// mountPath may not contain `..`, because kctl places mounts under the pod's working directory
/// and a `..` would reach outside it.
extension Volume {
    /// The `hostPath.type` values Kubernetes knows; "" means no check.
    static let hostPathTypes = [
        "", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice",
    ]

    /// How many volume sources are set (exactly one is valid).
    var sourceCount: Int {
        [
            emptyDir != nil, configMap != nil, secret != nil, hostPath != nil, persistentVolumeClaim != nil,
            projected != nil, downwardAPI != nil, ephemeral != nil, csi != nil, nfs != nil, image != nil,
        ].filter { $0 }.count
    }

    /// Checks one volume at `path` (`spec.volumes[0]`); a valid, new name goes into `names`.
    func validate(into errors: inout FieldErrors, path: String, names: inout Set<String>) {
        if name.isEmpty {
            errors.required("\(path).name")
        } else {
            errors.check("\(path).name", name, NameValidation.dns1123Label(name))
            if !names.insert(name).inserted { errors.duplicate("\(path).name", name) }
        }
        switch sourceCount {
        case 0: errors.required(path, "must specify a volume type")
        case 1: break
        default: errors.forbidden(path, "may not specify more than 1 volume type")
        }
        if let hostPath {
            let field = "\(path).hostPath"
            if hostPath.path.isEmpty {
                errors.required("\(field).path")
            } else {
                VolumeValidation.noBacksteps(hostPath.path, field: "\(field).path", into: &errors)
            }
            errors.oneOf("\(field).type", hostPath.type, Self.hostPathTypes)
        }
        if let emptyDir {
            errors.oneOf("\(path).emptyDir.medium", emptyDir.medium, ["", "Memory"])
            if let limit = emptyDir.sizeLimit, limit.isNegative {
                errors.invalid("\(path).emptyDir.sizeLimit", limit.string, "must be greater than or equal to 0")
            }
        }
        if let configMap {
            let field = "\(path).configMap"
            if let name = configMap.name, !name.isEmpty {
                errors.check("\(field).name", name, NameValidation.dns1123Subdomain(name))
            } else {
                errors.required("\(field).name")
            }
            VolumeValidation.mode("\(field).defaultMode", configMap.defaultMode, into: &errors)
            VolumeValidation.items(configMap.items, field: "\(field).items", into: &errors)
        }
        if let secret {
            let field = "\(path).secret"
            if let name = secret.secretName, !name.isEmpty {
                errors.check("\(field).secretName", name, NameValidation.dns1123Subdomain(name))
            } else {
                errors.required("\(field).secretName")
            }
            VolumeValidation.mode("\(field).defaultMode", secret.defaultMode, into: &errors)
            VolumeValidation.items(secret.items, field: "\(field).items", into: &errors)
        }
    }
}

extension VolumeMount {
    /// Checks one mount at `path` (`spec.containers[0].volumeMounts[0]`) against the pod's volume
    /// names; a new mountPath goes into `mountPaths`.
    func validate(into errors: inout FieldErrors, path: String, volumes: Set<String>, mountPaths: inout Set<String>) {
        if name.isEmpty {
            errors.required("\(path).name")
        } else if !volumes.contains(name) {
            errors.notFound("\(path).name", name)
        }
        if mountPath.isEmpty {
            errors.required("\(path).mountPath")
        } else {
            VolumeValidation.noBacksteps(mountPath, field: "\(path).mountPath", into: &errors)
            // "/data" and "/data/" are one place.
            if !mountPaths.insert(VolumeValidation.normalized(mountPath)).inserted {
                errors.invalid("\(path).mountPath", mountPath, "must be unique")
            }
        }
        if let subPath, !subPath.isEmpty {
            VolumeValidation.relative(subPath, field: "\(path).subPath", into: &errors)
            if let expression = subPathExpr, !expression.isEmpty {
                errors.invalid("\(path).subPathExpr", expression, "subPathExpr and subPath are mutually exclusive")
            }
        } else if let expression = subPathExpr, !expression.isEmpty {
            VolumeValidation.relative(expression, field: "\(path).subPathExpr", into: &errors)
        }
        errors.oneOf("\(path).mountPropagation", mountPropagation, ["None", "HostToContainer", "Bidirectional"])
    }
}

/// Path checks shared by volumes and mounts.
enum VolumeValidation {
    /// A path with no `..` element.
    static func noBacksteps(_ path: String, field: String, into errors: inout FieldErrors) {
        if path.split(separator: "/").contains("..") {
            errors.invalid(field, path, "must not contain '..'")
        }
    }

    /// A relative path with no `..` element (subPath, items[].path).
    static func relative(_ path: String, field: String, into errors: inout FieldErrors) {
        if path.hasPrefix("/") { errors.invalid(field, path, "must be a relative path") }
        noBacksteps(path, field: field, into: &errors)
    }

    /// A file mode between 0 and 0777.
    static func mode(_ field: String, _ mode: Int32?, into errors: inout FieldErrors) {
        if let mode, !(0...0o777).contains(mode) {
            errors.invalid(field, number: mode, "must be a number between 0 and 0777 (octal), both inclusive")
        }
    }

    /// ConfigMap and Secret `items`: a valid key, a relative path without `..`, a valid mode.
    static func items(_ items: [KeyToPath]?, field: String, into errors: inout FieldErrors) {
        for (index, item) in (items ?? []).enumerated() {
            let path = "\(field)[\(index)]"
            if item.key.isEmpty {
                errors.required("\(path).key")
            } else {
                errors.check("\(path).key", item.key, NameValidation.configMapKey(item.key))
            }
            if item.path.isEmpty {
                errors.required("\(path).path")
            } else {
                relative(item.path, field: "\(path).path", into: &errors)
                // The volume's own bookkeeping entries (`..data`) start with "..".
                if item.path.hasPrefix("..") { errors.invalid("\(path).path", item.path, "must not start with '..'") }
            }
            mode("\(path).mode", item.mode, into: &errors)
        }
    }

    /// A mount path without repeated, trailing or `.` separators, for comparisons.
    static func normalized(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }
}
