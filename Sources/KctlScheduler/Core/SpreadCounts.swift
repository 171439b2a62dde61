/// One spread constraint evaluated against the snapshot for one pod: the topology domain of every
/// node slot, how many matching pods each domain holds, and the smallest count among the domains
/// the pod could go to. Built once per scheduling cycle; asking about a node is then two array reads.
struct SpreadCounts: Sendable {
    let maxSkew: Int32
    /// Domain of each node slot; -1 when the node lacks the topology label (or the slot is empty).
    let domainOfNode: [Int32]
    /// Matching pods per domain.
    let counts: [Int32]
    /// Smallest count over eligible domains (0 when there are none).
    let minCount: Int32
    /// Largest count over eligible domains.
    let maxCount: Int32
    /// 1 when the pod itself matches the selector (it will add to the domain it lands in).
    let selfMatch: Int32

    init(_ constraint: SpreadConstraint, pod: PodInfo, snapshot: ClusterSnapshot) {
        let nodes = snapshot.nodes
        let infos = snapshot.nodeInfos
        var domainOfNode: [Int32]
        var domainCount: Int
        switch constraint.topologyKey {
        case ClusterSnapshot.zoneLabel:
            domainOfNode = snapshot.zoneOfNode
            domainCount = snapshot.zoneNames.count
        case ClusterSnapshot.hostnameLabel:
            // Every node is its own domain, labelled or not (simulated nodes may lack the label).
            domainOfNode = nodes.indices.map { nodes[$0].isLive ? Int32($0) : -1 }
            domainCount = nodes.count
        default:
            var ids: [String: Int32] = [:]
            domainOfNode = nodes.indices.map { slot in
                guard nodes[slot].isLive, let value = infos[slot].labels[constraint.topologyKey] else { return -1 }
                if let id = ids[value] { return id }
                let id = Int32(ids.count)
                ids[value] = id
                return id
            }
            domainCount = ids.count
        }

        var counts = [Int32](repeating: 0, count: domainCount)
        if let selector = constraint.selector {
            snapshot.forEachMatchingPod(namespace: pod.namespace, selector: selector) { slot in
                let domain = domainOfNode[Int(slot)]
                if domain >= 0 { counts[Int(domain)] += 1 }
            }
        }

        var eligible = [Bool](repeating: false, count: domainCount)
        let restricted = NodeAffinityFilter.applies(to: pod)
        if !restricted && constraint.topologyKey == ClusterSnapshot.zoneLabel {
            for zone in 0..<domainCount { eligible[zone] = snapshot.nodesInZone[zone] > 0 }
        } else {
            for slot in nodes.indices where nodes[slot].isLive {
                let domain = domainOfNode[slot]
                if domain >= 0 && (!restricted || NodeAffinityFilter.matches(pod, infos[slot])) {
                    eligible[Int(domain)] = true
                }
            }
        }
        var minCount = Int32.max
        var maxCount: Int32 = 0
        for domain in 0..<domainCount where eligible[domain] {
            minCount = min(minCount, counts[domain])
            maxCount = max(maxCount, counts[domain])
        }

        self.maxSkew = Int32(clamping: constraint.maxSkew)
        self.domainOfNode = domainOfNode
        self.counts = counts
        self.minCount = minCount == .max ? 0 : minCount
        self.maxCount = maxCount
        self.selfMatch = (constraint.selector?.matches(pod.labels) ?? false) ? 1 : 0
    }

    /// Matching pods in the node's domain, or nil when the node lacks the topology label.
    @inline(__always)
    func count(onNode slot: Int32) -> Int32? {
        let domain = domainOfNode[Int(slot)]
        return domain >= 0 ? counts[Int(domain)] : nil
    }
}
