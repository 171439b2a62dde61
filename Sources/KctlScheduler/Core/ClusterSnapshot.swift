import KctlModel

/// The scheduler's picture of the cluster: nodes with what is already requested on them, and the
/// bound pods indexed for the questions spreading asks (how many pods of this owner, or matching this
/// selector, per node and per zone).
///
/// Built for the placement loop: nodes are an array of structs scanned in slot order, requests are
/// integers, and every change (a node or pod event, or the scheduler's own assumption after a
/// placement) updates the sums incrementally. Nothing here parses JSON.
public struct ClusterSnapshot: Sendable {
    public static let zoneLabel = "topology.kubernetes.io/zone"
    public static let hostnameLabel = "kubernetes.io/hostname"

    /// Node slots; a removed node leaves a slot with `isLive == false` that a later node reuses.
    public private(set) var nodes: [NodeState] = []
    /// Name, labels and taints of each node slot (kept apart so the placement loop stays compact).
    public private(set) var nodeInfos: [NodeInfo] = []
    /// The zone index of each node slot (-1: none), kept beside `nodes` for the spreading loops.
    private(set) var zoneOfNode: [Int32] = []
    private var nodeSlots: [String: Int32] = [:]
    private var freeNodeSlots: [Int32] = []

    /// Zone names in order of first appearance; indices never change.
    public private(set) var zoneNames: [String] = []
    private var zoneIndex: [String: Int32] = [:]
    /// Live nodes per zone.
    private(set) var nodesInZone: [Int32] = []

    private var pods: [Entry?] = []
    private var podSlots: [String: Int32] = [:]
    private var freePodSlots: [Int32] = []
    private var podsOnNode: [Set<Int32>] = []
    /// Bound to a node the snapshot does not have (yet).
    private var podsAwaitingNode: [String: Set<Int32>] = [:]
    private var labelIndex: [LabelKey: Set<Int32>] = [:]
    private var namespaceIndex: [String: Set<Int32>] = [:]
    private var owners: [String: OwnerPlacement] = [:]

    /// A pod in the snapshot.
    struct Entry: Sendable {
        var info: PodInfo
        /// The node slot, or -1 while the node is unknown.
        var node: Int32
    }

    struct LabelKey: Hashable, Sendable {
        var namespace: String
        var key: String
        var value: String
    }

    /// Where the running replicas of one owner are: counts per node slot and per zone.
    public struct OwnerPlacement: Sendable, Hashable {
        public var perNode: [Int32: Int32] = [:]
        public var perZone: [Int32: Int32] = [:]
    }

    public init() {}

    /// Live nodes.
    public private(set) var nodeCount = 0
    /// Pods in the snapshot (bound or assumed).
    public var podCount: Int { podSlots.count }

    public func node(named name: String) -> NodeInfo? {
        nodeSlots[name].map { nodeInfos[Int($0)] }
    }

    public func state(named name: String) -> NodeState? {
        nodeSlots[name].map { nodes[Int($0)] }
    }

    public func pod(_ key: String) -> PodInfo? {
        podSlots[key].flatMap { pods[Int($0)]?.info }
    }

    /// Where an owner's replicas are (empty when it has none).
    public func placement(ofOwner owner: String) -> OwnerPlacement {
        owners[owner] ?? OwnerPlacement()
    }

    // MARK: Nodes

    /// Adds a node or replaces what is known about it, keeping its pods' requests.
    public mutating func upsertNode(_ info: NodeInfo) {
        var zone: Int32 = -1
        if let name = info.labels[Self.zoneLabel] { zone = internZone(name) }
        if let slot = nodeSlots[info.name] {
            let index = Int(slot)
            let attached = podsOnNode[index]
            for pod in attached { detach(pod) }
            if nodes[index].zone >= 0 { nodesInZone[Int(nodes[index].zone)] -= 1 }
            nodes[index] = NodeState(info, slot: slot, zone: zone)
            nodeInfos[index] = info
            zoneOfNode[index] = zone
            if zone >= 0 { nodesInZone[Int(zone)] += 1 }
            for pod in attached { attach(pod, to: slot) }
            return
        }
        let slot = freeNodeSlots.popLast() ?? Int32(nodes.count)
        let state = NodeState(info, slot: slot, zone: zone)
        if Int(slot) < nodes.count {
            nodes[Int(slot)] = state
            nodeInfos[Int(slot)] = info
            zoneOfNode[Int(slot)] = zone
        } else {
            nodes.append(state)
            nodeInfos.append(info)
            zoneOfNode.append(zone)
            podsOnNode.append([])
        }
        nodeSlots[info.name] = slot
        nodeCount += 1
        if zone >= 0 { nodesInZone[Int(zone)] += 1 }
        for pod in podsAwaitingNode.removeValue(forKey: info.name) ?? [] { attach(pod, to: slot) }
    }

    /// Removes a node; its pods stay in the snapshot and come back with a node of that name.
    public mutating func removeNode(named name: String) {
        guard let slot = nodeSlots.removeValue(forKey: name) else { return }
        let index = Int(slot)
        for pod in podsOnNode[index] {
            detach(pod)
            podsAwaitingNode[name, default: []].insert(pod)
        }
        if nodes[index].zone >= 0 { nodesInZone[Int(nodes[index].zone)] -= 1 }
        nodes[index].isLive = false
        nodes[index].requested = .zero
        nodeInfos[index] = NodeInfo(name: "", allocatable: .zero)
        zoneOfNode[index] = -1
        freeNodeSlots.append(slot)
        nodeCount -= 1
    }

