import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// The HPA controller's settings (kctld's `--hpa-*` flags).
public struct HPASettings: Sendable, Hashable {
    /// How often each HPA is synced.
    public var syncPeriod: Duration
    /// The scale-down stabilization window of HPAs that do not set one.
    public var downscaleStabilization: Duration
    /// The band around the target within which nothing changes (0.1: ±10%).
    public var tolerance: Double
    /// How long after a pod's start its CPU samples are suspect.
    public var cpuInitializationPeriod: Duration
    /// A pod unready within this long of its start has never been ready.
    public var initialReadinessDelay: Duration

    public init(
        syncPeriod: Duration = .seconds(15), downscaleStabilization: Duration = .seconds(300), tolerance: Double = 0.1,
        cpuInitializationPeriod: Duration = .seconds(300), initialReadinessDelay: Duration = .seconds(30)
    ) {
        self.syncPeriod = syncPeriod
        self.downscaleStabilization = downscaleStabilization
        self.tolerance = tolerance
        self.cpuInitializationPeriod = cpuInitializationPeriod
        self.initialReadinessDelay = initialReadinessDelay
    }
}

/// Scales Deployments from metric samples (autoscaling/v2 HorizontalPodAutoscalers), as
/// Kubernetes' HPA controller does. Each HPA is synced every `syncPeriod` (and when its spec
/// changes): the target's scale is read from the store (only `apps/v1` Deployments), its pods
/// from the pod informer by the Deployment's selector, the samples from the metrics source; the
/// algorithm (`HPAMetricsEvaluation`, `ScalingBehavior`) decides; a new size is written to the
/// Deployment's `spec.replicas` (conditionally, so a concurrent `kctl scale` is never overwritten
/// blindly), and the HPA's status, conditions and Events tell what happened and why.
///
/// Missing or bad input (no target, no pods, no samples, no requests) never scales: it sets
/// ScalingActive=False (or AbleToScale=False) with Kubernetes' reason and records a Warning.
/// The per-HPA recommendation history lives in memory, keyed by the HPA and its uid, and is
/// dropped when the HPA is deleted; after a restart the first sync seeds it with the current
/// size, so nothing scales down before a full stabilization window.
public struct HorizontalPodAutoscalerReconciler: Reconciler {
    let store: any Store
    let hpas: Informer
    let pods: Informer
    let metrics: any AutoscalingMetricsSource
    let recorder: EventRecorder
    let settings: HPASettings
    let now: @Sendable () -> Date
    let logger: Logger
    private let histories = Locked<[ObjectKey: (uid: String, history: HPAScalingHistory)]>([:])

    public init(
        store: any Store, hpas: Informer, pods: Informer, metrics: any AutoscalingMetricsSource,
        recorder: EventRecorder, settings: HPASettings = HPASettings(), now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.store = store
        self.hpas = hpas
        self.pods = pods
        self.metrics = metrics
        self.recorder = recorder
        self.settings = settings
        self.now = now
        self.logger = logger
    }

    /// Queues an HPA when it is created, deleted, or its spec changes; not on status writes (the
    /// controller's own), which would sync it again before its period is over.
    public static func enqueue(hpas: Informer, into queue: WorkQueue) {
        hpas.addHandler { event in
            switch event {
            case .added, .deleted:
                queue.add(event.key)
            case .updated(let old, let new):
                if old.uid != new.uid || old.spec != new.spec || old.generation != new.generation { queue.add(event.key) }
            }
        }
    }

    /// The recommendation history kept for an HPA (for tests and diagnostics).
    public func history(for key: ObjectKey) -> HPAScalingHistory? {
        histories.withLock { $0[key]?.history }
    }

