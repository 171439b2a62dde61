import Foundation
import KctlModel

/// Why one metric gave no replica count (no pods, no samples, no requests...): the text of the
/// Warning event and of the ScalingActive condition.
public struct HPAMetricError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// How far the usage ratio may stray from 1 before the replica count changes: below `1 - scaleDown`
/// scales down, above `1 + scaleUp` scales up (Kubernetes' 10% band by default).
public struct HPATolerances: Sendable, Hashable {
    public var scaleDown: Double
    public var scaleUp: Double

    public init(scaleDown: Double, scaleUp: Double) {
        self.scaleDown = scaleDown
        self.scaleUp = scaleUp
    }

    public init(_ both: Double) { self.init(scaleDown: both, scaleUp: both) }

    public func isWithin(_ usageRatio: Double) -> Bool {
        (1 - scaleDown) <= usageRatio && usageRatio <= (1 + scaleUp)
    }
}

/// The replica count one metric asks for, as Kubernetes' replica calculator computes it:
/// `ceil(current × usage / target)` over the pods whose samples count, with a tolerance band, and
/// with missing and not-yet-ready pods treated conservatively so that they never cause a scaling
/// they would contradict:
///
/// - on a scale-up, pods without a sample count as using nothing, and unready pods too (their
///   samples are dropped);
/// - on a scale-down, pods without a sample count as using exactly the target (100% of their
///   request for utilization, or the target when it is above 100%);
/// - when that correction flips the direction, or brings the ratio into the band, nothing changes.
///
/// Pods being deleted or failed are left out; Pending pods count as unready. For `cpu` a Running
/// pod's sample is also dropped while it is in its initialization period and not ready (or its
/// sample predates its readiness), or when it has never been ready since its start.
///
/// Quantities are handled in thousandths (`Int64`), as Kubernetes does with milli-values.
public struct ReplicaCalculator: Sendable, Hashable {
    /// How long after a pod's start its CPU samples are suspect (Kubernetes: 5 minutes).
    public var cpuInitializationPeriod: Duration
    /// A pod that turned unready within this long of its start has never been ready (Kubernetes: 30 s).
    public var initialReadinessDelay: Duration

    public init(cpuInitializationPeriod: Duration = .seconds(300), initialReadinessDelay: Duration = .seconds(30)) {
        self.cpuInitializationPeriod = cpuInitializationPeriod
        self.initialReadinessDelay = initialReadinessDelay
    }

    /// One metric's proposal and the current value the status shows.
    public struct Proposal: Sendable, Hashable {
        public var replicas: Int32
        /// The current utilization in percent of requests (Resource Utilization only).
        public var utilization: Int32?
        /// The current value in thousandths: the average per pod, or the total for an External `Value`.
        public var milliValue: Int64

        public init(replicas: Int32, utilization: Int32? = nil, milliValue: Int64) {
            self.replicas = replicas
            self.utilization = utilization
            self.milliValue = milliValue
        }
    }

    // MARK: Per-pod metrics

    /// Resource `Utilization`: the samples' sum as a percentage of the pods' summed requests,
    /// against `targetUtilization` percent.
    public func resourceUtilization(
        currentReplicas: Int32, targetUtilization: Int32, resource: String, pods: [HPAPod],
        metrics: [String: PodMetricValue], tolerances: HPATolerances, now: Date
    ) throws(HPAMetricError) -> Proposal {
        guard !pods.isEmpty else { throw HPAMetricError("no pods returned by selector while calculating replica count") }
        // Requests first: without them no sample can ever be used, which is the error worth showing.
        var requests: [String: Int64] = [:]
        for pod in pods { requests[pod.name] = try pod.request(resource) }
        let groups = group(pods, metrics: metrics, resource: resource, now: now)
        var usage = groups.usable
        guard !usage.isEmpty else {
            throw HPAMetricError("did not receive metrics for targeted pods (pods might be unready)")
        }

        let first = try Self.utilizationRatio(usage, requests: requests, target: targetUtilization)
        let scaleUpWithUnready = !groups.unready.isEmpty && first.ratio > 1
        if !scaleUpWithUnready && groups.missing.isEmpty {
            if tolerances.isWithin(first.ratio) {
                return Proposal(replicas: currentReplicas, utilization: first.utilization, milliValue: first.average)
            }
            return Proposal(
                replicas: Self.ceilReplicas(first.ratio * Double(groups.readyCount)), utilization: first.utilization,
                milliValue: first.average)
        }
        if first.ratio < 1 {
            let fallback = Int64(max(100, targetUtilization))
            for name in groups.missing { usage[name] = (requests[name] ?? 0) * fallback / 100 }
        } else if first.ratio > 1 {
            for name in groups.missing { usage[name] = 0 }
        }
        if scaleUpWithUnready {
            for name in groups.unready { usage[name] = 0 }
        }
        let second = try Self.utilizationRatio(usage, requests: requests, target: targetUtilization)
        let replicas = Self.rebalanced(
            currentReplicas: currentReplicas, first: first.ratio, second: second.ratio, counted: usage.count,
            tolerances: tolerances)
        return Proposal(replicas: replicas, utilization: first.utilization, milliValue: first.average)
    }

