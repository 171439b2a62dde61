import Foundation
import KctlControllers
import KctlModel
import Testing

/// The fixed "now" of the algorithm tests; pods started long before it.
private let t0 = Date(timeIntervalSince1970: 1_700_000_000)
private let longAgo = t0.addingTimeInterval(-3600)

private func pod(
    _ name: String, phase: String = "Running", ready: Bool? = true, readySince: Date = longAgo, started: Date = longAgo,
    deleting: Bool = false, cpu: [String?] = ["500m"]
) -> HPAPod {
    let containers = cpu.enumerated().map { index, request in
        HPAPod.Container(
            name: "c\(index)", requests: request.map { ["cpu": try! Quantity($0).milliValue] } ?? [:])
    }
    return HPAPod(
        name: name, phase: phase, deleting: deleting, ready: ready, readyTransition: readySince, startTime: started,
        containers: containers)
}

private func samples(_ values: [String: Double], at time: Date = t0, window: Duration = .seconds(30))
    -> [String: PodMetricValue]
{
    values.reduce(into: [:]) { $0[$1.key] = PodMetricValue(pod: $1.key, value: $1.value, timestamp: time, window: window) }
}

private let calculator = ReplicaCalculator()
private let tenPercent = HPATolerances(0.1)

/// A Pods metric proposal: `values` per pod against `target` (a quantity) per pod.
private func podsProposal(
    current: Int32, target: String, values: [String: Double], pods: [HPAPod]? = nil,
    tolerances: HPATolerances = tenPercent
) throws -> ReplicaCalculator.Proposal {
    let pods = pods ?? values.keys.sorted().map { pod($0) }
    return try calculator.averageValue(
        currentReplicas: current, targetMilli: try Quantity(target).milliValue, resource: nil, pods: pods,
        metrics: samples(values), tolerances: tolerances, now: t0)
}

@Suite struct HPAReplicaCalculatorTests {
    @Test func theDocumentationExamplesDoubleAndHalve() throws {
        let four = ["a", "b", "c", "d"]
        // current 200m, target 100m: 200 / 100 = 2, twice the replicas.
        let up = try podsProposal(current: 4, target: "100m", values: Dictionary(uniqueKeysWithValues: four.map { ($0, 0.2) }))
        #expect(up.replicas == 8)
        #expect(up.milliValue == 200)
        // current 50m: half.
        let down = try podsProposal(current: 4, target: "100m", values: Dictionary(uniqueKeysWithValues: four.map { ($0, 0.05) }))
        #expect(down.replicas == 2)
        // ceil: 3 pods at 150m against 100m want 4.5, so 5.
        let ceiled = try podsProposal(current: 3, target: "100m", values: ["a": 0.15, "b": 0.15, "c": 0.15])
        #expect(ceiled.replicas == 5)
    }

    @Test func withinTheToleranceNothingChanges() throws {
        let values = ["a": 0.105, "b": 0.105, "c": 0.105, "d": 0.105]
        #expect(try podsProposal(current: 4, target: "100m", values: values).replicas == 4)
        // 15% above is outside the 10% band: ceil(1.15 * 4) = 5.
        let above = ["a": 0.115, "b": 0.115, "c": 0.115, "d": 0.115]
        #expect(try podsProposal(current: 4, target: "100m", values: above).replicas == 5)
        // A wider band (a setting) keeps it.
        #expect(try podsProposal(current: 4, target: "100m", values: above, tolerances: HPATolerances(0.2)).replicas == 4)
        // Per direction: 8% below stays with a 10% scale-down band, goes with a 5% one.
        let below = ["a": 0.092, "b": 0.092, "c": 0.092, "d": 0.092]
        #expect(try podsProposal(current: 4, target: "100m", values: below).replicas == 4)
        let strictDown = HPATolerances(scaleDown: 0.05, scaleUp: 0.1)
        #expect(try podsProposal(current: 4, target: "100m", values: below, tolerances: strictDown).replicas == 4)
        let many = Dictionary(uniqueKeysWithValues: (0..<20).map { ("p\($0)", 0.092) })
        #expect(try podsProposal(current: 20, target: "100m", values: many, tolerances: strictDown).replicas == 19)
        #expect(HPATolerances(0.1).isWithin(0.9) && HPATolerances(0.1).isWithin(1.1))
        #expect(!HPATolerances(0.1).isWithin(0.89) && !HPATolerances(0.1).isWithin(1.11))
    }

