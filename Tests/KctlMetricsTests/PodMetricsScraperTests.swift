import AsyncHTTPClient
import Foundation
import KctlAPIServer
import KctlControllerRuntime
import KctlModel
import KctlStore
import KctlTestSupport
import Testing

@testable import KctlMetrics

/// The scraper against a real exporter on a loopback port, with pods and Services in a real store.
@Suite struct PodMetricsScraperTests {
    static let exposition = """
        # HELP queue_depth Items waiting in the queue.
        # TYPE queue_depth gauge
        queue_depth 12
        # TYPE requests_total counter
        requests_total{code="200"} 100
        # TYPE latency_seconds histogram
        latency_seconds_bucket{le="1"} 3
        latency_seconds_sum 1.5
        latency_seconds_count 3
        broken_gauge NaN

        """

    /// Runs the pipeline (informers and the scrape loop) while `body` runs.
    func running<T: Sendable>(
        _ pipeline: MetricsPipeline, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let task = Task { try await pipeline.run() }
        defer { task.cancel() }
        let result = try await body()
        task.cancel()
        _ = await task.result
        return result
    }

    @Test func aReadyPodsMetricsBecomeItsPodsSamples() async throws {
        try await Exporter.with(Self.exposition) { exporter in
            try await TemporaryStore.with { store in
                _ = try await store.create(Objects.pod("queue-1", port: exporter.port, annotations: Objects.scrape), as: .pod)
                _ = try await store.create(Objects.pod("unready", port: exporter.port, annotations: Objects.scrape, ready: false), as: .pod)
                let pipeline = MetricsPipeline(
                    store: store, settings: .init(scrapeInterval: .milliseconds(500), staleness: .seconds(60)), logger: quietLogger)
                try await running(pipeline) {
                    try await eventually("queue_depth is scraped") {
                        try await pipeline.podsMetric("queue_depth", namespace: "default", selector: nil)["queue-1"]?.value == 12
                    }
                    // The counter's rate appears from the second scrape; the raw value is kept beside it.
                    exporter.serve(Self.exposition.replacingOccurrences(of: "} 100", with: "} 1000000"))
                    try await eventually("requests_total has a rate") {
                        (try await pipeline.podsMetric("requests_total", namespace: "default", selector: nil)["queue-1"]?.value ?? 0) > 0
                    }
                    let raw = try await pipeline.podsMetric(
                        "requests_total_raw", namespace: "default", selector: try LabelSelector.parse("code=200"))
                    #expect([100.0, 1_000_000].contains(raw["queue-1"]?.value ?? -1))
                    let names = Set(try await pipeline.latestSamples(namespace: "default").map(\.name))
                    #expect(names.isSuperset(of: ["queue_depth", "requests_total", "requests_total_raw", "latency_seconds_sum_raw", "latency_seconds_count_raw"]))
                    #expect(!names.contains("latency_seconds_bucket") && !names.contains("broken_gauge"))
                    let records = try await pipeline.latestSamples(namespace: "default")
                    #expect(records.allSatisfy { $0.pod == "queue-1" && $0.origin == .scrape && $0.kind == .pods })
                }
            }
        }
    }

    @Test func anAnnotatedServiceBecomesExternalSeriesLabelledWithItsName() async throws {
        try await Exporter.with("queue_depth 7\n") { exporter in
            try await TemporaryStore.with { store in
                _ = try await store.create(Objects.service("queue", namespace: "shop"), as: .service)
                _ = try await store.create(
                    Objects.endpoints("queue", namespace: "shop", ips: ["127.0.0.1"], port: exporter.port), as: .endpoints)
                let pipeline = MetricsPipeline(
                    store: store, settings: .init(scrapeInterval: .milliseconds(500), staleness: .seconds(60)), logger: quietLogger)
                try await running(pipeline) {
                    try await eventually("the queue Service is scraped") {
                        try await pipeline.externalMetric(
                            "queue_depth", namespace: "shop", selector: try LabelSelector.parse("service=queue")
                        ).map(\.value) == [7]
                    }
                    let records = try await pipeline.latestSamples(namespace: "shop")
                    #expect(records.map(\.kind) == [.external] && records.first?.labels == ["service": "queue"])
                }
            }
        }
    }

