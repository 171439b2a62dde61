import KctlModel

/// One term of `affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`:
/// every expression must hold (the terms of a pod are ORed).
///
/// Read from the pod's free-form JSON, because the typed `PodSpec.affinity` is a `JSONValue`.
/// An unknown operator makes the requirement fail instead of the scheduler: the API rejects those,
/// and a pod that slipped through should stay Pending rather than land anywhere.
public struct NodeSelectorTerm: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public enum Operator: String, Sendable, Hashable {
            case `in` = "In"
            case notIn = "NotIn"
            case exists = "Exists"
            case doesNotExist = "DoesNotExist"
            case gt = "Gt"
            case lt = "Lt"
        }

        public var key: String
        /// nil for an operator kctl does not know.
        public var `operator`: Operator?
        public var values: [String]

        public init(key: String, operator: Operator?, values: [String] = []) {
            self.key = key
            self.operator = `operator`
            self.values = values
        }

        /// Whether a node's labels (or fields, for `matchFields`) satisfy the requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            let value = labels[key]
            switch `operator` {
            case .in?: return value.map(values.contains) ?? false
            case .notIn?: return value.map { !values.contains($0) } ?? true
            case .exists?: return value != nil
            case .doesNotExist?: return value == nil
            case .gt?, .lt?:
                guard values.count == 1, let bound = Int64(values[0]), let value, let number = Int64(value) else {
                    return false
                }
                return `operator` == .gt ? number > bound : number < bound
            case nil: return false
            }
        }
    }

    public var matchExpressions: [Requirement]
    /// Only `metadata.name` is a field Kubernetes allows here.
    public var matchFields: [Requirement]

    public init(matchExpressions: [Requirement] = [], matchFields: [Requirement] = []) {
        self.matchExpressions = matchExpressions
        self.matchFields = matchFields
    }

    /// An empty term matches no node, as in Kubernetes.
    public func matches(labels: [String: String], nodeName: String) -> Bool {
        if matchExpressions.isEmpty && matchFields.isEmpty { return false }
        for requirement in matchExpressions where !requirement.matches(labels) { return false }
        if !matchFields.isEmpty {
            let fields = ["metadata.name": nodeName]
            for requirement in matchFields where !requirement.matches(fields) { return false }
        }
        return true
    }

    /// The required terms of a pod's `spec.affinity`, or nil when it has none (every node passes).
    /// A present but empty list of terms matches no node.
    public static func requiredTerms(affinity: JSONValue?) -> [NodeSelectorTerm]? {
        guard
            let required = affinity?["nodeAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"],
            !required.isNull
        else { return nil }
        return (required["nodeSelectorTerms"]?.arrayValue ?? []).map { term in
            NodeSelectorTerm(
                matchExpressions: requirements(term["matchExpressions"]),
                matchFields: requirements(term["matchFields"]))
        }
    }

    private static func requirements(_ value: JSONValue?) -> [Requirement] {
        (value?.arrayValue ?? []).map { expression in
            Requirement(
                key: expression["key"]?.stringValue ?? "",
                operator: expression["operator"]?.stringValue.flatMap(Requirement.Operator.init(rawValue:)),
                values: (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue))
        }
    }
}
