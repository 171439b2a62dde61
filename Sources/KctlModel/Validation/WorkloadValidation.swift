extension Deployment {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        guard let spec else {
            errors.required("spec.selector")
            errors.required("spec.template")
            return
        }
        errors.nonNegative("spec.replicas", spec.replicas)
        validateSelectorAndTemplate(
            spec.selector, spec.template, into: &errors, kind: "deployment")
        errors.nonNegative("spec.minReadySeconds", spec.minReadySeconds)
        errors.nonNegative("spec.revisionHistoryLimit", spec.revisionHistoryLimit)
        if let deadline = spec.progressDeadlineSeconds {
            errors.nonNegative("spec.progressDeadlineSeconds", deadline)
            if deadline <= spec.minReadySeconds ?? 0 {
                errors.invalid("spec.progressDeadlineSeconds", number: deadline, "must be greater than minReadySeconds")
            }
        }
        if let strategy = spec.strategy {
            errors.oneOf("spec.strategy.type", strategy.type, ["Recreate", "RollingUpdate"])
            if strategy.type == "Recreate", strategy.rollingUpdate != nil {
                errors.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
            }
            if strategy.type == "RollingUpdate" {
                if let rolling = strategy.rollingUpdate {
                    validateRollingUpdate(rolling, into: &errors)
                } else {
                    errors.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")
                }
            }
        }
    }

    private func validateRollingUpdate(_ rolling: RollingUpdateDeployment, into errors: inout FieldErrors) {
        let base = "spec.strategy.rollingUpdate"
        for (name, value) in [("maxUnavailable", rolling.maxUnavailable), ("maxSurge", rolling.maxSurge)] {
            guard let value else { continue }
            validateIntOrPercent(value, field: "\(base).\(name)", into: &errors)
        }
        if rolling.maxUnavailable?.percent ?? 0 > 100 {
            errors.invalid("\(base).maxUnavailable", rolling.maxUnavailable?.description ?? "",
                           "must not be greater than 100%")
        }
        if isZero(rolling.maxUnavailable), isZero(rolling.maxSurge) {
            errors.invalid("\(base).maxUnavailable", json: .int(0), "may not be 0 when `maxSurge` is 0")
        }
    }

    private func isZero(_ value: IntOrString?) -> Bool {
        guard let value else { return false }
        return value.intValue == 0 || value.percent == 0
    }

    func validateUpdate(from old: Deployment, into errors: inout FieldErrors) {
        if let newSelector = spec?.selector, let oldSelector = old.spec?.selector, newSelector != oldSelector {
            errors.invalid("spec.selector", json: (try? JSONValue(encoding: newSelector)) ?? .null, "field is immutable")
        }
    }
}

extension ReplicaSet {
    func validate(into errors: inout FieldErrors) {
        metadata.validate(into: &errors, namespaced: true, nameRule: .dns1123Subdomain)
        guard let spec else {
            errors.required("spec.selector")
            errors.required("spec.template")
            return
        }
        errors.nonNegative("spec.replicas", spec.replicas)
        errors.nonNegative("spec.minReadySeconds", spec.minReadySeconds)
        validateSelectorAndTemplate(spec.selector, spec.template, into: &errors, kind: "replicaset")
    }

    func validateUpdate(from old: ReplicaSet, into errors: inout FieldErrors) {
        if let newSelector = spec?.selector, let oldSelector = old.spec?.selector, newSelector != oldSelector {
            errors.invalid("spec.selector", json: (try? JSONValue(encoding: newSelector)) ?? .null, "field is immutable")
        }
    }
}

/// A non-negative integer, or a percentage string `N%`.
func validateIntOrPercent(_ value: IntOrString, field: String, into errors: inout FieldErrors) {
    switch value {
    case .int(let number):
        errors.nonNegative(field, number)
    case .string(let text):
        if value.percent == nil || text.hasPrefix("-") || text.hasPrefix("+") {
            errors.invalid(
                field, text,
                "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', "
                    + "regex used for validation is '[0-9]+%')")
        }
    }
}

/// The selector must be non-empty and valid, and must select the template's labels; the template's
/// pods must restart `Always`.
func validateSelectorAndTemplate(
    _ selector: LabelSelector, _ template: PodTemplateSpec, into errors: inout FieldErrors, kind: String
) {
    if selector.isEmpty {
        errors.invalid("spec.selector", json: .object([:]), "empty selector is invalid for \(kind)")
    }
    errors.causes += selector.validate(path: "spec.selector")
    let labels = template.metadata?.labels ?? [:]
    if !selector.isEmpty && !selector.matches(labels) {
        errors.invalid(
            "spec.template.metadata.labels", json: .object(labels.mapValues { .string($0) }),
            "`selector` does not match template `labels`")
    }
    template.metadata?.validateLabelsAndAnnotations(into: &errors, path: "spec.template.metadata")
    template.spec.validate(into: &errors, path: "spec.template.spec", restartPolicies: ["Always"])
}