    @Test func aDeletedPodsSeriesGoWithIt() async throws {
        try await Exporter.with("m 1\n") { exporter in
            try await TemporaryStore.with { store in
                _ = try await store.create(Objects.pod("web-1", port: exporter.port, annotations: Objects.scrape), as: .pod)
                let pipeline = MetricsPipeline(store: store, settings: .init(scrapeInterval: .milliseconds(500), staleness: .seconds(60)), logger: quietLogger)
                try await running(pipeline) {
                    try await eventually("web-1 is scraped") {
                        try await pipeline.podsMetric("m", namespace: "default", selector: nil)["web-1"] != nil
                    }
                    // Bound to a node, the pod is first only marked for deletion: its series go then.
                    let result = try await store.delete(.pod, namespace: "default", name: "web-1")
                    guard case .pending = result else { throw TestFailure("expected a graceful deletion") }
                    try await eventually("web-1's series are gone") { pipeline.samples.seriesCount == 0 }
                    #expect(pipeline.scraper.targets().isEmpty)
                }
            }
        }
    }

    /// A round with its own informers and HTTP client, so each round is run by the test.
    func withScraper(
        _ store: any Store, logs: CapturedLogs, concurrency: Int = 8,
        _ body: @escaping @Sendable (PodMetricsScraper, HTTPClient, MetricSamples) async throws -> Void
    ) async throws {
        let pods = Informer(store: store, resource: .pod, logger: quietLogger)
        let services = Informer(store: store, resource: .service, logger: quietLogger)
        let endpoints = Informer(store: store, resource: .endpoints, logger: quietLogger)
        let samples = MetricSamples()
        let scraper = PodMetricsScraper(
            pods: pods, services: services, endpoints: endpoints, samples: samples,
            settings: .init(interval: .seconds(1), timeout: .seconds(2), concurrency: concurrency), logger: logs.logger)
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let informers = Task {
            await withTaskGroup(of: Void.self) { group in
                for informer in [pods, services, endpoints] { group.addTask { try? await informer.run() } }
            }
        }
        var failure: (any Error)?
        do {
            for informer in [pods, services, endpoints] { await informer.waitForSync() }
            try await body(scraper, http, samples)
        } catch {
            failure = error
        }
        informers.cancel()
        _ = await informers.value
        try await http.shutdown()
        if let failure { throw failure }
    }

    @Test func aFailureIsLoggedWhenItStartsOrChangesAndOnceOnRecovery() async throws {
        try await Exporter.with("m 1\n") { exporter in
            try await TemporaryStore.with { store in
                let logs = CapturedLogs()
                _ = try await store.create(Objects.pod("web-1", port: exporter.port, annotations: Objects.scrape), as: .pod)
                try await withScraper(store, logs: logs) { scraper, http, _ in
                    try await eventually("the pod is a target") { scraper.targets().count == 1 }
                    exporter.serve("unavailable", status: .serviceUnavailable)
                    for _ in 0..<3 { await scraper.scrapeRound(using: http) }
                    #expect(logs.messages(containing: "failed").count == 1)
                    #expect(logs.messages(containing: "HTTP 503").count == 1)

                    exporter.serve("not { an exposition")
                    let outcomes = await scraper.scrapeRound(using: http)
                    guard case .failed(let message)? = outcomes.values.first else {
                        Issue.record("expected a failure, got \(outcomes)")
                        return
                    }
                    #expect(message.hasPrefix("invalid exposition: line 1:"))
                    await scraper.scrapeRound(using: http)
                    #expect(logs.messages(containing: "failed").count == 2)

                    exporter.serve("m 2\n")
                    for _ in 0..<2 { await scraper.scrapeRound(using: http) }
                    #expect(logs.messages(containing: "works again").count == 1)
                    #expect(logs.all.count == 3)
                    #expect(logs.all.first?.level == .warning)
                    #expect(logs.messages(containing: "pod default/web-1").count == 3)
                }
            }
        }
    }

    @Test func anUnreachablePodFailsWithoutHoldingUpTheOthers() async throws {
        try await Exporter.with("m 1\n") { exporter in
            try await TemporaryStore.with { store in
                let logs = CapturedLogs()
                for index in 0..<12 {
                    _ = try await store.create(
                        Objects.pod("web-\(index)", port: exporter.port, annotations: Objects.scrape), as: .pod)
                }
                // A port nothing listens on (the exporter's neighbour is very likely free; either way it is not an exporter).
                _ = try await store.create(Objects.pod("gone", ip: "127.0.0.1", port: 1, annotations: Objects.scrape), as: .pod)
                try await withScraper(store, logs: logs, concurrency: 3) { scraper, http, samples in
                    try await eventually("every pod is a target") { scraper.targets().count == 13 }
                    let outcomes = await scraper.scrapeRound(using: http)
                    #expect(outcomes.count == 13)
                    #expect(outcomes.values.filter { $0 == .scraped(samples: 1) }.count == 12)
                    #expect(exporter.requests == 12)
                    #expect(samples.seriesCount == 12)
                    #expect(logs.messages(containing: "pod default/gone").count == 1)
                }
            }
        }
    }
}