    @Test func resourceUtilizationIsAShareOfSummedRequests() throws {
        // Two containers of 250m each: 500m requested per pod; 400m used is 80%.
        let pods = [pod("a", cpu: ["250m", "250m"]), pod("b", cpu: ["250m", "250m"])]
        let proposal = try calculator.resourceUtilization(
            currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: pods,
            metrics: samples(["a": 0.4, "b": 0.4]), tolerances: tenPercent, now: t0)
        // 80 / 50 = 1.6; ceil(1.6 * 2) = 4.
        #expect(proposal.replicas == 4)
        #expect(proposal.utilization == 80)
        #expect(proposal.milliValue == 400)
        // A container without a request makes utilization impossible: an error naming it.
        let bare = [pod("a"), pod("b", cpu: ["500m", nil])]
        #expect(throws: HPAMetricError("missing request for cpu in container c1 of Pod b")) {
            try calculator.resourceUtilization(
                currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: bare,
                metrics: samples(["a": 0.4, "b": 0.4]), tolerances: tenPercent, now: t0)
        }
    }

    @Test func noPodsOrNoSamplesIsAnError() throws {
        #expect(throws: HPAMetricError("no pods returned by selector while calculating replica count")) {
            try calculator.averageValue(
                currentReplicas: 2, targetMilli: 100, resource: nil, pods: [], metrics: [:], tolerances: tenPercent,
                now: t0)
        }
        #expect(throws: HPAMetricError("did not receive metrics for targeted pods (pods might be unready)")) {
            try calculator.averageValue(
                currentReplicas: 2, targetMilli: 100, resource: nil, pods: [pod("a"), pod("b", phase: "Pending")],
                metrics: samples(["b": 1]), tolerances: tenPercent, now: t0)
        }
    }

    @Test func missingSamplesCountAsNothingOnAScaleUpAndAsTheTargetOnAScaleDown() throws {
        let pods = ["a", "b", "c"].map { pod($0) }
        // Up: a and b at 3x, c silent counts as 0: (300 + 300 + 0) / 3 = 200m, twice 3 pods.
        let up = try podsProposal(current: 3, target: "100m", values: ["a": 0.3, "b": 0.3], pods: pods)
        #expect(up.replicas == 6)
        // Down: a and b at 20m, c counts as the target 100m: 140 / 3 = 46m, ceil(0.46 * 3) = 2.
        let down = try podsProposal(current: 3, target: "100m", values: ["a": 0.02, "b": 0.02], pods: pods)
        #expect(down.replicas == 2)
        // Without the correction it would have been ceil(0.2 * 2) = 1.
        #expect(try podsProposal(current: 2, target: "100m", values: ["a": 0.02, "b": 0.02]).replicas == 1)
        // A correction that flips the direction changes nothing: 120m on two, two silent: 60m.
        let four = ["a", "b", "c", "d"].map { pod($0) }
        #expect(try podsProposal(current: 4, target: "100m", values: ["a": 0.12, "b": 0.12], pods: four).replicas == 4)
        // Utilization: a silent pod counts as 100% of its request on a scale-down.
        let utilization = try calculator.resourceUtilization(
            currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: [pod("a"), pod("b")],
            metrics: samples(["a": 0.05]), tolerances: tenPercent, now: t0)
        // a: 10% alone; with b at 100%: 55%, which is within 10% of 50 -> no change.
        #expect(utilization.replicas == 2)
        #expect(utilization.utilization == 10)
    }

    @Test func unreadyPodsAreLeftOutOrCountAsNothingOnAScaleUp() throws {
        let starting = t0.addingTimeInterval(-60)  // within the 5-minute CPU initialization period
        let pods = [
            pod("a", cpu: ["1"]), pod("b", cpu: ["1"]),
            pod("new", ready: false, readySince: starting, started: starting, cpu: ["1"]),
        ]
        // Ready pods at 90% (target 50%: 1.8); the new pod's CPU burst is not counted as load but
        // as 0: (0.9 + 0.9 + 0) / 3 = 60%, 1.2 * 3 = 3.6, so 4.
        let up = try calculator.resourceUtilization(
            currentReplicas: 3, targetUtilization: 50, resource: "cpu", pods: pods,
            metrics: samples(["a": 0.9, "b": 0.9, "new": 1.0]), tolerances: tenPercent, now: t0)
        #expect(up.replicas == 4)
        #expect(up.utilization == 90)
        // On a scale-down the unready pod is simply left out: 10% of 2 ready pods, 0.2 * 2 = 0.4, so 1.
        let down = try calculator.resourceUtilization(
            currentReplicas: 3, targetUtilization: 50, resource: "cpu", pods: pods,
            metrics: samples(["a": 0.1, "b": 0.1, "new": 1.0]), tolerances: tenPercent, now: t0)
        #expect(down.replicas == 1)
        // A ready pod whose sample predates one window after its readiness is still starting up.
        let justReady = [pod("a", cpu: ["1"]), pod("fresh", readySince: t0.addingTimeInterval(-10), started: starting, cpu: ["1"])]
        let fresh = try calculator.resourceUtilization(
            currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: justReady,
            metrics: samples(["a": 1.0, "fresh": 0.0]), tolerances: tenPercent, now: t0)
        // a alone: 100% / 50% = 2; fresh as 0: 50% -> within the band: no change.
        #expect(fresh.replicas == 2)
        // Past the initialization period a pod that went unready after having been ready counts.
        let flapping = [
            pod("a", cpu: ["1"]), pod("b", ready: false, readySince: t0.addingTimeInterval(-30), cpu: ["1"]),
        ]
        let counted = try calculator.resourceUtilization(
            currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: flapping,
            metrics: samples(["a": 1.0, "b": 1.0]), tolerances: tenPercent, now: t0)
        #expect(counted.replicas == 4)
        // One that has never been ready (unready within 30 s of its start) does not.
        let never = [pod("a", cpu: ["1"]), pod("b", ready: false, readySince: longAgo.addingTimeInterval(5), cpu: ["1"])]
        let notCounted = try calculator.resourceUtilization(
            currentReplicas: 2, targetUtilization: 50, resource: "cpu", pods: never,
            metrics: samples(["a": 1.0, "b": 1.0]), tolerances: tenPercent, now: t0)
        // a at 2x, b as 0: 50% -> within the band -> 2.
        #expect(notCounted.replicas == 2)
        // Readiness only matters for CPU; Pending pods are unready for every metric; deleted and
        // failed pods are left out.
        let mixed = [
            pod("a"), pod("b", ready: false, readySince: starting, started: starting), pod("p", phase: "Pending"),
            pod("gone", deleting: true), pod("dead", phase: "Failed"),
        ]
        // a and b at 2x; p counts 0 on the scale-up: 400 / 3 = 133m -> ceil(1.33 * 3) = 4.
        let custom = try podsProposal(
            current: 3, target: "100m", values: ["a": 0.2, "b": 0.2, "gone": 5, "dead": 5], pods: mixed)
        #expect(custom.replicas == 4)
    }

    @Test func externalValueScalesFromAndToZero() throws {
        // From zero replicas: ceil(usage / target), whatever the pods.
        let wake = try calculator.externalValue(currentReplicas: 0, targetMilli: 10_000, totalMilli: 25_000, pods: [], tolerances: tenPercent)
        #expect(wake.replicas == 3)
        #expect(try calculator.externalValue(currentReplicas: 0, targetMilli: 10_000, totalMilli: 0, pods: [], tolerances: tenPercent).replicas == 0)
        // Otherwise the ratio scales the ready pods: 40 / 10 on 2 ready pods.
        let pods = [pod("a"), pod("b"), pod("c", ready: false)]
        #expect(try calculator.externalValue(currentReplicas: 3, targetMilli: 10_000, totalMilli: 40_000, pods: pods, tolerances: tenPercent).replicas == 8)
        // A drained queue scales to zero.
        #expect(try calculator.externalValue(currentReplicas: 3, targetMilli: 10_000, totalMilli: 0, pods: pods, tolerances: tenPercent).replicas == 0)
        // Within the band: unchanged.
        #expect(try calculator.externalValue(currentReplicas: 3, targetMilli: 10_000, totalMilli: 10_500, pods: pods, tolerances: tenPercent).replicas == 3)
        #expect(throws: HPAMetricError.self) {
            try calculator.externalValue(currentReplicas: 3, targetMilli: 10_000, totalMilli: 40_000, pods: [], tolerances: tenPercent)
        }
    }

    @Test func externalAverageValueDividesOverReplicas() throws {
        // 30 over 2 replicas is 15 each against 5: ceil(30 / 5) = 6.
        let proposal = try calculator.externalAverageValue(statusReplicas: 2, targetMilli: 5000, totalMilli: 30_000, tolerances: tenPercent)
        #expect(proposal.replicas == 6)
        #expect(proposal.milliValue == 15_000)
        // From zero replicas too.
        #expect(try calculator.externalAverageValue(statusReplicas: 0, targetMilli: 5000, totalMilli: 30_000, tolerances: tenPercent).replicas == 6)
        // Within the band: the observed count.
        #expect(try calculator.externalAverageValue(statusReplicas: 6, targetMilli: 5000, totalMilli: 31_000, tolerances: tenPercent).replicas == 6)
    }
}

