import Dispatch

/// The whole placement decision for one pod, wired in one function:
///
///     every node ──► filters (first failure wins)           ──► reasons counted per node
///         NodeReady, NodeUnschedulable, NodeResourcesFit,
///         NodeAffinity, TaintToleration, PodTopologySpread
///     feasible ──► scorers (named 0–100 scores, summed)
///         LeastAllocated, BalancedAllocation, NodeSpread, ZoneSpread, PodTopologySpread
///     highest total ──► chosen node (ties: seeded by the pod's uid)
///
/// Every node is filtered and every feasible node is scored; nothing is sampled. The function only
/// reads the snapshot and returns a `Decision`; binding and the snapshot update are the caller's.
///
/// Filters and scorers are called as concrete types (no existentials) so the optimizer inlines them:
/// this loop runs nodes × pods times in the benchmark.
public enum SchedulingPipeline {
    /// From this many node slots on, a counts-only placement scans two halves on two threads.
    public static let parallelThreshold = 2048

    /// Places one pod.
    /// - Parameters:
    ///   - pod: the pod, unbound.
    ///   - snapshot: the cluster, including earlier placements.
    ///   - recordNodes: keep every node's outcome in `Decision.nodes` (for explanations); when false
    ///     only the counts per reason are kept, which is what a bulk placement needs.
    ///   - parallel: with counts only and at least `parallelThreshold` node slots, scan two halves
    ///     of the nodes on two threads (same result; it blocks the calling thread meanwhile).
    public static func schedule(
        _ pod: PodInfo, in snapshot: ClusterSnapshot, recordNodes: Bool = true, parallel: Bool = false
    ) -> Decision {
        let cycle = Cycle(pod: pod, snapshot: snapshot)
        var random = SeededGenerator(seed: pod.uid.isEmpty ? pod.key : pod.uid)
        let seed = random.next()
        var scan = Scan(seed: seed, recordNodes: recordNodes)
        if recordNodes { scan.outcomes.reserveCapacity(snapshot.nodeCount) }
        snapshot.nodes.withUnsafeBufferPointer { nodes in
            if parallel && !recordNodes && nodes.count >= parallelThreshold {
                // Two halves on two threads; the merge gives exactly the sequential result because
                // tie-break keys belong to nodes, not to the order of the scan.
                let middle = nodes.count / 2
                withUnsafeTemporaryAllocation(of: Scan.self, capacity: 2) { halves in
                    halves.initialize(repeating: Scan(seed: seed, recordNodes: false))
                    let results = UnsafeSendable(halves)
                    let shared = UnsafeSendable(nodes)
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        let range = half == 0 ? 0..<middle : middle..<shared.value.count
                        cycle.scan(pod, shared.value, range, into: &results.value[half])
                    }
                    scan.merge(halves[0])
                    scan.merge(halves[1])
                    _ = halves.deinitialize()
                }
            } else {
                cycle.scan(pod, nodes, nodes.indices, into: &scan)
            }
        }
        return Decision(
            pod: pod.key, node: scan.chosen >= 0 ? snapshot.nodeInfos[scan.chosen].name : nil,
            nodeCount: snapshot.nodeCount, feasibleCount: scan.feasible, reasonCounts: scan.tally.reasonCounts,
            nodes: scan.outcomes)
    }

    /// The filters and scorers prepared for one pod. The pod itself is passed to each call rather
    /// than stored here: a borrowed argument is a pointer, while a stored copy got copied per node.
    struct Cycle {
        let ready = NodeReadyFilter()
        let unschedulable = NodeUnschedulableFilter()
        let fit = ResourceFitFilter()
        let affinity: NodeAffinityFilter
        let checksAffinity: Bool
        let taints: TaintTolerationFilter
        let infos: [NodeInfo]
        let spread: TopologySpreadFilter
        let checksSpread: Bool

        let leastAllocated = LeastAllocatedScorer()
        let balanced = BalancedAllocationScorer()
        let nodeSpread: NodeSpreadScorer
        let zoneSpread: ZoneSpreadScorer
        let softSpread: TopologySpreadScorer
        let scoresNodeSpread: Bool
        let scoresZoneSpread: Bool
        let scoresSoftSpread: Bool

        init(pod: PodInfo, snapshot: ClusterSnapshot) {
            infos = snapshot.nodeInfos
            affinity = NodeAffinityFilter(snapshot: snapshot)
            taints = TaintTolerationFilter(snapshot: snapshot)
            checksAffinity = NodeAffinityFilter.applies(to: pod)
            spread = TopologySpreadFilter(pod: pod, snapshot: snapshot)
            checksSpread = spread.isActive
            nodeSpread = NodeSpreadScorer(pod: pod, snapshot: snapshot)
            zoneSpread = ZoneSpreadScorer(pod: pod, snapshot: snapshot)
            softSpread = TopologySpreadScorer(pod: pod, snapshot: snapshot)
            scoresNodeSpread = nodeSpread.isActive
            scoresZoneSpread = zoneSpread.isActive
            scoresSoftSpread = softSpread.isActive
        }

        /// The first filter that rejects the node, in pipeline order.
        @inline(__always)
        func firstFailure(_ pod: PodInfo, _ node: NodeState) -> FilterFailure? {
            if case .fail(let failure) = ready.check(pod, node) { return failure }
            if case .fail(let failure) = unschedulable.check(pod, node) { return failure }
            if case .fail(let failure) = fit.check(pod, node) { return failure }
            if checksAffinity, case .fail(let failure) = affinity.check(pod, node) { return failure }
            if case .fail(let failure) = taints.check(pod, node) { return failure }
            if checksSpread, case .fail(let failure) = spread.check(pod, node) { return failure }
            return nil
        }

        /// The named scores of a feasible node.
        func scores(_ pod: PodInfo, _ node: NodeState) -> [NodeScore] {
            var scores = [
                NodeScore(name: LeastAllocatedScorer.name, value: leastAllocated.score(pod, node)),
                NodeScore(name: BalancedAllocationScorer.name, value: balanced.score(pod, node)),
            ]
            if scoresNodeSpread { scores.append(NodeScore(name: NodeSpreadScorer.name, value: nodeSpread.score(pod, node))) }
            if scoresZoneSpread { scores.append(NodeScore(name: ZoneSpreadScorer.name, value: zoneSpread.score(pod, node))) }
            if scoresSoftSpread {
                scores.append(NodeScore(name: TopologySpreadScorer.name, value: softSpread.score(pod, node)))
            }
            return scores
        }

        @inline(never)
        func record(_ failure: FilterFailure, _ index: Int, into scan: inout Scan) {
            let info = infos[index]
            let reasons = failure.reasons(on: info)
            if failure.needsNodeInfo {
                for reason in reasons { scan.tally.taints[reason, default: 0] += 1 }
            }
            if scan.recordNodes {
                scan.outcomes.append(NodeOutcome(node: info.name, filter: failure.filter, reasons: reasons))
            }
        }

        @inline(never)
        func recordScores(_ pod: PodInfo, _ node: NodeState, into scan: inout Scan) -> Int {
            let scores = scores(pod, node)
            let total = scores.reduce(0) { $0 + $1.value }
            scan.outcomes.append(NodeOutcome(node: infos[Int(node.slot)].name, scores: scores, total: total))
            return total
        }

        /// The sum of the scores of a feasible node, without building the list.
        @inline(__always)
        func total(_ pod: PodInfo, _ node: NodeState) -> Int {
            var total = leastAllocated.score(pod, node) &+ balanced.score(pod, node)
            if scoresNodeSpread { total &+= nodeSpread.score(pod, node) }
            if scoresZoneSpread { total &+= zoneSpread.score(pod, node) }
            if scoresSoftSpread { total &+= softSpread.score(pod, node) }
            return total
        }

        /// Filters and scores the nodes of `range`, keeping the best in `scan`. Kept out of line and
        /// free of string handling (failures are recorded by `record`), so the loop stays in registers.
        @inline(never)
        func scan(_ pod: PodInfo, _ nodes: UnsafeBufferPointer<NodeState>, _ range: Range<Int>, into scan: inout Scan) {
            for index in range where nodes[index].isLive {
                if let failure = firstFailure(pod, nodes[index]) {
                    scan.tally.add(failure)
                    if failure.needsNodeInfo || scan.recordNodes { record(failure, index, into: &scan) }
                    continue
                }
                scan.feasible &+= 1
                if scan.recordNodes {
                    scan.offer(index, total: recordScores(pod, nodes[index], into: &scan))
                } else {
                    scan.offer(index, total: total(pod, nodes[index]))
                }
            }
        }
    }

    /// The running result of a scan: the best node so far, failure counts.
    ///
    /// Ties are broken by a pseudo-random key per node derived from the pod's seed: the tied node with
    /// the lowest key wins. Every tied node is equally likely, the choice is reproducible, and it does
    /// not depend on the order nodes are scanned in.
    struct Scan {
        let seed: UInt64
        let recordNodes: Bool
        var tally = FailureTally()
        var outcomes: [NodeOutcome] = []
        var best = Int.min
        var bestKey = UInt64.max
        var chosen = -1
        var feasible = 0

        init(seed: UInt64, recordNodes: Bool) {
            self.seed = seed
            self.recordNodes = recordNodes
        }

        /// Adds the result of a scan over other nodes.
        mutating func merge(_ other: Scan) {
            feasible += other.feasible
            tally.merge(other.tally)
            if other.chosen >= 0 && (other.best > best || (other.best == best && other.bestKey < bestKey)) {
                best = other.best
                bestKey = other.bestKey
                chosen = other.chosen
            }
        }

        @inline(__always)
        mutating func offer(_ index: Int, total: Int) {
            guard total >= best else { return }
            let key = SeededGenerator.mix(seed ^ UInt64(truncatingIfNeeded: index))
            if total > best || key < bestKey {
                best = total
                bestKey = key
                chosen = index
            }
        }
    }
}

