/// Validation of the scheduling fields the model keeps as JSON (`affinity`,
/// `topologySpreadConstraints`), so a typo in an operator is an Invalid error at the API with its
/// field path rather than a pod the scheduler can never place.
enum SchedulingValidation {
    static let nodeSelectorOperators = ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"]

    static func validate(affinity: JSONValue?, path: String, into errors: inout FieldErrors) {
        guard let affinity else { return }
        let nodeAffinity = "\(path).affinity.nodeAffinity"
        if let required = affinity["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"] {
            let terms = required["nodeSelectorTerms"]?.arrayValue ?? []
            if terms.isEmpty {
                errors.required("\(nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                                "must have at least one node selector term")
            }
            for (t, term) in terms.enumerated() {
                let termPath = "\(nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[\(t)]"
                requirements(term["matchExpressions"], path: "\(termPath).matchExpressions", into: &errors)
                requirements(term["matchFields"], path: "\(termPath).matchFields", into: &errors)
            }
        }
        for (p, preferred) in (affinity["nodeAffinity"]?["preferredDuringSchedulingIgnoredDuringExecution"]?.arrayValue ?? []).enumerated() {
            let prefPath = "\(nodeAffinity).preferredDuringSchedulingIgnoredDuringExecution[\(p)]"
            if let weight = preferred["weight"]?.intValue, !(1...100).contains(weight) {
                errors.invalid("\(prefPath).weight", number: weight, "must be in the range 1-100")
            }
            requirements(preferred["preference"]?["matchExpressions"], path: "\(prefPath).preference.matchExpressions", into: &errors)
        }
    }

    private static func requirements(_ list: JSONValue?, path: String, into errors: inout FieldErrors) {
        for (i, requirement) in (list?.arrayValue ?? []).enumerated() {
            let field = "\(path)[\(i)]"
            let key = requirement["key"]?.stringValue ?? ""
            if key.isEmpty { errors.required("\(field).key") }
            let op = requirement["operator"]?.stringValue ?? ""
            let values = requirement["values"]?.arrayValue ?? []
            switch op {
            case "In", "NotIn":
                if values.isEmpty { errors.required("\(field).values", "must be specified when `operator` is 'In' or 'NotIn'") }
            case "Exists", "DoesNotExist":
                if !values.isEmpty { errors.forbidden("\(field).values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'") }
            case "Gt", "Lt":
                if values.count != 1 || Int64(values[0].stringValue ?? "") == nil {
                    errors.required("\(field).values", "must be specified single integer value when `operator` is 'Lt' or 'Gt'")
                }
            case "":
                errors.required("\(field).operator")
            default:
                errors.notSupported("\(field).operator", op, nodeSelectorOperators)
            }
        }
    }

    static func validate(topologySpreadConstraints: JSONValue?, path: String, into errors: inout FieldErrors) {
        for (i, constraint) in (topologySpreadConstraints?.arrayValue ?? []).enumerated() {
            let field = "\(path).topologySpreadConstraints[\(i)]"
            let skew = constraint["maxSkew"]?.intValue ?? 0
            if skew <= 0 { errors.invalid("\(field).maxSkew", number: skew, "must be greater than zero") }
            if (constraint["topologyKey"]?.stringValue ?? "").isEmpty { errors.required("\(field).topologyKey", "can not be empty") }
            errors.oneOf("\(field).whenUnsatisfiable", constraint["whenUnsatisfiable"]?.stringValue ?? "", ["DoNotSchedule", "ScheduleAnyway"])
        }
    }
}
