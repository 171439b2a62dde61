extension Pod {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        guard let spec else {
            errors.required("spec.containers")
            return
        }
        spec.validate(into: &errors, path: "spec", restartPolicies: PodSpec.restartPolicies)
    }

    /// A pod's spec is fixed once created, except container images, `activeDeadlineSeconds`,
    /// added tolerations, and `nodeName` going from unset to set (kctl's scheduler binds that way).
    func validateUpdate(from old: Pod, into errors: inout FieldErrors) {
        guard var newSpec = spec, var oldSpec = old.spec else { return }
        if oldSpec.nodeName == nil || oldSpec.nodeName == "" { oldSpec.nodeName = newSpec.nodeName }
        for index in newSpec.containers.indices where index < oldSpec.containers.count {
            oldSpec.containers[index].image = newSpec.containers[index].image
            oldSpec.containers[index].imagePullPolicy = newSpec.containers[index].imagePullPolicy
        }
        oldSpec.activeDeadlineSeconds = newSpec.activeDeadlineSeconds
        if (newSpec.tolerations ?? []).starts(with: oldSpec.tolerations ?? []) {
            oldSpec.tolerations = newSpec.tolerations
        }
        newSpec.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds
        if newSpec != oldSpec {
            errors.forbidden(
                "spec",
                "pod updates may not change fields other than `spec.containers[*].image`, "
                    + "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations)")
        }
    }
}

extension PodSpec {
    static let restartPolicies = ["Always", "OnFailure", "Never"]
    static let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
    static let protocols = ["TCP", "UDP", "SCTP"]

    /// Validates a pod spec at `path` (`spec`, `spec.template.spec`). Workloads allow only `Always`.
    func validate(into errors: inout FieldErrors, path: String, restartPolicies: [String]) {
        var volumeNames = Set<String>()
        for (index, volume) in (volumes ?? []).enumerated() {
            volume.validate(into: &errors, path: "\(path).volumes[\(index)]", names: &volumeNames)
        }
        if containers.isEmpty { errors.required("\(path).containers") }
        var names = Set<String>()
        for (index, container) in (initContainers ?? []).enumerated() {
            container.validate(into: &errors, path: "\(path).initContainers[\(index)]", names: &names,
                               volumes: volumeNames, isInit: true)
        }
        for (index, container) in containers.enumerated() {
            container.validate(into: &errors, path: "\(path).containers[\(index)]", names: &names,
                               volumes: volumeNames, isInit: false)
        }
        if let restartPolicy {
            errors.oneOf("\(path).restartPolicy", restartPolicy, restartPolicies)
        }
        errors.oneOf("\(path).dnsPolicy", dnsPolicy, PodSpec.dnsPolicies)
        errors.nonNegative("\(path).terminationGracePeriodSeconds", terminationGracePeriodSeconds)
        errors.positive("\(path).activeDeadlineSeconds", activeDeadlineSeconds)
        errors.labels("\(path).nodeSelector", nodeSelector)
        if let nodeName, !nodeName.isEmpty {
            errors.check("\(path).nodeName", nodeName, NameValidation.dns1123Subdomain(nodeName))
        }
        if let serviceAccountName, !serviceAccountName.isEmpty {
            errors.check("\(path).serviceAccountName", serviceAccountName, NameValidation.dns1123Subdomain(serviceAccountName))
        }
        SchedulingValidation.validate(affinity: affinity, path: path, into: &errors)
        SchedulingValidation.validate(topologySpreadConstraints: topologySpreadConstraints, path: path, into: &errors)
        for (index, toleration) in (tolerations ?? []).enumerated() {
            let field = "\(path).tolerations[\(index)]"
            errors.oneOf("\(field).operator", toleration.operator, ["Exists", "Equal"])
            errors.oneOf("\(field).effect", toleration.effect, ["NoSchedule", "PreferNoSchedule", "NoExecute"])
            if let key = toleration.key, !key.isEmpty {
                errors.check("\(field).key", key, NameValidation.qualifiedName(key))
            } else if toleration.operator != "Exists" {
                errors.invalid("\(field).operator", toleration.operator ?? "", "operator must be Exists when `key` is empty, which means \"match all values and all keys\"")
            }
            if toleration.operator == "Exists", let value = toleration.value, !value.isEmpty {
                errors.invalid("\(field).operator", value, "value must be empty when `operator` is 'Exists'")
            }
            if toleration.tolerationSeconds != nil && toleration.effect != "NoExecute" {
                errors.invalid("\(field).effect", toleration.effect ?? "",
                               "effect must be 'NoExecute' when `tolerationSeconds` is set")
            }
        }
    }
}