@Suite struct HPAMetricsEvaluationTests {
    private func context(spec: Int32 = 2, status: Int32 = 2, pods: [HPAPod] = [pod("a"), pod("b")])
        -> HPAMetricsEvaluation.Context
    {
        .init(specReplicas: spec, statusReplicas: status, pods: pods, tolerances: tenPercent, calculator: calculator, now: t0)
    }

    private let podsMetric = MetricSpec(
        type: "Pods",
        pods: PodsMetricSource(
            metric: MetricIdentifier(name: "messages_per_second"),
            target: MetricTarget(type: "AverageValue", averageValue: try! Quantity("20"))))
    private let cpuMetric = MetricSpec(
        type: "Resource",
        resource: ResourceMetricSource(name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 50)))
    private let queueMetric = MetricSpec(
        type: "External",
        external: ExternalMetricSource(
            metric: MetricIdentifier(name: "queue_depth", selector: LabelSelector(matchLabels: ["queue": "orders"])),
            target: MetricTarget(type: "Value", value: try! Quantity("10"))))

    @Test func theHighestRecommendationWins() throws {
        let result = HPAMetricsEvaluation.evaluate(
            [cpuMetric, podsMetric, queueMetric],
            readings: [
                .pods(samples(["a": 0.25, "b": 0.25])),  // 50%: stays 2
                .pods(samples(["a": 40, "b": 40])),  // 2x: 4
                .external([ExternalMetricValue(name: "queue_depth", value: 30, timestamp: t0)]),  // 3x on 2 ready: 6
            ], context: context())
        #expect(result.replicas == 6)
        #expect(result.metricName == "external metric queue_depth(queue=orders)")
        #expect(result.failures.isEmpty)
        #expect(result.statuses.map(\.type) == ["Resource", "Pods", "External"])
        #expect(result.statuses[0].resource?.current.averageUtilization == 50)
        #expect(result.statuses[0].resource?.current.averageValue == Quantity(milli: 250))
        #expect(result.statuses[1].pods?.current.averageValue == Quantity(value: 40))
        #expect(result.statuses[2].external?.current.value == Quantity(value: 30))
    }

    @Test func invalidMetricsAreIgnoredUnlessAllAreInvalidOrTheRestScaleDown() throws {
        // One fails, the other scales up: the valid one is used.
        let up = HPAMetricsEvaluation.evaluate(
            [podsMetric, queueMetric], readings: [.pods(samples(["a": 40, "b": 40])), .failed("no such metric")],
            context: context())
        #expect(up.replicas == 4)
        #expect(up.metricName == "pods metric messages_per_second")
        #expect(up.failures == [
            HPAMetricFailure(
                reason: "FailedGetExternalMetric", message: "unable to get external metric queue_depth(queue=orders): no such metric")
        ])
        // One fails, the other would scale down: nothing is trusted.
        let down = HPAMetricsEvaluation.evaluate(
            [podsMetric, queueMetric], readings: [.pods(samples(["a": 5, "b": 5])), .failed("no such metric")],
            context: context())
        #expect(down.replicas == nil)
        #expect(down.statuses.count == 1)
        // All fail: nothing, with the first failure first.
        let none = HPAMetricsEvaluation.evaluate(
            [podsMetric, queueMetric], readings: [.pods([:]), .external([])], context: context())
        #expect(none.replicas == nil)
        #expect(none.failures.map(\.reason) == ["FailedGetPodsMetric", "FailedGetExternalMetric"])
        #expect(none.failureSummary?.hasPrefix("invalid metrics (2 invalid out of 2), first error is: did not receive metrics") == true)
        // Utilization without requests names the pod.
        let bare = HPAMetricsEvaluation.evaluate(
            [cpuMetric], readings: [.pods(samples(["a": 0.4]))], context: context(pods: [pod("a", cpu: [nil])]))
        #expect(bare.failures.first?.reason == "FailedGetResourceMetric")
        #expect(bare.failures.first?.message.contains("missing request for cpu") == true)
        // Unsupported types are failures, not crashes.
        let object = MetricSpec(type: "Object")
        #expect(HPAMetricsEvaluation.evaluate([object], readings: [], context: context()).failures.first?.reason == "FailedGetObjectMetric")
    }
}

