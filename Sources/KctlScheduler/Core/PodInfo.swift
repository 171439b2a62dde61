import KctlModel

/// What the scheduler needs to know about one pod, extracted once from its JSON: requests in
/// integers, selectors, tolerations, spread constraints and its owner.
public struct PodInfo: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var uid: String
    public var labels: [String: String]
    /// Requests of the whole pod (`pods` is always 1).
    public var requests: Resources
    public var nodeSelector: [String: String]
    /// nil: no required node affinity. Otherwise the node must match one term.
    public var requiredAffinity: [NodeSelectorTerm]?
    public var tolerations: [Toleration]
    public var spreadConstraints: [SpreadConstraint]
    /// The uid (or kind/name) of the controlling owner; replicas of one owner are spread.
    public var owner: String?
    /// `spec.nodeName`: set once the pod is bound.
    public var nodeName: String?
    /// Terminating pods still hold their resources but no longer count for spreading.
    public var terminating: Bool

    public init(
        namespace: String = "default", name: String, uid: String = "", labels: [String: String] = [:],
        requests: Resources = .zero, nodeSelector: [String: String] = [:],
        requiredAffinity: [NodeSelectorTerm]? = nil, tolerations: [Toleration] = [],
        spreadConstraints: [SpreadConstraint] = [], owner: String? = nil, nodeName: String? = nil,
        terminating: Bool = false
    ) {
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.labels = labels
        self.requests = Resources(milliCPU: requests.milliCPU, memory: requests.memory, pods: 1)
        self.nodeSelector = nodeSelector
        self.requiredAffinity = requiredAffinity
        self.tolerations = tolerations
        self.spreadConstraints = spreadConstraints
        self.owner = owner
        self.nodeName = nodeName
        self.terminating = terminating
    }

    /// `namespace/name`.
    public var key: String { "\(namespace)/\(name)" }

    /// Reads a typed pod. Requests follow Kubernetes: the sum over containers (and sidecar init
    /// containers), or the largest regular init container when that is more, plus `overhead`;
    /// pod-level `spec.resources.requests` wins when set.
    public init(_ pod: Pod) {
        let spec = pod.spec
        let labels = pod.metadata.labels ?? [:]
        var running = Resources.zero
        var initPeak = Resources.zero
        for container in spec?.initContainers ?? [] {
            let requests = Resources(container.resources?.requests)
            if container.restartPolicy == "Always" {
                running += requests
            } else {
                initPeak = initPeak.max(running + requests)
            }
        }
        for container in spec?.containers ?? [] { running += Resources(container.resources?.requests) }
        var total = running.max(initPeak) + Resources(spec?.overhead)
        if let podLevel = spec?.resources?.requests {
            let level = Resources(podLevel)
            if podLevel["cpu"] != nil { total.milliCPU = level.milliCPU }
            if podLevel["memory"] != nil { total.memory = level.memory }
        }
        let controller = pod.metadata.controllerReference
        let nodeName = spec?.nodeName
        self.init(
            namespace: pod.metadata.namespace ?? "default", name: pod.name, uid: pod.metadata.uid ?? "",
            labels: labels, requests: total, nodeSelector: spec?.nodeSelector ?? [:],
            requiredAffinity: NodeSelectorTerm.requiredTerms(affinity: spec?.affinity),
            tolerations: spec?.tolerations ?? [],
            spreadConstraints: SpreadConstraint.parse(spec?.topologySpreadConstraints, podLabels: labels),
            owner: controller.map { $0.uid.isEmpty ? "\($0.kind)/\($0.name)" : $0.uid },
            nodeName: (nodeName?.isEmpty ?? true) ? nil : nodeName,
            terminating: pod.metadata.deletionTimestamp != nil)
    }

    /// Reads a pod from the store's JSON: straight from the fields the scheduler uses (see
    /// `PodInfo+JSON.swift`), the same as `init(Pod(object))` for any pod the API admits.
    public init(_ object: KubeObject) throws {
        try self.init(json: object)
    }
}