extension Container {
    func validate(
        into errors: inout FieldErrors, path: String, names: inout Set<String>, volumes: Set<String>, isInit: Bool
    ) {
        if name.isEmpty {
            errors.required("\(path).name")
        } else {
            errors.check("\(path).name", name, NameValidation.dns1123Label(name))
            if !names.insert(name).inserted { errors.duplicate("\(path).name", name) }
        }
        var portNames = Set<String>()
        for (index, port) in (ports ?? []).enumerated() {
            let field = "\(path).ports[\(index)]"
            if let portName = port.name, !portName.isEmpty {
                errors.check("\(field).name", portName, NameValidation.portName(portName))
                if !portNames.insert(portName).inserted { errors.duplicate("\(field).name", portName) }
            }
            errors.port("\(field).containerPort", port.containerPort)
            if let hostPort = port.hostPort, hostPort != 0 { errors.port("\(field).hostPort", hostPort) }
            errors.oneOf("\(field).protocol", port.protocol, PodSpec.protocols)
        }
        for (index, variable) in (env ?? []).enumerated() {
            variable.validate(into: &errors, path: "\(path).env[\(index)]")
        }
        for (index, source) in (envFrom ?? []).enumerated() {
            let field = "\(path).envFrom[\(index)]"
            let count = (source.configMapRef != nil ? 1 : 0) + (source.secretRef != nil ? 1 : 0)
            if count == 0 {
                errors.required(field, "must specify one of: `configMapRef` or `secretRef`")
            } else if count > 1 {
                errors.forbidden(field, "may not have more than one field specified at a time")
            }
            if let prefix = source.prefix, !prefix.isEmpty {
                errors.check("\(field).prefix", prefix, NameValidation.envVarName(prefix))
            }
            if let name = source.configMapRef?.name {
                errors.check("\(field).configMapRef.name", name, NameValidation.dns1123Subdomain(name))
            } else if source.configMapRef != nil {
                errors.required("\(field).configMapRef.name")
            }
            if let name = source.secretRef?.name {
                errors.check("\(field).secretRef.name", name, NameValidation.dns1123Subdomain(name))
            } else if source.secretRef != nil {
                errors.required("\(field).secretRef.name")
            }
        }
        resources?.validate(into: &errors, path: "\(path).resources")
        var mountPaths = Set<String>()
        for (index, mount) in (volumeMounts ?? []).enumerated() {
            mount.validate(
                into: &errors, path: "\(path).volumeMounts[\(index)]", volumes: volumes, mountPaths: &mountPaths)
        }
        livenessProbe?.validate(into: &errors, path: "\(path).livenessProbe", successMustBeOne: true)
        readinessProbe?.validate(into: &errors, path: "\(path).readinessProbe", successMustBeOne: false)
        startupProbe?.validate(into: &errors, path: "\(path).startupProbe", successMustBeOne: true)
        errors.oneOf("\(path).imagePullPolicy", imagePullPolicy, ["Always", "IfNotPresent", "Never"])
        errors.oneOf("\(path).terminationMessagePolicy", terminationMessagePolicy, ["File", "FallbackToLogsOnError"])
        if isInit {
            errors.oneOf("\(path).restartPolicy", restartPolicy, ["Always"])
        } else if restartPolicy != nil {
            errors.forbidden("\(path).restartPolicy", "may not be set for non-init containers")
        }
    }
}

