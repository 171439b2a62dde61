import AsyncHTTPClient
import Foundation
import KctlAPIServer
import KctlControllerRuntime
import KctlModel
import Logging
import NIOCore

/// Scrapes the `/metrics` of every annotated, Running and Ready pod and every annotated Service
/// (see `ScrapeTarget`) and records what it reads into `MetricSamples`: a pod's samples as Pods
/// metrics of that pod, a Service's as External metrics labelled `service=NAME`.
///
/// How samples become series:
/// - gauges and untyped samples are recorded as read;
/// - a counter `c` (and a histogram's or summary's `_sum` and `_count`) becomes `c_raw`, its
///   value as read, and `c`, its per-second increase since the previous scrape (from the
///   second scrape on), which is what an HPA target such as "requests per second" needs;
/// - histogram buckets are left out (many series, no use to the HPA), and so are NaN and ±Inf.
///
/// The scraper reads its targets from informers the caller runs (`MetricsPipeline` does).
/// A round scrapes at most `concurrency` targets at once, each with `timeout`; a failure is
/// logged once when it starts or changes, and once when the target recovers, never per round.
public final class PodMetricsScraper: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Time between the starts of two rounds.
        public var interval: Duration = .seconds(15)
        /// One scrape's limit, connection and body included.
        public var timeout: Duration = .seconds(3)
        /// Scrapes in flight at once.
        public var concurrency: Int = 8
        /// A larger exposition is refused (a misbehaving exporter must not fill kctld's memory).
        public var maxBodyBytes: Int = 4 << 20

        public init(interval: Duration = .seconds(15), timeout: Duration = .seconds(3), concurrency: Int = 8) {
            self.interval = interval
            self.timeout = timeout
            self.concurrency = max(1, concurrency)
        }
    }

    /// The outcome of one scrape.
    public enum Outcome: Sendable, Hashable {
        case scraped(samples: Int)
        case failed(String)
    }

    public let settings: Settings
    private let pods: Informer
    private let services: Informer
    private let endpoints: Informer
    private let samples: MetricSamples
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// The last failure of each failing target, by subject, so that a repeated one is not logged again.
    private let failures = Locked([String: String]())

    public init(
        pods: Informer, services: Informer, endpoints: Informer, samples: MetricSamples, settings: Settings = Settings(),
        logger: Logger, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.pods = pods
        self.services = services
        self.endpoints = endpoints
        self.samples = samples
        self.settings = settings
        self.logger = logger
        self.now = now
    }

    /// What a round scrapes now, from the informers' caches.
    public func targets() -> [ScrapeTarget] {
        let podTargets = pods.list().compactMap(ScrapeTarget.pod)
        let serviceTargets = services.list().compactMap { service in
            ScrapeTarget.service(service, endpoints: endpoints.get(namespace: service.namespace, name: service.name))
        }
        return (podTargets + serviceTargets).sorted { $0.description < $1.description }
    }

    /// Scrapes every target once, `concurrency` at a time, and records the samples.
    @discardableResult
    public func scrapeRound(using http: HTTPClient) async -> [ScrapeTarget: Outcome] {
        let targets = targets()
        var outcomes: [ScrapeTarget: Outcome] = [:]
        await withTaskGroup(of: (ScrapeTarget, Outcome).self) { group in
            var pending = targets[...]
            func startNext() {
                guard let target = pending.popFirst() else { return }
                group.addTask { (target, await self.scrape(target, using: http)) }
            }
            for _ in 0..<settings.concurrency { startNext() }
            for await (target, outcome) in group {
                outcomes[target] = outcome
                startNext()
            }
        }
        report(outcomes)
        return outcomes
    }

    /// Fetches, parses and records one target.
    func scrape(_ target: ScrapeTarget, using http: HTTPClient) async -> Outcome {
        let started = now()
        let text: String
        do {
            text = try await fetch(target.url, using: http)
        } catch {
            return .failed(Self.describe(error))
        }
        do {
            let parsed = try PrometheusText.parse(text)
            // A pod deleted while its scrape was in flight has had its series removed: keep it so.
            guard isCurrent(target) else { return .scraped(samples: 0) }
            return .scraped(samples: record(parsed, from: target, at: started))
        } catch {
            return .failed("invalid exposition: \(error)")
        }
    }

    /// Whether the target's pod is still one to scrape (Services: always).
    private func isCurrent(_ target: ScrapeTarget) -> Bool {
        guard case .pod(let name) = target.subject else { return true }
        return pods.get(namespace: target.namespace, name: name).flatMap(ScrapeTarget.pod) != nil
    }

    private func fetch(_ url: String, using http: HTTPClient) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "text/plain;version=0.0.4;q=1,*/*;q=0.1")
        request.headers.add(name: "User-Agent", value: "kctld-metrics")
        let (seconds, attoseconds) = settings.timeout.components
        let timeout = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let response = try await http.execute(request, timeout: timeout)
        guard response.status == .ok else {
            throw ScrapeError(message: "HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        do {
            let body = try await response.body.collect(upTo: settings.maxBodyBytes)
            return String(buffer: body)
        } catch is NIOTooManyBytesError {
            throw ScrapeError(message: "the exposition is larger than \(settings.maxBodyBytes) bytes")
        }
    }

    /// Records parsed samples as series of the target; returns how many samples were recorded.
    @discardableResult
    public func record(_ parsed: [PrometheusSample], from target: ScrapeTarget, at scrapeTime: Date) -> Int {
        var count = 0
        for sample in parsed where sample.value.isFinite && !Self.isBucket(sample) {
            var labels = sample.labels
            let source: MetricSeriesKey.Source
            switch target.subject {
            case .pod(let name):
                source = .pod(name)
            case .service(let name):
                source = .external
                labels["service"] = name
            }
            let key = MetricSeriesKey(namespace: target.namespace, name: sample.name, source: source, labels: labels)
            var timestamp = scrapeTime
            if let milliseconds = sample.timestampMilliseconds {
                timestamp = min(scrapeTime, Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            }
            if Self.isCounter(sample) {
                samples.recordCounter(key, value: sample.value, at: timestamp, origin: .scrape)
            } else {
                samples.record(key, MetricSample(value: sample.value, timestamp: timestamp, origin: .scrape))
            }
            count += 1
        }
        return count
    }

    static func isBucket(_ sample: PrometheusSample) -> Bool {
        sample.kind == .histogram && sample.name == sample.family + "_bucket"
    }

    static func isCounter(_ sample: PrometheusSample) -> Bool {
        switch sample.kind {
        case .counter: return true
        case .histogram, .summary: return sample.name == sample.family + "_sum" || sample.name == sample.family + "_count"
        case .gauge, .untyped: return false
        }
    }

    /// Logs each target whose state changed: a new or different failure, or a recovery.
    private func report(_ outcomes: [ScrapeTarget: Outcome]) {
        var lines: [(Logger.Level, Logger.Message)] = []
        failures.withLock { failures in
            var current: [String: String] = [:]
            for (target, outcome) in outcomes.sorted(by: { $0.key.description < $1.key.description }) {
                let subject = Self.subjectKey(target)
                switch outcome {
                case .failed(let message):
                    current[subject] = message
                    if failures[subject] != message {
                        lines.append((.warning, "metrics: scraping \(target) failed: \(message)"))
                    }
                case .scraped:
                    if failures[subject] != nil { lines.append((.info, "metrics: scraping \(target) works again")) }
                }
            }
            failures = current
        }
        for (level, line) in lines { logger.log(level: level, line) }
    }

    static func subjectKey(_ target: ScrapeTarget) -> String {
        switch target.subject {
        case .pod(let name): return "pod/\(target.namespace)/\(name)"
        case .service(let name): return "service/\(target.namespace)/\(name)"
        }
    }

    /// A short reason without AsyncHTTPClient's type names where a plainer one exists.
    static func describe(_ error: any Error) -> String {
        if let error = error as? ScrapeError { return error.message }
        let text = String(describing: error)
        let lower = text.lowercased()
        if lower.contains("refused") { return "connection refused" }
        if lower.contains("deadlineexceeded") || lower.contains("timeout") || lower.contains("timedout") {
            return "timed out"
        }
        return text
    }
}

struct ScrapeError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