    /// A per-pod average (`Pods` metrics, Resource `AverageValue`) against `targetMilli` per pod.
    /// `resource` names the resource for Resource metrics (`cpu` gets the readiness rules), nil otherwise.
    public func averageValue(
        currentReplicas: Int32, targetMilli: Int64, resource: String?, pods: [HPAPod],
        metrics: [String: PodMetricValue], tolerances: HPATolerances, now: Date
    ) throws(HPAMetricError) -> Proposal {
        guard !pods.isEmpty else { throw HPAMetricError("no pods returned by selector while calculating replica count") }
        guard targetMilli > 0 else { throw HPAMetricError("the target average value must be positive") }
        let groups = group(pods, metrics: metrics, resource: resource, now: now)
        var usage = groups.usable
        guard !usage.isEmpty else {
            throw HPAMetricError("did not receive metrics for targeted pods (pods might be unready)")
        }
        let first = Self.averageRatio(usage, target: targetMilli)
        let scaleUpWithUnready = !groups.unready.isEmpty && first.ratio > 1
        if !scaleUpWithUnready && groups.missing.isEmpty {
            if tolerances.isWithin(first.ratio) {
                return Proposal(replicas: currentReplicas, milliValue: first.average)
            }
            return Proposal(replicas: Self.ceilReplicas(first.ratio * Double(groups.readyCount)), milliValue: first.average)
        }
        if first.ratio < 1 {
            for name in groups.missing { usage[name] = targetMilli }
        } else if first.ratio > 1 {
            for name in groups.missing { usage[name] = 0 }
        }
        if scaleUpWithUnready {
            for name in groups.unready { usage[name] = 0 }
        }
        let second = Self.averageRatio(usage, target: targetMilli)
        let replicas = Self.rebalanced(
            currentReplicas: currentReplicas, first: first.ratio, second: second.ratio, counted: usage.count,
            tolerances: tolerances)
        return Proposal(replicas: replicas, milliValue: first.average)
    }

    // MARK: External metrics

    /// External `Value`: the series' sum against `targetMilli` in total. From zero replicas the
    /// count is `ceil(usage / target)` (so 0 usage stays at 0 and any usage wakes the target);
    /// otherwise the ratio scales the ready pods, within the tolerance band.
    public func externalValue(
        currentReplicas: Int32, targetMilli: Int64, totalMilli: Int64, pods: [HPAPod], tolerances: HPATolerances
    ) throws(HPAMetricError) -> Proposal {
        guard targetMilli > 0 else { throw HPAMetricError("the target value must be positive") }
        let ratio = Double(totalMilli) / Double(targetMilli)
        if currentReplicas == 0 {
            return Proposal(replicas: Self.ceilReplicas(ratio), milliValue: totalMilli)
        }
        if tolerances.isWithin(ratio) { return Proposal(replicas: currentReplicas, milliValue: totalMilli) }
        guard !pods.isEmpty else {
            throw HPAMetricError(
                "unable to calculate ready pods: no pods returned by selector while calculating replica count")
        }
        let ready = pods.filter(\.isRunningAndReady).count
        return Proposal(replicas: Self.ceilReplicas(ratio * Double(ready)), milliValue: totalMilli)
    }

    /// External `AverageValue`: the series' sum divided over the target's observed replicas,
    /// against `targetMilli` per replica; the count is `ceil(usage / target)` when outside the band.
    public func externalAverageValue(
        statusReplicas: Int32, targetMilli: Int64, totalMilli: Int64, tolerances: HPATolerances
    ) throws(HPAMetricError) -> Proposal {
        guard targetMilli > 0 else { throw HPAMetricError("the target average value must be positive") }
        let wanted = Self.ceilReplicas(Double(totalMilli) / Double(targetMilli))
        guard statusReplicas > 0 else {
            // Nothing to divide over: the whole usage is what one replica would see.
            return Proposal(replicas: wanted, milliValue: totalMilli)
        }
        let ratio = Double(totalMilli) / (Double(targetMilli) * Double(statusReplicas))
        let average = Int64((Double(totalMilli) / Double(statusReplicas)).rounded(.up))
        return Proposal(replicas: tolerances.isWithin(ratio) ? statusReplicas : wanted, milliValue: average)
    }

    // MARK: Grouping pods

