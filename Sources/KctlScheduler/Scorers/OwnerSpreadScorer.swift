/// Spreads the replicas of one owner (a ReplicaSet, ...): a node scores 100 when it holds none of
/// them and 0 when it holds the most. Built per pod from the snapshot's owner placement.
public struct NodeSpreadScorer: Scorer {
    public static let name = "NodeSpread"
    public var name: String { Self.name }

    /// Replicas per node slot (dense, so the placement loop reads an array, not a dictionary).
    let perNode: [Int32]
    /// The score for each count from 0 to the maximum (computed once per pod, no division per node).
    let scoreForCount: [Int]

    /// Whether the pod has an owner (without one there is nothing to spread).
    public let isActive: Bool

    public init(pod: PodInfo, snapshot: ClusterSnapshot) {
        isActive = pod.owner != nil
        var perNode = [Int32](repeating: 0, count: isActive ? snapshot.nodes.count : 0)
        var maxCount: Int32 = 0
        if let owner = pod.owner {
            for (slot, count) in snapshot.placement(ofOwner: owner).perNode {
                perNode[Int(slot)] = count
                maxCount = max(maxCount, count)
            }
        }
        self.perNode = perNode
        self.scoreForCount = (0...maxCount).map { inverseShare($0, max: maxCount) }
    }

    @inline(__always)
    public func score(_ pod: PodInfo, _ node: NodeState) -> Int {
        scoreForCount[Int(perNode[Int(node.slot)])]
    }
}

/// Spreads the replicas of one owner across zones (`topology.kubernetes.io/zone`): 100 for a zone
/// without any, 0 for the zone with the most, 0 for a node without a zone.
public struct ZoneSpreadScorer: Scorer {
    public static let name = "ZoneSpread"
    public var name: String { Self.name }

    /// The score of each zone.
    let scoreForZone: [Int]

    /// Whether the pod has an owner and the cluster has zones.
    public let isActive: Bool

    public init(pod: PodInfo, snapshot: ClusterSnapshot) {
        isActive = pod.owner != nil && !snapshot.zoneNames.isEmpty
        var perZone = [Int32](repeating: 0, count: snapshot.zoneNames.count)
        var maxCount: Int32 = 0
        if let owner = pod.owner {
            for (zone, count) in snapshot.placement(ofOwner: owner).perZone {
                perZone[Int(zone)] = count
                maxCount = max(maxCount, count)
            }
        }
        self.scoreForZone = perZone.map { inverseShare($0, max: maxCount) }
    }

    @inline(__always)
    public func score(_ pod: PodInfo, _ node: NodeState) -> Int {
        node.zone >= 0 ? scoreForZone[Int(node.zone)] : 0
    }
}