@Suite struct HPAScalingBehaviorTests {
    private let defaults = HPAResolvedBehavior(nil, downscaleStabilization: .seconds(300))

    @Test func aWokenDeploymentKeepsOneReplicaForAWindow() {
        let woken = t0
        #expect(ScalingBehavior.holdingWokenReplica(0, wokenAt: woken, window: 60, now: t0.addingTimeInterval(10)) == 1)
        #expect(ScalingBehavior.holdingWokenReplica(0, wokenAt: woken, window: 60, now: t0.addingTimeInterval(61)) == 0)
        #expect(ScalingBehavior.holdingWokenReplica(0, wokenAt: nil, window: 60, now: t0) == 0)
        #expect(ScalingBehavior.holdingWokenReplica(3, wokenAt: woken, window: 60, now: t0) == 3)
    }

    private func normalize(
        current: Int32, to recommendation: Int32, min: Int32 = 1, max: Int32 = 100,
        behavior: HPAResolvedBehavior? = nil, history: inout HPAScalingHistory, at time: Date
    ) -> HPANormalization {
        ScalingBehavior.normalize(
            currentReplicas: current, recommendation: recommendation, minReplicas: min, maxReplicas: max,
            behavior: behavior ?? defaults, history: &history, now: time)
    }

    @Test func defaultsAreKubernetes() {
        #expect(defaults.scaleUp.stabilizationWindowSeconds == 0)
        #expect(defaults.scaleUp.selectPolicy == .max)
        #expect(defaults.scaleUp.policies == [.init(.pods, 4, periodSeconds: 15), .init(.percent, 100, periodSeconds: 15)])
        #expect(defaults.scaleDown.stabilizationWindowSeconds == 300)
        #expect(defaults.scaleDown.policies == [.init(.percent, 100, periodSeconds: 15)])
        // The controller's window is a setting; a partly given behavior keeps the other defaults.
        let partial = HPAResolvedBehavior(
            HorizontalPodAutoscalerBehavior(scaleDown: HPAScalingRules(selectPolicy: "Min", tolerance: try! Quantity("0.05"))),
            downscaleStabilization: .seconds(60))
        #expect(partial.scaleDown.stabilizationWindowSeconds == 60)
        #expect(partial.scaleDown.selectPolicy == .min)
        #expect(partial.scaleDown.policies == HPAResolvedBehavior.defaultScaleDownPolicies)
        #expect(partial.scaleUp == defaults.scaleUp)
        #expect(partial.tolerances(default: 0.1) == HPATolerances(scaleDown: 0.05, scaleUp: 0.1))
    }