    public func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = hpas.get(key) else {
            histories.withLock { $0[key] = nil }
            return .done
        }
        let hpa: HorizontalPodAutoscaler
        do {
            hpa = try HorizontalPodAutoscaler(object)
        } catch {
            logger.warning("hpa \(key): cannot read: \(error)")
            return .requeueAfter(settings.syncPeriod)
        }
        guard let spec = hpa.spec, object.deletionTimestamp == nil else { return .done }
        let uid = object.uid ?? ""
        var sync = Sync(reconciler: self, key: key, object: object, hpa: hpa, spec: spec, now: now())
        sync.history = histories.withLock { h -> HPAScalingHistory in
            if let entry = h[key], entry.uid == uid { return entry.history }
            return HPAScalingHistory()
        }
        var failure: (any Error)?
        do {
            try await sync.run()
        } catch {
            failure = error
        }
        let history = sync.history
        histories.withLock { $0[key] = (uid, history) }
        try await writeStatus(sync.status, of: object, key: key)
        if let failure { throw failure }
        return .requeueAfter(settings.syncPeriod)
    }

    private func writeStatus(_ builder: HPAStatusBuilder, of object: KubeObject, key: ObjectKey) async throws {
        let old = try? HorizontalPodAutoscaler(object).status
        guard builder.differs(from: old) else { return }
        let json = try JSONValue(encoding: builder.status)
        let uid = object.uid
        do {
            _ = try await store.update(
                .horizontalPodAutoscaler, namespace: key.namespace, name: key.name, subresource: .status
            ) { current in
                guard current.uid == uid else {
                    throw StatusError.conflict(.horizontalPodAutoscaler, key.name, "the HorizontalPodAutoscaler was replaced")
                }
                current.json["status"] = json
            }
        } catch let error as StatusError where error.reason == .notFound {
            // Deleted meanwhile: the deletion event forgets it.
        }
    }
}

/// One sync of one HPA: the state it learns as it goes, and the steps.
private struct Sync {
    let reconciler: HorizontalPodAutoscalerReconciler
    let key: ObjectKey
    let object: KubeObject
    let hpa: HorizontalPodAutoscaler
    let spec: HorizontalPodAutoscalerSpec
    let now: Date
    var status: HPAStatusBuilder
    var history = HPAScalingHistory()

    init(
        reconciler: HorizontalPodAutoscalerReconciler, key: ObjectKey, object: KubeObject, hpa: HorizontalPodAutoscaler,
        spec: HorizontalPodAutoscalerSpec, now: Date
    ) {
        self.reconciler = reconciler
        self.key = key
        self.object = object
        self.hpa = hpa
        self.spec = spec
        self.now = now
        self.status = HPAStatusBuilder(from: hpa.status, now: now)
    }

    var namespace: String { key.namespace ?? "default" }
    var settings: HPASettings { reconciler.settings }
    var logger: Logger { reconciler.logger }

    /// The target Deployment as its scale subresource shows it.
    struct Target {
        var object: KubeObject
        var specReplicas: Int32
        var statusReplicas: Int32
        var selector: LabelSelector?
    }