extension EnvVar {
    func validate(into errors: inout FieldErrors, path: String) {
        if name.isEmpty {
            errors.required("\(path).name")
        } else {
            errors.check("\(path).name", name, NameValidation.envVarName(name))
        }
        guard let source = valueFrom else { return }
        if let value, !value.isEmpty {
            errors.invalid("\(path).valueFrom", "", "may not be specified when `value` is not empty")
        }
        let count = [source.fieldRef != nil, source.resourceFieldRef != nil, source.configMapKeyRef != nil,
                     source.secretKeyRef != nil].filter { $0 }.count
        if count == 0 {
            errors.invalid("\(path).valueFrom", "",
                           "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
        } else if count > 1 {
            errors.invalid("\(path).valueFrom", "", "may not have more than one field specified at a time")
        }
        if let ref = source.secretKeyRef {
            if (ref.name ?? "").isEmpty { errors.required("\(path).valueFrom.secretKeyRef.name") }
            if ref.key.isEmpty {
                errors.required("\(path).valueFrom.secretKeyRef.key")
            } else {
                errors.check("\(path).valueFrom.secretKeyRef.key", ref.key, NameValidation.configMapKey(ref.key))
            }
        }
        if let ref = source.configMapKeyRef {
            if (ref.name ?? "").isEmpty { errors.required("\(path).valueFrom.configMapKeyRef.name") }
            if ref.key.isEmpty {
                errors.required("\(path).valueFrom.configMapKeyRef.key")
            } else {
                errors.check("\(path).valueFrom.configMapKeyRef.key", ref.key, NameValidation.configMapKey(ref.key))
            }
        }
        if let ref = source.fieldRef {
            let supported = [
                "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
                "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
            ]
            let isLabelOrAnnotation = ref.fieldPath.hasPrefix("metadata.labels['")
                || ref.fieldPath.hasPrefix("metadata.annotations['") || ref.fieldPath == "metadata.labels"
                || ref.fieldPath == "metadata.annotations"
            if ref.fieldPath.isEmpty {
                errors.required("\(path).valueFrom.fieldRef.fieldPath")
            } else if !isLabelOrAnnotation {
                errors.oneOf("\(path).valueFrom.fieldRef.fieldPath", ref.fieldPath, supported)
            }
        }
        if let ref = source.resourceFieldRef {
            errors.oneOf(
                "\(path).valueFrom.resourceFieldRef.resource", ref.resource,
                ["limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu", "requests.memory",
                 "requests.ephemeral-storage"])
        }
    }
}

extension ResourceRequirements {
    func validate(into errors: inout FieldErrors, path: String) {
        for (section, values) in [("limits", limits ?? [:]), ("requests", requests ?? [:])] {
            for (name, quantity) in values.sorted(by: { $0.key < $1.key }) {
                let field = "\(path).\(section)[\(name)]"
                errors.check(field, name, NameValidation.qualifiedName(name))
                if quantity.isNegative {
                    errors.invalid(field, quantity.string, "must be greater than or equal to 0")
                }
                if name == "cpu" || name == "memory" || name == "ephemeral-storage" || name.hasPrefix("hugepages-") {
                    continue
                }
                if !name.contains("/") {
                    errors.invalid(field, name, "must be a standard resource type or fully qualified")
                }
            }
        }
        for (name, request) in (requests ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let limit = limits?[name], request > limit {
                errors.invalid(
                    "\(path).requests[\(name)]", request.string, "must be less than or equal to \(name) limit of \(limit.string)")
            }
        }
    }
}

extension Probe {
    func validate(into errors: inout FieldErrors, path: String, successMustBeOne: Bool) {
        let handlers = [exec != nil, httpGet != nil, tcpSocket != nil, grpc != nil].filter { $0 }.count
        if handlers == 0 {
            errors.required(path, "must specify a handler type")
        } else if handlers > 1 {
            errors.forbidden(path, "may not specify more than 1 handler type")
        }
        if let exec, (exec.command ?? []).isEmpty { errors.required("\(path).exec.command") }
        if let httpGet {
            errors.portNumberOrName("\(path).httpGet.port", httpGet.port)
            errors.oneOf("\(path).httpGet.scheme", httpGet.scheme, ["HTTP", "HTTPS"])
            if let probePath = httpGet.path, !probePath.isEmpty, !probePath.hasPrefix("/") {
                errors.invalid("\(path).httpGet.path", probePath, "must be an absolute path")
            }
            for (index, header) in (httpGet.httpHeaders ?? []).enumerated() where header.name.isEmpty {
                errors.required("\(path).httpGet.httpHeaders[\(index)].name")
            }
        }
        if let tcpSocket { errors.portNumberOrName("\(path).tcpSocket.port", tcpSocket.port) }
        if let grpc { errors.port("\(path).grpc.port", grpc.port) }
        errors.nonNegative("\(path).initialDelaySeconds", initialDelaySeconds)
        errors.positive("\(path).timeoutSeconds", timeoutSeconds)
        errors.positive("\(path).periodSeconds", periodSeconds)
        errors.positive("\(path).successThreshold", successThreshold)
        errors.positive("\(path).failureThreshold", failureThreshold)
        if successMustBeOne, let successThreshold, successThreshold != 1 {
            errors.invalid("\(path).successThreshold", number: successThreshold, "must be 1")
        }
        errors.positive("\(path).terminationGracePeriodSeconds", terminationGracePeriodSeconds)
    }
}
