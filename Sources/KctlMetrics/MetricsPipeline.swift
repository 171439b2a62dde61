import AsyncHTTPClient
import Foundation
import KctlAPIServer
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// kctld's metrics pipeline: the one place the HPA controller and the metrics APIs read samples
/// from. It combines three sources, all per namespace and timestamped:
/// - Resource: each pod's CPU (cores) and memory (bytes), summed over its containers, from the
///   node agents' /proc samples (`ResourceMetricsSource`);
/// - Pods: what `PodMetricsScraper` reads from annotated pods' `/metrics`, and pushes for a pod
///   or a selector of pods;
/// - External: pushes without a pod, and what the scraper reads from annotated Services
///   (labelled `service=NAME`).
///
/// Only samples newer than the staleness limit count: a pod whose exporter stopped answering
/// is absent (the HPA treats it conservatively) rather than frozen at its last value.
///
/// As a ServiceLifecycle `Service`, `run()` keeps informers of pods, Services and Endpoints and
/// scrapes every interval until graceful shutdown. Pushes and reads work whether or not it runs.
public final class MetricsPipeline: AutoscalingMetricsSource, MetricSamplesProvider, ServiceLifecycle.Service, Sendable {
    public struct Settings: Sendable, Hashable {
        /// How often pods and Services are scraped.
        public var scrapeInterval: Duration = .seconds(15)
        public var scrapeTimeout: Duration = .seconds(3)
        public var scrapeConcurrency: Int = 8
        /// Scraped and pushed samples older than this are not used (nil: 3 × `scrapeInterval`).
        public var staleness: Duration?
        /// Pushed samples older than this are not used (nil: the same as scraped ones). A
        /// scripted demo that pushes once and then watches the HPA wants it longer.
        public var pushStaleness: Duration?
        /// Resource samples older than this are not used. The node agents sample on their own
        /// beat (every 10 s by default), so this does not follow the scrape interval.
        public var resourceStaleness: Duration = .seconds(60)
        public var limits = MetricSamples.Limits()

        public init(scrapeInterval: Duration = .seconds(15), staleness: Duration? = nil) {
            self.scrapeInterval = scrapeInterval
            self.staleness = staleness
        }

        public var effectiveStaleness: Duration { staleness ?? scrapeInterval * 3 }
        public var effectivePushStaleness: Duration { pushStaleness ?? effectiveStaleness }
    }

    public let settings: Settings
    /// Every scraped and pushed series, bounded.
    public let samples: MetricSamples
    public let scraper: PodMetricsScraper
    private let store: any Store
    private let resources: (any ResourceMetricsSource)?
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let pods: Informer
    private let services: Informer
    private let endpoints: Informer

    /// The intended wiring in kctld (`ControlPlane`), with the runtime's resource samples, the
    /// same pipeline passed to the HPA controller and to the API server:
    ///
    ///     var settings = MetricsPipeline.Settings(scrapeInterval: options.metricsScrapeInterval)
    ///     let metrics = MetricsPipeline(
    ///         store: store, resources: runtime.map { RuntimeMetricsSource(runtime: $0) },
    ///         settings: settings, logger: logger)
    ///     services.append(metrics)                      // scrapes until graceful shutdown
    ///     controllerOptions.autoscalingMetrics = metrics   // the HPA controller reads it
    ///     APIServer(..., metricSamples: metrics)        // custom/external metrics APIs, pushes
    ///
    /// - Parameters:
    ///   - resources: the node agents' CPU and memory samples (nil: Resource metrics fail with a reason).
    ///   - now: the wall clock samples are stamped and judged by (tests may fix it).
    ///   - shared: where the Pod, Service and Endpoints informers come from in a daemon (nil: its own).
    public init(
        store: any Store, resources: (any ResourceMetricsSource)? = nil, settings: Settings = Settings(),
        logger: Logger = Logger(label: "kctl.metrics"), now: @escaping @Sendable () -> Date = { Date() },
        informers shared: SharedInformers? = nil
    ) {
        self.store = store
        self.resources = resources
        self.settings = settings
        self.logger = logger
        self.now = now
        let samples = MetricSamples(limits: settings.limits, now: now)
        self.samples = samples
        pods = SharedInformers.informer(for: .pod, from: shared, store: store, logger: logger)
        services = SharedInformers.informer(for: .service, from: shared, store: store, logger: logger)
        endpoints = SharedInformers.informer(for: .endpoints, from: shared, store: store, logger: logger)
        var scraperSettings = PodMetricsScraper.Settings(
            interval: settings.scrapeInterval, timeout: settings.scrapeTimeout, concurrency: settings.scrapeConcurrency)
        scraperSettings.timeout = min(settings.scrapeTimeout, settings.scrapeInterval)
        scraper = PodMetricsScraper(
            pods: pods, services: services, endpoints: endpoints, samples: samples, settings: scraperSettings,
            logger: logger, now: now)
        // A pod's series go when it is deleted or starts terminating: a pod of the same name
        // later is another pod, and a terminating one no longer serves.
        pods.addHandler { event in
            let pod: KubeObject
            switch event {
            case .deleted(let deleted): pod = deleted
            case .updated(let old, let new) where old.deletionTimestamp == nil && new.deletionTimestamp != nil: pod = new
            default: return
            }
            let namespace = pod.namespace ?? "default"
            samples.remove { $0.namespace == namespace && $0.pod == pod.name }
        }
    }