    mutating func run() async throws {
        let minReplicas = spec.minReplicas ?? 1
        let maxReplicas = spec.maxReplicas
        let behavior = HPAResolvedBehavior(spec.behavior, downscaleStabilization: settings.downscaleStabilization)

        let target: Target
        switch await readTarget() {
        case .success(let found):
            target = found
        case .failure(let error):
            let message = "the HPA controller was unable to get the target's current scale: \(error.message)"
            status.set(HPAStatusBuilder.ableToScale, false, reason: "FailedGetScale", message: message)
            status.set(HPAStatusBuilder.scalingActive, false, reason: "FailedGetScale", message: message)
            await reconciler.recorder.warning(object, reason: "FailedGetScale", message: error.message)
            logger.info("hpa \(key): no scaling: \(error.message)")
            return
        }
        status.set(
            HPAStatusBuilder.ableToScale, true, reason: "SucceededGetScale",
            message: "the HPA controller was able to get the target's current scale")
        let current = target.specReplicas
        history.recordInitialRecommendation(current, now: now)

        guard minReplicas <= maxReplicas else {
            let message = "minReplicas (\(minReplicas)) is greater than maxReplicas (\(maxReplicas))"
            status.set(HPAStatusBuilder.scalingActive, false, reason: "InvalidSpec", message: message)
            status.setCurrent(replicas: current, metrics: nil, generation: hpa.metadata.generation)
            await reconciler.recorder.warning(object, reason: "InvalidSpec", message: message)
            logger.info("hpa \(key): no scaling: \(message)")
            return
        }

        var desired: Int32 = 0
        var reason = ""
        var statuses: [MetricStatus] = []
        var rescale = true
        if current == 0 && minReplicas != 0 {
            // Kubernetes' way to switch autoscaling off: scale the target to zero by hand.
            desired = 0
            rescale = false
            status.set(
                HPAStatusBuilder.scalingActive, false, reason: "ScalingDisabled",
                message: "scaling is disabled since the replica count of the target is zero")
        } else if current > maxReplicas {
            reason = "Current number of replicas above Spec.MaxReplicas"
            desired = maxReplicas
        } else if current < minReplicas {
            reason = "Current number of replicas below Spec.MinReplicas"
            desired = minReplicas
        } else {
            guard let result = await computeFromMetrics(target) else { return }
            statuses = result.statuses
            let recommended = ScalingBehavior.holdingWokenReplica(
                max(0, result.replicas ?? 0),
                wokenAt: target.object.annotations[AutoscalingAnnotations.wokenAt].flatMap(Timestamp.parse),
                window: behavior.scaleDown.stabilizationWindowSeconds, now: now)
            if recommended > current { reason = "\(result.metricName) above target" }
            if recommended < current { reason = "All metrics below target" }
            let normalized = ScalingBehavior.normalize(
                currentReplicas: current, recommendation: recommended, minReplicas: minReplicas,
                maxReplicas: maxReplicas, behavior: behavior, history: &history, now: now)
            status.set(
                HPAStatusBuilder.ableToScale, true, reason: normalized.ableToScaleReason,
                message: normalized.ableToScaleMessage)
            status.set(
                HPAStatusBuilder.scalingLimited, normalized.limited, reason: normalized.limitReason,
                message: normalized.limitMessage)
            desired = normalized.desiredReplicas
            rescale = desired != current
            if !rescale {
                // Held back (stabilization, rate, bounds) is worth a line; nothing to do is not.
                let line: Logger.Message =
                    "hpa \(key): stays at \(current) (recommended \(recommended): \(normalized.ableToScaleReason), \(normalized.limitReason))"
                logger.log(level: recommended == current ? .debug : .info, line)
            }
        }

        if rescale {
            // Beyond Kubernetes: when the HPA names a metric, the least busy pods go first.
            let scaleInBy = await ScaleInOrder(
                store: reconciler.store, pods: reconciler.pods, metrics: reconciler.metrics, logger: logger
            ).prepare(hpa: object, spec: spec, namespace: namespace, selector: target.selector, from: current, to: desired)
            if let scaleInBy { reason += "; least busy first by \(scaleInBy)" }
            do {
                try await scale(target, from: current, to: desired)
            } catch {
                let text = (error as? StatusError)?.message ?? "\(error)"
                await reconciler.recorder.warning(
                    object, reason: "FailedRescale", message: "New size: \(desired); reason: \(reason); error: \(text)")
                status.set(
                    HPAStatusBuilder.ableToScale, false, reason: "FailedUpdateScale",
                    message: "the HPA controller was unable to update the target scale: \(text)")
                status.setCurrent(replicas: current, metrics: statuses, generation: hpa.metadata.generation)
                throw error
            }
            status.set(
                HPAStatusBuilder.ableToScale, true, reason: "SucceededRescale",
                message: "the HPA controller was able to update the target scale to \(desired)")
            logger.info("hpa \(key): scaled Deployment \(namespace)/\(target.object.name) from \(current) to \(desired): \(reason)")
            await reconciler.recorder.normal(
                object, reason: "SuccessfulRescale", message: "New size: \(desired); reason: \(reason)")
            history.recordScale(from: current, to: desired, behavior: behavior, now: now)
        } else {
            desired = current
        }
        status.finish(
            currentReplicas: current, desiredReplicas: desired, metrics: statuses, rescaled: rescale,
            generation: hpa.metadata.generation)
    }

    // MARK: Steps

    /// The target's scale: only `apps/v1` Deployments serve one here.
    func readTarget() async -> Result<Target, HPAMetricError> {
        let ref = spec.scaleTargetRef
        guard ref.kind == "Deployment", ref.apiVersion == nil || ref.apiVersion == "apps/v1" || ref.apiVersion == "" else {
            let version = ref.apiVersion.map { "\($0), " } ?? ""
            return .failure(
                HPAMetricError("no scale subresource for \(version)Kind=\(ref.kind): only apps/v1 Deployments can be scaled"))
        }
        let deployment: KubeObject
        do {
            deployment = try await reconciler.store.get(.deployment, namespace: namespace, name: ref.name)
        } catch let error as StatusError {
            return .failure(HPAMetricError(error.message))
        } catch {
            return .failure(HPAMetricError("\(error)"))
        }
        let selector = deployment.spec?["selector"].flatMap { try? $0.decode(LabelSelector.self) }
        return .success(
            Target(
                object: deployment,
                specReplicas: Int32(clamping: deployment.spec?["replicas"]?.intValue ?? 1),
                statusReplicas: Int32(clamping: deployment.status?["replicas"]?.intValue ?? 0),
                selector: selector))
    }