/// Counts failures per reason without hashing strings in the loop: fixed counters for the fixed
/// reasons, a dictionary only for taints (whose reason names the taint).
struct FailureTally {
    var notReady = 0
    var unschedulable = 0
    var cpu = 0
    var memory = 0
    var pods = 0
    var affinity = 0
    var spread = 0
    var spreadMissingLabel = 0
    var taints: [String: Int] = [:]

    /// Counts a failure; taint reasons, which name the taint, are counted by the caller.
    @inline(__always)
    mutating func add(_ failure: FilterFailure) {
        switch failure {
        case .notReady: notReady += 1
        case .unschedulable: unschedulable += 1
        case .insufficient(let c, let m, let p):
            if c { cpu += 1 }
            if m { memory += 1 }
            if p { pods += 1 }
        case .nodeAffinityMismatch: affinity += 1
        case .untoleratedTaint: break
        case .topologySpreadSkew: spread += 1
        case .topologySpreadMissingLabel: spreadMissingLabel += 1
        }
    }

    mutating func merge(_ other: FailureTally) {
        notReady += other.notReady
        unschedulable += other.unschedulable
        cpu += other.cpu
        memory += other.memory
        pods += other.pods
        affinity += other.affinity
        spread += other.spread
        spreadMissingLabel += other.spreadMissingLabel
        taints.merge(other.taints, uniquingKeysWith: +)
    }

    var reasonCounts: [String: Int] {
        var counts = taints
        for (reason, count) in [
            (FilterFailure.notReadyReason, notReady), (FilterFailure.unschedulableReason, unschedulable),
            (FilterFailure.insufficientCPU, cpu), (FilterFailure.insufficientMemory, memory),
            (FilterFailure.tooManyPods, pods), (FilterFailure.nodeAffinityReason, affinity),
            (FilterFailure.spreadReason, spread), (FilterFailure.spreadMissingLabelReason, spreadMissingLabel),
        ] where count > 0 {
            counts[reason] = count
        }
        return counts
    }
}

/// A buffer shared by the two halves of a parallel scan: both read the nodes (which nobody writes
/// meanwhile) and each writes only its own element of the results, which the caller reads after
/// `concurrentPerform` returns.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