    // MARK: Running

    /// Scrapes every `scrapeInterval` until cancelled or graceful shutdown.
    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(2)
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let informers = [pods, services, endpoints]
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for informer in informers { group.addTask { try? await informer.run() } }
                for informer in informers { await informer.waitForSync() }
                await self.scrapeLoop(using: http)
                group.cancelAll()
            }
        }
        try? await http.shutdown()
    }

    private func scrapeLoop(using http: HTTPClient) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            await scraper.scrapeRound(using: http)
            samples.prune()
            next = max(next + settings.scrapeInterval, clock.now)
            do { try await clock.sleep(until: next) } catch { return }
        }
    }

    // MARK: Pushes

    /// Records a push (see `MetricPush`), stamped now.
    public func push(_ push: MetricPush) async throws -> [MetricSampleRecord] {
        let timestamp = now()
        let sample = MetricSample(value: push.value, timestamp: timestamp, origin: .push)
        var keys: [MetricSeriesKey] = []
        switch push.target {
        case .external:
            keys = [MetricSeriesKey(namespace: push.namespace, name: push.name, source: .external, labels: push.labels)]
        case .pod(let pod):
            do {
                _ = try await store.get(.pod, namespace: push.namespace, name: pod)
            } catch let error as StatusError where error.reason == .notFound {
                throw Self.invalidPush(
                    push, field: "pod", "Invalid value: \"\(pod)\": no such pod in namespace \(push.namespace)")
            }
            keys = [MetricSeriesKey(namespace: push.namespace, name: push.name, source: .pod(pod), labels: push.labels)]
        case .selector(let selector):
            let matching = try await store.list(.pod, namespace: push.namespace).items.filter {
                $0.deletionTimestamp == nil && selector.matches($0.labels)
            }
            guard !matching.isEmpty else {
                throw Self.invalidPush(
                    push, field: "selector",
                    "Invalid value: \"\(selector.stringForm)\": no pod in namespace \(push.namespace) matches")
            }
            keys = matching.map {
                MetricSeriesKey(namespace: push.namespace, name: push.name, source: .pod($0.name), labels: push.labels)
            }.sorted { ($0.pod ?? "") < ($1.pod ?? "") }
        }
        for key in keys { samples.record(key, sample) }
        return keys.map { Self.record($0, sample) }
    }

    static func invalidPush(_ push: MetricPush, field: String, _ message: String) -> StatusError {
        StatusError(
            reason: .invalid, code: 422, message: "sample \"\(push.name)\" is invalid: \(field): \(message)",
            name: push.name, group: "metrics.kctl.dev", kind: "samples",
            causes: [StatusError.Cause(reason: "FieldValueInvalid", message: message, field: field)])
    }

    // MARK: Reads (MetricSamplesProvider)

    public func latestSamples(namespace: String?) async throws -> [MetricSampleRecord] {
        var records = freshSeries { namespace == nil || $0.namespace == namespace }.map { Self.record($0.key, $0.sample) }
        for usage in await resourceUsage(namespace: namespace) {
            let total = usage.containers.reduce((cpu: 0.0, memory: 0.0)) {
                ($0.cpu + $1.cpuCores, $0.memory + Double($1.memoryBytes))
            }
            for (name, value) in [("cpu", total.cpu), ("memory", total.memory)] {
                records.append(
                    MetricSampleRecord(
                        namespace: usage.namespace, name: name, kind: .resource, pod: usage.name, value: value,
                        timestamp: usage.timestamp, window: usage.window, origin: .agent))
            }
        }
        return records
    }

    public func podMetricSamples(_ name: String, namespace: String, metricSelector: LabelSelector?) async throws
        -> [MetricSampleRecord]
    {
        podSeries(name, namespace: namespace, selector: metricSelector).map { pod, reading in
            MetricSampleRecord(
                namespace: namespace, name: name, kind: .pods, pod: pod, labels: reading.labels, value: reading.value,
                timestamp: reading.timestamp, window: reading.window, origin: reading.origin)
        }.sorted { ($0.pod ?? "") < ($1.pod ?? "") }
    }

    public func externalMetricSamples(_ name: String, namespace: String, selector: LabelSelector?) async throws
        -> [MetricSampleRecord]
    {
        externalSeries(name, namespace: namespace, selector: selector).map { Self.record($0.key, $0.sample) }
    }

    // MARK: Reads (AutoscalingMetricsSource)

    public func resourceMetric(_ resource: String, namespace: String) async throws -> [String: PodMetricValue] {
        guard resource == "cpu" || resource == "memory" else {
            throw MetricsPipelineError("unknown resource \"\(resource)\" (cpu and memory are measured)")
        }
        guard resources != nil else {
            throw MetricsPipelineError("no resource metrics are collected (pods do not run as processes here)")
        }
        var values: [String: PodMetricValue] = [:]
        for usage in await resourceUsage(namespace: namespace) {
            let value = usage.containers.reduce(0.0) {
                $0 + (resource == "cpu" ? $1.cpuCores : Double($1.memoryBytes))
            }
            values[usage.name] = PodMetricValue(pod: usage.name, value: value, timestamp: usage.timestamp, window: usage.window)
        }
        return values
    }

    public func podsMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [String: PodMetricValue] {
        podSeries(name, namespace: namespace, selector: selector).mapValues {
            PodMetricValue(pod: $0.pod, value: $0.value, timestamp: $0.timestamp, window: $0.window)
        }
    }

    public func externalMetric(_ name: String, namespace: String, selector: LabelSelector?) async throws -> [ExternalMetricValue] {
        externalSeries(name, namespace: namespace, selector: selector).map {
            ExternalMetricValue(name: name, labels: $0.key.labels, value: $0.sample.value, timestamp: $0.sample.timestamp)
        }
    }

    // MARK: Internals

    /// The latest sample of each matching series, if recent enough for its origin.
    private func freshSeries(_ matching: (MetricSeriesKey) -> Bool) -> [(key: MetricSeriesKey, sample: MetricSample)] {
        let now = now()
        let scraped = now.addingTimeInterval(-MetricSamples.seconds(settings.effectiveStaleness))
        let pushed = now.addingTimeInterval(-MetricSamples.seconds(settings.effectivePushStaleness))
        return samples.latest(newerThan: min(scraped, pushed), matching: matching).filter {
            $0.sample.timestamp >= ($0.sample.origin == .push ? pushed : scraped)
        }
    }

    /// One pod's reading of a Pods metric: its series whose labels match, summed (a pod that
    /// exports `m{path="/a"}` and `m{path="/b"}` reports their total, as adapters sum by pod).
    struct PodReading {
        var pod: String
        var value: Double
        var timestamp: Date
        var window: Duration
        var origin: MetricSampleOrigin
        /// The labels of the pod's only series (empty when several were summed).
        var labels: [String: String]
    }

    func podSeries(_ name: String, namespace: String, selector: LabelSelector?) -> [String: PodReading] {
        let series = freshSeries {
            $0.namespace == namespace && $0.name == name && $0.pod != nil && (selector?.matches($0.labels) ?? true)
        }
        var readings: [String: PodReading] = [:]
        for (key, sample) in series {
            guard let pod = key.pod else { continue }
            if var reading = readings[pod] {
                reading.value += sample.value
                reading.timestamp = max(reading.timestamp, sample.timestamp)
                reading.window = max(reading.window, sample.window)
                reading.labels = [:]
                readings[pod] = reading
            } else {
                readings[pod] = PodReading(
                    pod: pod, value: sample.value, timestamp: sample.timestamp, window: sample.window,
                    origin: sample.origin, labels: key.labels)
            }
        }
        return readings
    }

    private func externalSeries(_ name: String, namespace: String, selector: LabelSelector?)
        -> [(key: MetricSeriesKey, sample: MetricSample)]
    {
        freshSeries {
            $0.namespace == namespace && $0.name == name && $0.source == .external
                && (selector?.matches($0.labels) ?? true)
        }.sorted { MetricSamplesKeyOrder.precedes($0.key, $1.key) }
    }

    /// The node agents' fresh samples of pods in `namespace` (nil: all).
    private func resourceUsage(namespace: String?) async -> [PodUsage] {
        guard let resources else { return [] }
        let fresh = now().addingTimeInterval(-MetricSamples.seconds(settings.resourceStaleness))
        return await resources.pods().filter { (namespace == nil || $0.namespace == namespace) && $0.timestamp >= fresh }
    }

    static func record(_ key: MetricSeriesKey, _ sample: MetricSample) -> MetricSampleRecord {
        MetricSampleRecord(
            namespace: key.namespace, name: key.name, kind: key.pod == nil ? .external : .pods, pod: key.pod,
            labels: key.labels, value: sample.value, timestamp: sample.timestamp, window: sample.window,
            origin: sample.origin)
    }
}

/// A stable order of series: by name, then pod, then labels.
enum MetricSamplesKeyOrder {
    static func precedes(_ a: MetricSeriesKey, _ b: MetricSeriesKey) -> Bool {
        func text(_ key: MetricSeriesKey) -> [String] {
            [key.namespace, key.name, key.pod ?? "", key.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
        }
        return text(a).lexicographicallyPrecedes(text(b))
    }
}

/// Why a metric cannot be read; the HPA shows the message in its ScalingActive condition.
public struct MetricsPipelineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