    /// Reads every metric and evaluates them; nil (with conditions, Events and the status set)
    /// when no count can be trusted.
    mutating func computeFromMetrics(_ target: Target) async -> HPAMetricsResult? {
        guard let selector = target.selector, !selector.isEmpty else {
            let message = "the HPA target's scale is missing a selector"
            status.set(HPAStatusBuilder.scalingActive, false, reason: "InvalidSelector", message: message)
            status.setCurrent(replicas: target.specReplicas, metrics: nil, generation: hpa.metadata.generation)
            await reconciler.recorder.warning(object, reason: "SelectorRequired", message: "selector is required")
            logger.info("hpa \(key): no scaling: \(message)")
            return nil
        }
        let selected = reconciler.pods.list(namespace: namespace, selector: selector).map(HPAPod.init)
        let names = Set(selected.map(\.name))
        let specs = spec.metrics ?? []
        var readings: [HPAMetricReading] = []
        for metric in specs { readings.append(await read(metric, podNames: names)) }

        let behavior = HPAResolvedBehavior(spec.behavior, downscaleStabilization: settings.downscaleStabilization)
        let context = HPAMetricsEvaluation.Context(
            specReplicas: target.specReplicas, statusReplicas: target.statusReplicas, pods: selected,
            tolerances: behavior.tolerances(default: settings.tolerance),
            calculator: ReplicaCalculator(
                cpuInitializationPeriod: settings.cpuInitializationPeriod,
                initialReadinessDelay: settings.initialReadinessDelay),
            now: now)
        let result = HPAMetricsEvaluation.evaluate(specs, readings: readings, context: context)
        for failure in result.failures {
            await reconciler.recorder.warning(object, reason: failure.reason, message: failure.message)
        }
        guard result.replicas != nil, !specs.isEmpty else {
            let first = result.failures.first
                ?? HPAMetricFailure(reason: "InvalidMetricSourceType", message: "the HPA has no metrics")
            status.set(
                HPAStatusBuilder.scalingActive, false, reason: first.reason,
                message: "the HPA was unable to compute the replica count: \(first.message)")
            status.setCurrent(replicas: target.specReplicas, metrics: result.statuses, generation: hpa.metadata.generation)
            let summary = result.failureSummary ?? first.message
            await reconciler.recorder.warning(object, reason: "FailedComputeMetricsReplicas", message: summary)
            logger.info("hpa \(key): no scaling: \(summary)")
            return nil
        }
        status.set(
            HPAStatusBuilder.scalingActive, true, reason: "ValidMetricFound",
            message: "the HPA was able to successfully calculate a replica count from \(result.metricName)")
        return result
    }

    /// Reads one metric's samples, limited to the target's pods.
    func read(_ metric: MetricSpec, podNames: Set<String>) async -> HPAMetricReading {
        let source = reconciler.metrics
        do {
            switch metric.type {
            case "Resource":
                guard let resource = metric.resource else { return .failed("no resource metric source") }
                let samples = try await source.resourceMetric(resource.name, namespace: namespace)
                return .pods(samples.filter { podNames.contains($0.key) })
            case "Pods":
                guard let pods = metric.pods else { return .failed("no pods metric source") }
                let samples = try await source.podsMetric(
                    pods.metric.name, namespace: namespace, selector: pods.metric.selector)
                return .pods(samples.filter { podNames.contains($0.key) })
            case "External":
                guard let external = metric.external else { return .failed("no external metric source") }
                return .external(
                    try await source.externalMetric(
                        external.metric.name, namespace: namespace, selector: external.metric.selector))
            default:
                return .failed("\(metric.type) metrics are not supported by this controller")
            }
        } catch {
            return .failed("\(error)")
        }
    }

    /// Writes the new size into the Deployment, only if it still has the size and uid this sync read.
    func scale(_ target: Target, from current: Int32, to desired: Int32) async throws {
        let name = target.object.name
        let uid = target.object.uid
        _ = try await reconciler.store.update(.deployment, namespace: namespace, name: name, subresource: .main) {
            deployment in
            guard deployment.uid == uid else {
                throw StatusError.conflict(.deployment, name, "the Deployment was replaced")
            }
            guard Int32(clamping: deployment.spec?["replicas"]?.intValue ?? 1) == current else {
                throw StatusError.conflict(
                    .deployment, name, "the object has been modified; please apply your changes to the latest version and try again")
            }
            var spec = deployment.spec?.objectValue ?? [:]
            spec["replicas"] = .int(Int64(desired))
            deployment.spec = .object(spec)
        }
    }
}
