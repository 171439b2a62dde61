import Foundation
import KctlAPIServer
import KctlControllers
import KctlModel
import KctlStore
import Testing

@testable import KctlMetrics

/// The pipeline as the HPA and the API read it: pushes, staleness, resource samples, sums per pod.
@Suite struct MetricsPipelineTests {
    let clock = TestWallClock()

    func pipeline(_ store: any Store, resources: (any ResourceMetricsSource)? = nil) -> MetricsPipeline {
        MetricsPipeline(
            store: store, resources: resources, settings: .init(scrapeInterval: .seconds(5)), logger: quietLogger,
            now: clock.function)
    }

    @Test func aPushForAPodIsAPodsSampleOfIt() async throws {
        try await TemporaryStore.with { store in
            _ = try await store.create(Objects.pod("web-1", labels: ["app": "web"]), as: .pod)
            let metrics = pipeline(store)
            let recorded = try await metrics.push(
                MetricPush(namespace: "default", name: "messages_per_second", value: 30, target: .pod("web-1")))
            #expect(recorded.count == 1)
            #expect(recorded[0].kind == .pods && recorded[0].pod == "web-1" && recorded[0].value == 30)
            #expect(recorded[0].origin == .push && recorded[0].timestamp == clock.now)

            let read = try await metrics.podsMetric("messages_per_second", namespace: "default", selector: nil)
            #expect(read == ["web-1": PodMetricValue(pod: "web-1", value: 30, timestamp: clock.now)])
            #expect(try await metrics.podsMetric("messages_per_second", namespace: "shop", selector: nil).isEmpty)

            let missing = await #expect(throws: StatusError.self) {
                try await metrics.push(MetricPush(namespace: "default", name: "m", value: 1, target: .pod("nope")))
            }
            #expect(missing?.code == 422 && missing?.causes.map(\.field) == ["pod"])
        }
    }

    @Test func aPushForASelectorIsOneSamplePerMatchingPod() async throws {
        try await TemporaryStore.with { store in
            for (name, app) in [("web-1", "web"), ("web-2", "web"), ("db-1", "db")] {
                _ = try await store.create(Objects.pod(name, labels: ["app": app]), as: .pod)
            }
            let metrics = pipeline(store)
            let recorded = try await metrics.push(
                MetricPush(namespace: "default", name: "load", value: 7, target: .selector(try LabelSelector.parse("app=web"))))
            #expect(recorded.map(\.pod) == ["web-1", "web-2"])
            #expect(try await metrics.podsMetric("load", namespace: "default", selector: nil).keys.sorted() == ["web-1", "web-2"])

            let none = await #expect(throws: StatusError.self) {
                try await metrics.push(
                    MetricPush(namespace: "default", name: "load", value: 1, target: .selector(try LabelSelector.parse("app=cache"))))
            }
            #expect(none?.code == 422 && none?.causes.map(\.field) == ["selector"])
            #expect(none?.message.contains("no pod in namespace default matches") == true)
        }
    }

    @Test func aPushWithoutAPodIsAnExternalSeries() async throws {
        try await TemporaryStore.with { store in
            let metrics = pipeline(store)
            _ = try await metrics.push(
                MetricPush(namespace: "shop", name: "queue_depth", value: 12, target: .external, labels: ["service": "queue"]))
            _ = try await metrics.push(
                MetricPush(namespace: "shop", name: "queue_depth", value: 3, target: .external, labels: ["service": "other"]))
            let queue = try await metrics.externalMetric(
                "queue_depth", namespace: "shop", selector: try LabelSelector.parse("service=queue"))
            #expect(queue == [ExternalMetricValue(name: "queue_depth", labels: ["service": "queue"], value: 12, timestamp: clock.now)])
            let all = try await metrics.externalMetric("queue_depth", namespace: "shop", selector: nil)
            #expect(all.map(\.value) == [3, 12])
            #expect(try await metrics.externalMetric("queue_depth", namespace: "default", selector: nil).isEmpty)
            #expect(try await metrics.podsMetric("queue_depth", namespace: "shop", selector: nil).isEmpty)
        }
    }

    @Test func onlyFreshSamplesCount() async throws {
        try await TemporaryStore.with { store in
            _ = try await store.create(Objects.pod("web-1"), as: .pod)
            let metrics = pipeline(store)  // scraped every 5 s: stale after 15 s
            #expect(metrics.settings.effectiveStaleness == .seconds(15))
            _ = try await metrics.push(MetricPush(namespace: "default", name: "m", value: 1, target: .pod("web-1")))
            _ = try await metrics.push(MetricPush(namespace: "default", name: "e", value: 2, target: .external))
            clock.advance(seconds: 14)
            #expect(try await metrics.podsMetric("m", namespace: "default", selector: nil).count == 1)
            #expect(try await metrics.latestSamples(namespace: "default").count == 2)
            clock.advance(seconds: 2)
            #expect(try await metrics.podsMetric("m", namespace: "default", selector: nil).isEmpty)
            #expect(try await metrics.externalMetric("e", namespace: "default", selector: nil).isEmpty)
            #expect(try await metrics.latestSamples(namespace: nil).isEmpty)

            // Pushed samples may be kept longer than scraped ones.
            var settings = MetricsPipeline.Settings(scrapeInterval: .seconds(5))
            settings.pushStaleness = .seconds(120)
            let patient = MetricsPipeline(store: store, settings: settings, logger: quietLogger, now: clock.function)
            _ = try await patient.push(MetricPush(namespace: "default", name: "m", value: 1, target: .pod("web-1")))
            patient.samples.record(
                MetricSeriesKey(namespace: "default", name: "m", source: .pod("web-1"), labels: ["from": "scrape"]),
                MetricSample(value: 2, timestamp: clock.now, origin: .scrape))
            clock.advance(seconds: 60)
            #expect(try await patient.podsMetric("m", namespace: "default", selector: nil)["web-1"]?.value == 1)
            clock.advance(seconds: 61)
            #expect(try await patient.podsMetric("m", namespace: "default", selector: nil).isEmpty)
        }
    }

    @Test func aPodsSeveralSeriesAreSummedAndTheSelectorPicksAmongThem() async throws {
        try await TemporaryStore.with { store in
            _ = try await store.create(Objects.pod("web-1"), as: .pod)
            let metrics = pipeline(store)
            for (path, value) in [("a", 2.0), ("b", 3.0)] {
                _ = try await metrics.push(
                    MetricPush(namespace: "default", name: "rps", value: value, target: .pod("web-1"), labels: ["path": path]))
            }
            #expect(try await metrics.podsMetric("rps", namespace: "default", selector: nil)["web-1"]?.value == 5)
            let onlyB = try await metrics.podsMetric("rps", namespace: "default", selector: try LabelSelector.parse("path=b"))
            #expect(onlyB["web-1"]?.value == 3)
            let records = try await metrics.podMetricSamples("rps", namespace: "default", metricSelector: nil)
            #expect(records.count == 1 && records[0].value == 5 && records[0].labels.isEmpty)
        }
    }

    @Test func resourceMetricsSumTheContainersOfFreshSamples() async throws {
        try await TemporaryStore.with { store in
            let usage = FixedResourceUsage([
                PodUsage(
                    namespace: "default", name: "web-1", timestamp: clock.now, window: .seconds(10),
                    containers: [
                        ContainerUsage(name: "main", cpuCores: 0.25, memoryBytes: 64 << 20),
                        ContainerUsage(name: "sidecar", cpuCores: 0.05, memoryBytes: 16 << 20),
                    ]),
                PodUsage(
                    namespace: "default", name: "old", timestamp: clock.now.addingTimeInterval(-61), window: .seconds(10),
                    containers: [ContainerUsage(name: "main", cpuCores: 1, memoryBytes: 1)]),
                PodUsage(
                    namespace: "shop", name: "queue-1", timestamp: clock.now, window: .seconds(10),
                    containers: [ContainerUsage(name: "main", cpuCores: 0.1, memoryBytes: 1)]),
            ])
            let metrics = pipeline(store, resources: usage)
            let cpu = try await metrics.resourceMetric("cpu", namespace: "default")
            #expect(cpu.keys.sorted() == ["web-1"])
            #expect(abs((cpu["web-1"]?.value ?? 0) - 0.3) < 1e-9 && cpu["web-1"]?.window == .seconds(10))
            #expect(try await metrics.resourceMetric("memory", namespace: "default")["web-1"]?.value == Double(80 << 20))
            await #expect(throws: MetricsPipelineError.self) { try await metrics.resourceMetric("gpu", namespace: "default") }

            let listed = try await metrics.latestSamples(namespace: "default")
            #expect(listed.map(\.name).sorted() == ["cpu", "memory"])
            #expect(listed.allSatisfy { $0.kind == .resource && $0.origin == .agent && $0.pod == "web-1" })

            let withoutAgents = pipeline(store)
            let error = await #expect(throws: MetricsPipelineError.self) {
                try await withoutAgents.resourceMetric("cpu", namespace: "default")
            }
            #expect(error?.description.contains("no resource metrics are collected") == true)
        }
    }
}