    @Test func minAndMaxClamp() {
        var history = HPAScalingHistory()
        let high = normalize(current: 8, to: 12, max: 10, history: &history, at: t0)
        #expect(high.desiredReplicas == 10)
        #expect(high.limited && high.limitReason == "TooManyReplicas")
        var quiet = HPAScalingHistory()
        let low = normalize(
            current: 4, to: 1, min: 3, behavior: HPAResolvedBehavior(nil, downscaleStabilization: .zero),
            history: &quiet, at: t0)
        #expect(low.desiredReplicas == 3)
        #expect(low.limited && low.limitReason == "TooFewReplicas")
        var steady = HPAScalingHistory()
        let within = normalize(current: 4, to: 4, history: &steady, at: t0)
        #expect(within.desiredReplicas == 4 && !within.limited && within.limitReason == "DesiredWithinRange")
        #expect(within.ableToScaleReason == "ReadyForNewScale")
    }

    @Test func defaultScaleUpIsFourPodsOrDoubleEvery15Seconds() {
        var history = HPAScalingHistory()
        // From 1: max(1 + 4, 1 * 2) = 5.
        let first = normalize(current: 1, to: 20, history: &history, at: t0)
        #expect(first.desiredReplicas == 5)
        #expect(first.limited && first.limitReason == "ScaleUpLimit")
        history.recordScale(from: 1, to: 5, behavior: defaults, now: t0)
        // Within the same 15 s the 4 added pods use up the period's budget.
        let soon = normalize(current: 5, to: 20, history: &history, at: t0.addingTimeInterval(5))
        #expect(soon.desiredReplicas == 5 && soon.limitReason == "ScaleUpLimit")
        // Next period: max(5 + 4, 5 * 2) = 10.
        let later = normalize(current: 5, to: 20, history: &history, at: t0.addingTimeInterval(16))
        #expect(later.desiredReplicas == 10)
        // From 10: doubling beats 4 pods.
        var big = HPAScalingHistory()
        #expect(normalize(current: 10, to: 50, history: &big, at: t0).desiredReplicas == 20)
    }