    /// The pods sorted by how their samples count.
    struct PodGroups: Sendable, Hashable {
        /// Samples of the pods that count, by pod name (thousandths).
        var usable: [String: Int64] = [:]
        var readyCount = 0
        /// Pending, or (cpu) not ready yet: dropped, or counted as 0 on a scale-up.
        var unready: Set<String> = []
        /// No sample.
        var missing: Set<String> = []
        /// Being deleted or failed: left out.
        var ignored: Set<String> = []
    }

    func group(_ pods: [HPAPod], metrics: [String: PodMetricValue], resource: String?, now: Date) -> PodGroups {
        var groups = PodGroups()
        for pod in pods {
            if pod.deleting || pod.phase == "Failed" {
                groups.ignored.insert(pod.name)
                continue
            }
            if pod.phase == "Pending" {
                groups.unready.insert(pod.name)
                continue
            }
            guard let sample = metrics[pod.name] else {
                groups.missing.insert(pod.name)
                continue
            }
            if resource == "cpu", cpuSampleIsSuspect(pod, sample: sample, now: now) {
                groups.unready.insert(pod.name)
                continue
            }
            groups.readyCount += 1
            groups.usable[pod.name] = Self.milli(sample.value)
        }
        return groups
    }

    /// A CPU sample taken while the pod was starting (its burst is not load), or from a pod that
    /// has never become ready.
    private func cpuSampleIsSuspect(_ pod: HPAPod, sample: PodMetricValue, now: Date) -> Bool {
        guard let ready = pod.ready, let start = pod.startTime else { return true }
        let transition = pod.readyTransition ?? .distantPast
        if start.addingTimeInterval(cpuInitializationPeriod.seconds) > now {
            return !ready || sample.timestamp < transition.addingTimeInterval(sample.window.seconds)
        }
        return !ready && start.addingTimeInterval(initialReadinessDelay.seconds) > transition
    }

    // MARK: Arithmetic

    /// Usage over requests of the pods with samples: the ratio to the target (from the whole
    /// percentage, as Kubernetes rounds it down first), the percentage, and the average sample.
    static func utilizationRatio(_ usage: [String: Int64], requests: [String: Int64], target: Int32) throws(HPAMetricError)
        -> (ratio: Double, utilization: Int32, average: Int64)
    {
        var usageTotal = 0.0
        var requestTotal = 0.0
        var count = 0
        for (name, value) in usage {
            guard let request = requests[name] else { continue }
            usageTotal += Double(value)
            requestTotal += Double(request)
            count += 1
        }
        guard requestTotal > 0, count > 0 else { throw HPAMetricError("no metrics returned matched known pods") }
        guard target > 0 else { throw HPAMetricError("the target utilization must be positive") }
        let utilization = Int32(clamping: Int64((usageTotal * 100 / requestTotal).rounded(.towardZero)))
        let average = Int64((usageTotal / Double(count)).rounded(.towardZero))
        return (Double(utilization) / Double(target), utilization, average)
    }

    /// The average sample (rounded down, as Kubernetes' integer division) over the target.
    static func averageRatio(_ usage: [String: Int64], target: Int64) -> (ratio: Double, average: Int64) {
        let total = usage.values.reduce(0.0) { $0 + Double($1) }
        let average = Int64((total / Double(max(1, usage.count))).rounded(.towardZero))
        return (Double(average) / Double(target), average)
    }

    /// The count after missing and unready pods were filled in: unchanged when the new ratio is in
    /// the band or points the other way, or when the count would move against the ratio.
    static func rebalanced(
        currentReplicas: Int32, first: Double, second: Double, counted: Int, tolerances: HPATolerances
    ) -> Int32 {
        if tolerances.isWithin(second) || (first < 1 && second > 1) || (first > 1 && second < 1) {
            return currentReplicas
        }
        let replicas = ceilReplicas(second * Double(counted))
        if (second < 1 && replicas > currentReplicas) || (second > 1 && replicas < currentReplicas) {
            return currentReplicas
        }
        return replicas
    }

    /// `ceil(value)` as a replica count, saturating at `Int32.max` (and 0 for nonsense input).
    static func ceilReplicas(_ value: Double) -> Int32 {
        guard value.isFinite else { return value > 0 ? .max : 0 }
        let rounded = value.rounded(.up)
        if rounded >= Double(Int32.max) { return .max }
        return rounded <= 0 ? 0 : Int32(rounded)
    }

    /// A sample in thousandths (rounded to the nearest, so `0.2` cores is `200`, not `201`).
    static func milli(_ value: Double) -> Int64 {
        guard value.isFinite else { return value > 0 ? .max : 0 }
        let scaled = (value * 1000).rounded()
        if scaled >= Double(Int64.max) { return .max }
        if scaled <= Double(Int64.min) { return .min }
        return Int64(scaled)
    }
}
