import Foundation
import KctlModel

/// The scheduler alone at scale (issue 3, benchmark a): place `pods` pods on `nodes` nodes in
/// `zones` zones with the pure pipeline, then check every placement independently.
///
/// Nodes offer 32 cpu, 128Gi and 110 pods. Pods come from `pods / 5` owners (five replicas each,
/// created owner by owner, as ReplicaSets do), request 100m–1 cpu and 128Mi–1Gi, and carry a zone
/// `topologySpreadConstraint` with `maxSkew: 1`, `DoNotSchedule`. Every node is filtered and every
/// feasible node scored for every pod. Only the placement loop is timed.
///
/// The check does not trust the snapshot: from the placements alone it recomputes each node's
/// requests against its allocatable (cpu, memory, pods) and each owner's replicas per zone
/// (max - min ≤ maxSkew), and counts every breach as a violation.
public enum SchedulerBenchmark {
    public static func run(nodes: Int, pods: Int, zones: Int) -> (
        podsPerSecond: Double, violations: Int, report: String
    ) {
        run(nodes: nodes, pods: pods, zones: zones, parallel: false)
    }

    /// - Parameter parallel: scan each pod's nodes in two halves on two threads. Off by default: on
    ///   the shared 2-core machine (other work on the second core) it measured ~15% slower than one
    ///   thread; it pays only with an idle second core.
    public static func run(nodes nodeCount: Int, pods podCount: Int, zones zoneCount: Int, parallel: Bool) -> (
        podsPerSecond: Double, violations: Int, report: String
    ) {
        let zoneCount = max(1, zoneCount)
        let allocatable = Resources(milliCPU: 32_000, memory: 128 << 30, pods: 110)
        var snapshot = ClusterSnapshot()
        for index in 0..<nodeCount {
            let name = "node-\(index)"
            snapshot.upsertNode(
                NodeInfo(
                    name: name,
                    labels: [ClusterSnapshot.zoneLabel: "zone-\(index % zoneCount)", ClusterSnapshot.hostnameLabel: name],
                    allocatable: allocatable))
        }

        let replicas = 5
        let owners = max(1, podCount / replicas)
        var pods: [PodInfo] = []
        pods.reserveCapacity(podCount)
        for index in 0..<podCount {
            let owner = min(index / replicas, owners - 1)
            let app = "app-\(owner)"
            let requests = Resources(
                milliCPU: Int64(100 + (owner * 7 % 10) * 100), memory: Int64(128 + (owner * 3 % 8) * 128) << 20)
            pods.append(
                PodInfo(
                    namespace: "default", name: "\(app)-\(index % replicas)", uid: "uid-\(index)",
                    labels: ["app": app], requests: requests,
                    spreadConstraints: [
                        SpreadConstraint(
                            maxSkew: 1, topologyKey: ClusterSnapshot.zoneLabel, hard: true,
                            selector: LabelSelector(matchLabels: ["app": app]))
                    ],
                    owner: "rs-\(owner)"))
        }

        var placements = [Int32](repeating: -1, count: podCount)
        var feasibleSum = 0
        let clock = ContinuousClock()
        let started = clock.now
        for index in pods.indices {
            let decision = SchedulingPipeline.schedule(pods[index], in: snapshot, recordNodes: false, parallel: parallel)
            feasibleSum += decision.feasibleCount
            if let node = decision.node {
                snapshot.assume(pods[index], on: node)
                placements[index] = snapshot.state(named: node)!.slot
            }
        }
        let elapsed = (clock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        let podsPerSecond = seconds > 0 ? Double(podCount) / seconds : 0

        let check = verify(pods: pods, placements: placements, nodeCount: nodeCount, zones: zoneCount, allocatable: allocatable)
        let unplaced = placements.filter { $0 < 0 }.count
        let report = """
            scheduler: \(podCount) pods on \(nodeCount) nodes in \(zoneCount) zones, \(owners) owners, \
            resource fit + zone spread (maxSkew 1), every feasible node scored, \
            \(parallel ? "node scan split over 2 threads" : "1 thread")
              placed \(podCount - unplaced), unschedulable \(unplaced), in \(format(seconds)) s: \(format(podsPerSecond, 0)) pods/s \
            (\(format(seconds / Double(max(podCount, 1)) * 1e6, 1)) µs per pod, \
            \(format(Double(feasibleSum) / Double(max(podCount, 1)), 0)) feasible nodes per pod on average)
              violations: \(check.total) (resource fit \(check.resources), zone skew \(check.skew))
            """
        return (podsPerSecond, check.total, report)
    }

    /// Recomputes everything from the placements: node slot i is `node-i`, zone i % zones.
    static func verify(pods: [PodInfo], placements: [Int32], nodeCount: Int, zones: Int, allocatable: Resources)
        -> (total: Int, resources: Int, skew: Int)
    {
        var used = [Resources](repeating: .zero, count: nodeCount)
        var perOwnerZone: [String: [Int]] = [:]
        for (pod, slot) in zip(pods, placements) where slot >= 0 {
            used[Int(slot)] += pod.requests
            perOwnerZone[pod.owner ?? pod.key, default: [Int](repeating: 0, count: zones)][Int(slot) % zones] += 1
        }
        var resourceViolations = 0
        for usage in used {
            if usage.milliCPU > allocatable.milliCPU { resourceViolations += 1 }
            if usage.memory > allocatable.memory { resourceViolations += 1 }
            if usage.pods > allocatable.pods { resourceViolations += 1 }
        }
        var skewViolations = 0
        let eligibleZones = min(zones, nodeCount)
        for counts in perOwnerZone.values {
            let considered = counts.prefix(eligibleZones)
            if (considered.max() ?? 0) - (considered.min() ?? 0) > 1 { skewViolations += 1 }
        }
        return (resourceViolations + skewViolations, resourceViolations, skewViolations)
    }

    private static func format(_ value: Double, _ digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value)
    }
}