    @Test func scaleDownWaitsForItsStabilizationWindow() {
        var history = HPAScalingHistory()
        history.recordInitialRecommendation(10, now: t0)
        let early = normalize(current: 10, to: 2, history: &history, at: t0)
        #expect(early.desiredReplicas == 10)
        #expect(early.ableToScaleReason == "ScaleDownStabilized")
        // A higher recommendation inside the window holds the size.
        _ = normalize(current: 10, to: 6, history: &history, at: t0.addingTimeInterval(200))
        let held = normalize(current: 10, to: 2, history: &history, at: t0.addingTimeInterval(301))
        #expect(held.desiredReplicas == 6)
        // Once every recommendation in the window is low, down it goes (100% per 15 s allows it).
        let released = normalize(current: 10, to: 2, history: &history, at: t0.addingTimeInterval(501))
        #expect(released.desiredReplicas == 2)
        #expect(released.limitReason == "DesiredWithinRange")
        // The history does not grow without bound: slots older than both windows are reused.
        #expect(history.recommendations.count <= 4)
    }

    @Test func scaleUpStabilizationTakesTheLowestRecentRecommendation() {
        let behavior = HPAResolvedBehavior(
            HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(stabilizationWindowSeconds: 60)),
            downscaleStabilization: .seconds(300))
        var history = HPAScalingHistory()
        history.recordInitialRecommendation(3, now: t0)
        let spike = normalize(current: 3, to: 8, behavior: behavior, history: &history, at: t0.addingTimeInterval(10))
        #expect(spike.desiredReplicas == 3)
        #expect(spike.ableToScaleReason == "ScaleUpStabilized")
        // Sustained for the window: up, by at most max(3 + 4, 3 * 2) = 7.
        let sustained = normalize(current: 3, to: 8, behavior: behavior, history: &history, at: t0.addingTimeInterval(61))
        #expect(sustained.desiredReplicas == 7)
        #expect(sustained.limitReason == "ScaleUpLimit")
    }

    @Test func podsAndPercentPoliciesWithPeriodsAndSelectPolicy() {
        func behavior(_ select: String) -> HPAResolvedBehavior {
            HPAResolvedBehavior(
                HorizontalPodAutoscalerBehavior(
                    scaleDown: HPAScalingRules(
                        stabilizationWindowSeconds: 0, selectPolicy: select,
                        policies: [
                            HPAScalingPolicy(type: "Pods", value: 2, periodSeconds: 60),
                            HPAScalingPolicy(type: "Percent", value: 50, periodSeconds: 60),
                        ])),
                downscaleStabilization: .seconds(300))
        }
        // Max: the policy allowing the biggest change (50% of 10 -> 5, beats -2 -> 8).
        var history = HPAScalingHistory()
        let max = normalize(current: 10, to: 1, behavior: behavior("Max"), history: &history, at: t0)
        #expect(max.desiredReplicas == 5)
        #expect(max.limitReason == "ScaleDownLimit")
        // Min: the smallest change.
        var minHistory = HPAScalingHistory()
        #expect(normalize(current: 10, to: 1, behavior: behavior("Min"), history: &minHistory, at: t0).desiredReplicas == 8)
        // Disabled: no scale-down at all.
        var off = HPAScalingHistory()
        let disabled = normalize(current: 10, to: 1, behavior: behavior("Disabled"), history: &off, at: t0)
        #expect(disabled.desiredReplicas == 10 && disabled.limited && disabled.limitReason == "ScaleDownLimit")

        // Periods: after 10 -> 5, the 60 s period starts from 10 again, so nothing more for now.
        history.recordScale(from: 10, to: 5, behavior: behavior("Max"), now: t0)
        let within = normalize(current: 5, to: 1, behavior: behavior("Max"), history: &history, at: t0.addingTimeInterval(30))
        #expect(within.desiredReplicas == 5 && within.limitReason == "ScaleDownLimit")
        // After the period: max(5 - 2, 5 * 0.5 = 2) -> 2.
        let after = normalize(current: 5, to: 1, behavior: behavior("Max"), history: &history, at: t0.addingTimeInterval(61))
        #expect(after.desiredReplicas == 2)

        // A Percent scale-up rounds up, so a small percentage still adds a pod.
        let slowUp = HPAResolvedBehavior(
            HorizontalPodAutoscalerBehavior(
                scaleUp: HPAScalingRules(policies: [HPAScalingPolicy(type: "Percent", value: 10, periodSeconds: 60)])),
            downscaleStabilization: .seconds(300))
        var upHistory = HPAScalingHistory()
        #expect(normalize(current: 3, to: 10, behavior: slowUp, history: &upHistory, at: t0).desiredReplicas == 4)
        // Scale-up Disabled.
        let noUp = HPAResolvedBehavior(
            HorizontalPodAutoscalerBehavior(scaleUp: HPAScalingRules(selectPolicy: "Disabled")),
            downscaleStabilization: .seconds(300))
        var noUpHistory = HPAScalingHistory()
        let blocked = normalize(current: 3, to: 10, behavior: noUp, history: &noUpHistory, at: t0)
        #expect(blocked.desiredReplicas == 3 && blocked.limitReason == "ScaleUpLimit")
    }

    @Test func scaleEventsReuseOutdatedSlots() {
        var history = HPAScalingHistory()
        history.recordScale(from: 1, to: 5, behavior: defaults, now: t0)
        history.recordScale(from: 5, to: 9, behavior: defaults, now: t0.addingTimeInterval(10))
        #expect(history.scaleUpEvents.count == 2)
        // Both older than 15 s: the newest outdated slot is reused.
        history.recordScale(from: 9, to: 12, behavior: defaults, now: t0.addingTimeInterval(100))
        #expect(history.scaleUpEvents.count == 2)
        #expect(history.scaleUpEvents.contains { $0.replicaChange == 3 && $0.timestamp == t0.addingTimeInterval(100) })
        history.recordScale(from: 12, to: 4, behavior: defaults, now: t0.addingTimeInterval(100))
        #expect(history.scaleDownEvents == [HPAScalingHistory.ScaleEvent(replicaChange: 8, timestamp: t0.addingTimeInterval(100))])
    }
}
