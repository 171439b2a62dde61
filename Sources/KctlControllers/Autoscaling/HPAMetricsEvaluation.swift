import Foundation
import KctlModel

/// What the controller read from the metrics source for one metric of an HPA.
public enum HPAMetricReading: Sendable, Hashable {
    /// Per-pod samples (Resource and Pods metrics), already limited to the target's pods.
    case pods([String: PodMetricValue])
    /// The series of an External metric.
    case external([ExternalMetricValue])
    /// The source failed (or has nothing for this metric type): why.
    case failed(String)
}

/// One metric that gave no replica count: the condition reason Kubernetes uses for its type
/// (`FailedGetPodsMetric`...) and the error.
public struct HPAMetricFailure: Error, Sendable, Hashable {
    public var reason: String
    public var message: String

    public init(reason: String, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// The recommendation of all of an HPA's metrics together.
public struct HPAMetricsResult: Sendable, Hashable {
    /// The highest proposal of the valid metrics; nil when none can be trusted: every metric
    /// failed, or some failed and the others would scale down (a missing metric must not shrink
    /// the target).
    public var replicas: Int32?
    /// How the metric behind `replicas` is named in events (`pods metric messages_per_second`).
    public var metricName: String
    /// The current value of each metric that could be read, in spec order.
    public var statuses: [MetricStatus]
    /// The metrics that failed, in spec order.
    public var failures: [HPAMetricFailure]
    /// How many metrics the HPA has.
    public var metricCount: Int

    /// `invalid metrics (1 invalid out of 2), first error is: ...`, when any failed.
    public var failureSummary: String? {
        guard let first = failures.first else { return nil }
        return "invalid metrics (\(failures.count) invalid out of \(metricCount)), first error is: \(first.message)"
    }
}

/// Turns an HPA's metric specs and what was read for them into one recommendation, as
/// Kubernetes' `computeReplicasForMetrics`: each metric proposes a count, the highest wins,
/// invalid metrics are skipped unless all are invalid (or the rest would scale down).
public enum HPAMetricsEvaluation {
    /// What a metric is evaluated against.
    public struct Context: Sendable {
        /// The target's `spec.replicas`.
        public var specReplicas: Int32
        /// The target's `status.replicas`.
        public var statusReplicas: Int32
        /// The pods the target's selector selects.
        public var pods: [HPAPod]
        public var tolerances: HPATolerances
        public var calculator: ReplicaCalculator
        public var now: Date

        public init(
            specReplicas: Int32, statusReplicas: Int32, pods: [HPAPod], tolerances: HPATolerances,
            calculator: ReplicaCalculator, now: Date
        ) {
            self.specReplicas = specReplicas
            self.statusReplicas = statusReplicas
            self.pods = pods
            self.tolerances = tolerances
            self.calculator = calculator
            self.now = now
        }
    }

    /// Evaluates `metrics` with `readings` (one per metric, same order; a missing reading fails its metric).
    public static func evaluate(_ metrics: [MetricSpec], readings: [HPAMetricReading], context: Context)
        -> HPAMetricsResult
    {
        var best: Int32?
        var bestName = ""
        var statuses: [MetricStatus] = []
        var failures: [HPAMetricFailure] = []
        for (index, metric) in metrics.enumerated() {
            let reading = index < readings.count ? readings[index] : .failed("no metric was read")
            switch evaluateMetric(metric, reading: reading, context: context) {
            case .success(let (replicas, name, status)):
                statuses.append(status)
                if best == nil || replicas > best! {
                    best = replicas
                    bestName = name
                }
            case .failure(let failure):
                failures.append(failure)
            }
        }
        var result = HPAMetricsResult(
            replicas: best, metricName: bestName, statuses: statuses, failures: failures, metricCount: metrics.count)
        if let replicas = best, !failures.isEmpty, replicas < context.specReplicas {
            result.replicas = nil
            result.metricName = ""
        }
        return result
    }

    /// One metric's proposal, its name for events and its status.
    public static func evaluateMetric(_ metric: MetricSpec, reading: HPAMetricReading, context: Context)
        -> Result<(Int32, String, MetricStatus), HPAMetricFailure>
    {
        let reason = failureReason(metric.type)
        do throws(HPAMetricError) {
            switch metric.type {
            case "Resource":
                guard let source = metric.resource else { throw HPAMetricError("the resource metric source is not set") }
                return .success(try resource(source, reading: reading, context: context))
            case "Pods":
                guard let source = metric.pods else { throw HPAMetricError("the pods metric source is not set") }
                return .success(try pods(source, reading: reading, context: context))
            case "External":
                guard let source = metric.external else { throw HPAMetricError("the external metric source is not set") }
                return .success(try external(source, reading: reading, context: context))
            case "Object", "ContainerResource":
                throw HPAMetricError("\(metric.type) metrics are not supported by this controller")
            default:
                throw HPAMetricError("unknown metric source type \"\(metric.type)\"")
            }
        } catch {
            return .failure(HPAMetricFailure(reason: reason, message: error.message))
        }
    }

    /// The condition reason and Warning event reason for a metric type that failed.
    public static func failureReason(_ type: String) -> String {
        switch type {
        case "Resource": return "FailedGetResourceMetric"
        case "Pods": return "FailedGetPodsMetric"
        case "External": return "FailedGetExternalMetric"
        case "Object": return "FailedGetObjectMetric"
        case "ContainerResource": return "FailedGetContainerResourceMetric"
        default: return "InvalidMetricSourceType"
        }
    }

    // MARK: Per type

    private static func podSamples(_ reading: HPAMetricReading, what: String) throws(HPAMetricError)
        -> [String: PodMetricValue]
    {
        switch reading {
        case .pods(let samples): return samples
        case .failed(let message): throw HPAMetricError("unable to get \(what): \(message)")
        case .external: throw HPAMetricError("unable to get \(what): the source returned external series")
        }
    }

    private static func resource(_ source: ResourceMetricSource, reading: HPAMetricReading, context: Context)
        throws(HPAMetricError) -> (Int32, String, MetricStatus)
    {
        let samples = try podSamples(reading, what: "metrics for resource \(source.name)")
        let target = source.target
        if target.type == "Utilization" {
            guard let utilization = target.averageUtilization else {
                throw HPAMetricError("invalid resource metric source: no averageUtilization target")
            }
            let proposal = try context.calculator.resourceUtilization(
                currentReplicas: context.specReplicas, targetUtilization: utilization, resource: source.name,
                pods: context.pods, metrics: samples, tolerances: context.tolerances, now: context.now)
            let status = MetricStatus(
                type: "Resource",
                resource: ResourceMetricStatus(
                    name: source.name,
                    current: MetricValueStatus(
                        averageValue: Quantity(milli: proposal.milliValue), averageUtilization: proposal.utilization)))
            return (proposal.replicas, "\(source.name) resource utilization (percentage of request)", status)
        }
        guard let average = target.averageValue else {
            throw HPAMetricError("invalid resource metric source: neither a utilization target nor a value target was set")
        }
        let proposal = try context.calculator.averageValue(
            currentReplicas: context.specReplicas, targetMilli: average.milliValue, resource: source.name,
            pods: context.pods, metrics: samples, tolerances: context.tolerances, now: context.now)
        let status = MetricStatus(
            type: "Resource",
            resource: ResourceMetricStatus(
                name: source.name, current: MetricValueStatus(averageValue: Quantity(milli: proposal.milliValue))))
        return (proposal.replicas, "\(source.name) resource", status)
    }

    private static func pods(_ source: PodsMetricSource, reading: HPAMetricReading, context: Context)
        throws(HPAMetricError) -> (Int32, String, MetricStatus)
    {
        let samples = try podSamples(reading, what: "metric \(source.metric.name)")
        guard let average = source.target.averageValue else {
            throw HPAMetricError("invalid pods metric source: no averageValue target")
        }
        let proposal = try context.calculator.averageValue(
            currentReplicas: context.specReplicas, targetMilli: average.milliValue, resource: nil, pods: context.pods,
            metrics: samples, tolerances: context.tolerances, now: context.now)
        let status = MetricStatus(
            type: "Pods",
            pods: PodsMetricStatus(
                metric: source.metric, current: MetricValueStatus(averageValue: Quantity(milli: proposal.milliValue))))
        return (proposal.replicas, "pods metric \(source.metric.name)", status)
    }

    private static func external(_ source: ExternalMetricSource, reading: HPAMetricReading, context: Context)
        throws(HPAMetricError) -> (Int32, String, MetricStatus)
    {
        var name = source.metric.name
        if let selector = source.metric.selector, !selector.isEmpty { name += "(\(selector.stringForm))" }
        let series: [ExternalMetricValue]
        switch reading {
        case .external(let values): series = values
        case .failed(let message): throw HPAMetricError("unable to get external metric \(name): \(message)")
        case .pods: throw HPAMetricError("unable to get external metric \(name): the source returned pod samples")
        }
        guard !series.isEmpty else {
            throw HPAMetricError("unable to get external metric \(name): no recent samples")
        }
        let total = ReplicaCalculator.milli(series.reduce(0.0) { $0 + $1.value })
        let target = source.target
        let proposal: ReplicaCalculator.Proposal
        let current: MetricValueStatus
        if target.type == "AverageValue", let average = target.averageValue {
            proposal = try context.calculator.externalAverageValue(
                statusReplicas: context.statusReplicas, targetMilli: average.milliValue, totalMilli: total,
                tolerances: context.tolerances)
            current = MetricValueStatus(averageValue: Quantity(milli: proposal.milliValue))
        } else if let value = target.value {
            proposal = try context.calculator.externalValue(
                currentReplicas: context.specReplicas, targetMilli: value.milliValue, totalMilli: total,
                pods: context.pods, tolerances: context.tolerances)
            current = MetricValueStatus(value: Quantity(milli: proposal.milliValue))
        } else {
            throw HPAMetricError(
                "invalid external metric source: neither a value target nor an average value target was set")
        }
        let status = MetricStatus(type: "External", external: ExternalMetricStatus(metric: source.metric, current: current))
        return (proposal.replicas, "external metric \(name)", status)
    }
}
