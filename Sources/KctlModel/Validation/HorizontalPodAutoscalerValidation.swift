extension HorizontalPodAutoscaler {
    static let metricTypes = ["Object", "Pods", "Resource", "External", "ContainerResource"]

    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .pathSegment)
        guard let spec else {
            errors.required("spec.scaleTargetRef")
            errors.required("spec.maxReplicas")
            return
        }
        let target = spec.scaleTargetRef
        if target.kind.isEmpty {
            errors.required("spec.scaleTargetRef.kind")
        } else {
            errors.check("spec.scaleTargetRef.kind", target.kind, NameValidation.pathSegmentName(target.kind))
        }
        if target.name.isEmpty {
            errors.required("spec.scaleTargetRef.name")
        } else {
            errors.check("spec.scaleTargetRef.name", target.name, NameValidation.pathSegmentName(target.name))
        }
        let metrics = spec.metrics ?? []
        let minReplicas = spec.minReplicas ?? 1
        let scalesToZero = metrics.contains { $0.type == "Object" || $0.type == "External" }
        if minReplicas < 0 || (minReplicas == 0 && !scalesToZero) {
            errors.invalid(
                "spec.minReplicas", number: minReplicas,
                minReplicas == 0
                    ? "must be greater than or equal to 1 (0 is allowed only with Object or External metrics)"
                    : "must be greater than or equal to 0")
        }
        if spec.maxReplicas < 1 {
            errors.invalid("spec.maxReplicas", number: spec.maxReplicas, "must be greater than 0")
        } else if spec.maxReplicas < minReplicas {
            errors.invalid("spec.maxReplicas", number: spec.maxReplicas, "must be greater than or equal to `minReplicas`")
        }
        for (index, metric) in metrics.enumerated() {
            metric.validate(into: &errors, path: "spec.metrics[\(index)]")
        }
        if let behavior = spec.behavior {
            behavior.scaleUp?.validate(into: &errors, path: "spec.behavior.scaleUp")
            behavior.scaleDown?.validate(into: &errors, path: "spec.behavior.scaleDown")
        }
    }
}

extension MetricSpec {
    func validate(into errors: inout FieldErrors, path: String) {
        let sources: [(String, Bool)] = [
            ("Object", object != nil), ("Pods", pods != nil), ("Resource", resource != nil),
            ("External", external != nil), ("ContainerResource", containerResource != nil),
        ]
        guard HorizontalPodAutoscaler.metricTypes.contains(type) else {
            if type.isEmpty {
                errors.required("\(path).type", "must specify a metric source type")
            } else {
                errors.notSupported("\(path).type", type, HorizontalPodAutoscaler.metricTypes)
            }
            return
        }
        let fieldName = type.prefix(1).lowercased() + type.dropFirst()
        if !(sources.first { $0.0 == type }?.1 ?? false) {
            errors.required("\(path).\(fieldName)", "must populate information for the given metric source")
        }
        if sources.filter({ $0.1 }).count > 1 {
            errors.forbidden(path, "must populate the given metric source only")
        }
        if let object {
            let base = "\(path).object"
            if object.describedObject.kind.isEmpty { errors.required("\(base).describedObject.kind") }
            if object.describedObject.name.isEmpty { errors.required("\(base).describedObject.name") }
            object.metric.validate(into: &errors, path: "\(base).metric")
            object.target.validate(into: &errors, path: "\(base).target", allowed: ["Value", "AverageValue"])
        }
        if let pods {
            pods.metric.validate(into: &errors, path: "\(path).pods.metric")
            pods.target.validate(into: &errors, path: "\(path).pods.target", allowed: ["AverageValue"])
        }
        if let resource {
            if resource.name.isEmpty { errors.required("\(path).resource.name") }
            resource.target.validate(
                into: &errors, path: "\(path).resource.target", allowed: ["Utilization", "AverageValue"])
        }
        if let containerResource {
            let base = "\(path).containerResource"
            if containerResource.name.isEmpty { errors.required("\(base).name") }
            if containerResource.container.isEmpty {
                errors.required("\(base).container")
            } else {
                errors.check("\(base).container", containerResource.container,
                             NameValidation.dns1123Label(containerResource.container))
            }
            containerResource.target.validate(
                into: &errors, path: "\(base).target", allowed: ["Utilization", "AverageValue"])
        }
        if let external {
            external.metric.validate(into: &errors, path: "\(path).external.metric")
            external.target.validate(into: &errors, path: "\(path).external.target", allowed: ["Value", "AverageValue"])
        }
    }
}

extension MetricIdentifier {
    func validate(into errors: inout FieldErrors, path: String) {
        if name.isEmpty {
            errors.required("\(path).name", "must specify a metric name")
        } else {
            errors.check("\(path).name", name, NameValidation.pathSegmentName(name))
        }
        if let selector { errors.causes += selector.validate(path: "\(path).selector") }
    }
}

extension MetricTarget {
    func validate(into errors: inout FieldErrors, path: String, allowed: [String]) {
        let all = ["Utilization", "Value", "AverageValue"]
        if type.isEmpty {
            errors.required("\(path).type", "must specify a metric target type")
            return
        }
        guard all.contains(type) else {
            errors.notSupported("\(path).type", type, all)
            return
        }
        if !allowed.contains(type) {
            errors.notSupported("\(path).type", type, allowed)
        }
        switch type {
        case "Utilization":
            if let utilization = averageUtilization {
                errors.positive("\(path).averageUtilization", utilization)
            } else {
                errors.required("\(path).averageUtilization", "must set averageUtilization when type is Utilization")
            }
        case "Value":
            if let value {
                if value.isNegative || value.isZero { errors.invalid("\(path).value", value.string, "must be positive") }
            } else {
                errors.required("\(path).value", "must set value when type is Value")
            }
        default:
            if let averageValue {
                if averageValue.isNegative || averageValue.isZero {
                    errors.invalid("\(path).averageValue", averageValue.string, "must be positive")
                }
            } else {
                errors.required("\(path).averageValue", "must set averageValue when type is AverageValue")
            }
        }
    }
}

extension HPAScalingRules {
    func validate(into errors: inout FieldErrors, path: String) {
        if let window = stabilizationWindowSeconds, !(0...3600).contains(window) {
            errors.invalid(
                "\(path).stabilizationWindowSeconds", number: window,
                window < 0 ? "must be greater than or equal to zero" : "must be less than or equal to 3600")
        }
        errors.oneOf("\(path).selectPolicy", selectPolicy, ["Max", "Min", "Disabled"])
        let policies = self.policies ?? []
        if policies.isEmpty && selectPolicy != "Disabled" {
            errors.required("\(path).policies", "must specify at least one Policy")
        }
        for (index, policy) in policies.enumerated() {
            let field = "\(path).policies[\(index)]"
            errors.oneOf("\(field).type", policy.type, ["Pods", "Percent"])
            errors.positive("\(field).value", policy.value)
            if !(1...1800).contains(policy.periodSeconds) {
                errors.invalid(
                    "\(field).periodSeconds", number: policy.periodSeconds,
                    policy.periodSeconds < 1 ? "must be greater than zero" : "must be less than or equal to 1800")
            }
        }
        if let tolerance, tolerance.isNegative {
            errors.invalid("\(path).tolerance", tolerance.string, "must be greater than or equal to 0")
        }
    }
}