    private mutating func internZone(_ name: String) -> Int32 {
        if let index = zoneIndex[name] { return index }
        let index = Int32(zoneNames.count)
        zoneNames.append(name)
        zoneIndex[name] = index
        nodesInZone.append(0)
        return index
    }

    // MARK: Pods

    /// Adds a bound pod or replaces what is known about it. A pod without `nodeName` is removed:
    /// only bound (or assumed) pods take room.
    public mutating func upsertPod(_ info: PodInfo) {
        removePod(info.key)
        guard let nodeName = info.nodeName else { return }
        let slot: Int32
        let entry = Entry(info: info, node: -1)
        if let free = freePodSlots.popLast() {
            slot = free
            pods[Int(slot)] = entry
        } else {
            slot = Int32(pods.count)
            pods.append(entry)
        }
        podSlots[info.key] = slot
        namespaceIndex[info.namespace, default: []].insert(slot)
        for (key, value) in info.labels {
            labelIndex[LabelKey(namespace: info.namespace, key: key, value: value), default: []].insert(slot)
        }
        if let node = nodeSlots[nodeName] {
            attach(slot, to: node)
        } else {
            podsAwaitingNode[nodeName, default: []].insert(slot)
        }
    }

    /// Records a placement before the store confirms it, so the next pod sees its requests.
    public mutating func assume(_ pod: PodInfo, on nodeName: String) {
        var pod = pod
        pod.nodeName = nodeName
        upsertPod(pod)
    }

    public mutating func removePod(_ key: String) {
        guard let slot = podSlots.removeValue(forKey: key), let entry = pods[Int(slot)] else { return }
        if entry.node >= 0 {
            detach(slot)
        } else if let nodeName = entry.info.nodeName {
            podsAwaitingNode[nodeName]?.remove(slot)
            if podsAwaitingNode[nodeName]?.isEmpty == true { podsAwaitingNode[nodeName] = nil }
        }
        let namespace = entry.info.namespace
        namespaceIndex[namespace]?.remove(slot)
        if namespaceIndex[namespace]?.isEmpty == true { namespaceIndex[namespace] = nil }
        for (key, value) in entry.info.labels {
            let labelKey = LabelKey(namespace: namespace, key: key, value: value)
            labelIndex[labelKey]?.remove(slot)
            if labelIndex[labelKey]?.isEmpty == true { labelIndex[labelKey] = nil }
        }
        pods[Int(slot)] = nil
        freePodSlots.append(slot)
    }

    private mutating func attach(_ pod: Int32, to node: Int32) {
        guard let entry = pods[Int(pod)] else { return }
        pods[Int(pod)]!.node = node
        podsOnNode[Int(node)].insert(pod)
        nodes[Int(node)].requested += entry.info.requests
        if let owner = entry.info.owner, !entry.info.terminating {
            let zone = nodes[Int(node)].zone
            owners[owner, default: OwnerPlacement()].perNode[node, default: 0] += 1
            if zone >= 0 { owners[owner]!.perZone[zone, default: 0] += 1 }
        }
    }

    private mutating func detach(_ pod: Int32) {
        guard let entry = pods[Int(pod)], entry.node >= 0 else { return }
        let node = entry.node
        pods[Int(pod)]!.node = -1
        podsOnNode[Int(node)].remove(pod)
        nodes[Int(node)].requested -= entry.info.requests
        if let owner = entry.info.owner, !entry.info.terminating, var placement = owners[owner] {
            Self.decrement(&placement.perNode, node)
            let zone = nodes[Int(node)].zone
            if zone >= 0 { Self.decrement(&placement.perZone, zone) }
            owners[owner] = placement.perNode.isEmpty && placement.perZone.isEmpty ? nil : placement
        }
    }

    private static func decrement(_ counts: inout [Int32: Int32], _ key: Int32) {
        guard let count = counts[key] else { return }
        counts[key] = count > 1 ? count - 1 : nil
    }

    // MARK: Queries for spreading

    /// Calls `body` with the node slot of every non-terminating pod on a live node in `namespace`
    /// whose labels match `selector`. Candidates come from the label index (the smallest posting
    /// list among `matchLabels` and one-value `In` expressions), so a selector for one app touches
    /// only that app's pods.
    func forEachMatchingPod(namespace: String, selector: LabelSelector, _ body: (Int32) -> Void) {
        var best: Set<Int32>?
        func consider(_ candidates: Set<Int32>) {
            if best == nil || candidates.count < best!.count { best = candidates }
        }
        for (key, value) in selector.matchLabels ?? [:] {
            consider(labelIndex[LabelKey(namespace: namespace, key: key, value: value)] ?? [])
        }
        for requirement in selector.matchExpressions ?? []
        where requirement.operator == .in && requirement.values?.count == 1 {
            consider(labelIndex[LabelKey(namespace: namespace, key: requirement.key, value: requirement.values![0])] ?? [])
        }
        let candidates = best ?? namespaceIndex[namespace] ?? []
        for slot in candidates {
            guard let entry = pods[Int(slot)], entry.node >= 0, !entry.info.terminating,
                selector.matches(entry.info.labels)
            else { continue }
            body(entry.node)
        }
    }
}
