import Foundation
import KctlAPIServer
import KctlModel

/// Names one series: a metric of a pod (HPA `Pods`) or one not tied to a pod (HPA `External`),
/// told apart from its siblings by its labels.
public struct MetricSeriesKey: Sendable, Hashable, CustomStringConvertible {
    public enum Source: Sendable, Hashable {
        case pod(String)
        case external
    }

    public var namespace: String
    public var name: String
    public var source: Source
    public var labels: [String: String]

    public init(namespace: String, name: String, source: Source, labels: [String: String] = [:]) {
        self.namespace = namespace
        self.name = name
        self.source = source
        self.labels = labels
    }

    public var pod: String? {
        if case .pod(let name) = source { return name }
        return nil
    }

    public var description: String {
        let labelText = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",")
        let target = pod.map { "pod/\($0)" } ?? "external"
        return "\(namespace)/\(target)/\(name)" + (labelText.isEmpty ? "" : "{\(labelText)}")
    }
}

/// One timestamped value of a series.
public struct MetricSample: Sendable, Hashable {
    public var value: Double
    public var timestamp: Date
    /// The span a rate covers (zero for a gauge).
    public var window: Duration
    public var origin: MetricSampleOrigin

    public init(value: Double, timestamp: Date, window: Duration = .zero, origin: MetricSampleOrigin) {
        self.value = value
        self.timestamp = timestamp
        self.window = window
        self.origin = origin
    }
}

/// The recent samples of every series, in memory and bounded three ways, so that a chatty
/// exporter or a push loop cannot grow kctld: each series keeps its last few samples in a ring,
/// samples older than the retention are dropped, and past the series cap the series that was
/// updated longest ago makes room. Safe to use from any thread; never blocks on I/O.
///
///     let samples = MetricSamples()
///     let key = MetricSeriesKey(namespace: "default", name: "queue_depth", source: .external, labels: ["service": "queue"])
///     samples.record(key, MetricSample(value: 12, timestamp: Date(), origin: .push))
///     samples.latest(newerThan: Date().addingTimeInterval(-45)) { $0.name == "queue_depth" }
public final class MetricSamples: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Samples kept per series (the latest is what the HPA reads; the rest is history).
        public var samplesPerSeries: Int = 8
        /// Series kept in all.
        public var maxSeries: Int = 10_000
        /// Samples older than this are dropped.
        public var retention: Duration = .seconds(600)

        public init(samplesPerSeries: Int = 8, maxSeries: Int = 10_000, retention: Duration = .seconds(600)) {
            self.samplesPerSeries = max(1, samplesPerSeries)
            self.maxSeries = max(1, maxSeries)
            self.retention = retention
        }
    }

    /// A counter's raw value is kept under its name with this suffix; its rate under the name.
    public static let rawCounterSuffix = "_raw"

    public let limits: Limits
    private let now: @Sendable () -> Date
    private let state = Locked([MetricSeriesKey: SampleRing]())

    /// - Parameter now: the clock retention is measured against (tests pass a fixed one).
    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.limits = limits
        self.now = now
    }

    /// Adds a sample to its series (creating the series, evicting another at the cap).
    public func record(_ key: MetricSeriesKey, _ sample: MetricSample) {
        let cutoff = retentionCutoff()
        guard sample.timestamp >= cutoff else { return }
        state.withLock { series in
            Self.append(key, sample, to: &series, limits: limits, cutoff: cutoff)
        }
    }

    /// Records a counter's reading: its raw value under `NAME_raw`, and, from the second reading
    /// on, its per-second increase since the previous one under `NAME` (with that span as the
    /// window). A decrease is a counter reset: the rate counts from zero, as Prometheus does.
    /// - Returns: the rate recorded, if any.
    @discardableResult
    public func recordCounter(_ key: MetricSeriesKey, value: Double, at timestamp: Date, origin: MetricSampleOrigin)
        -> Double?
    {
        let cutoff = retentionCutoff()
        guard timestamp >= cutoff, value.isFinite else { return nil }
        var rawKey = key
        rawKey.name += Self.rawCounterSuffix
        return state.withLock { series -> Double? in
            let previous = series[rawKey]?.latest
            Self.append(rawKey, MetricSample(value: value, timestamp: timestamp, origin: origin), to: &series, limits: limits, cutoff: cutoff)
            guard let previous, previous.timestamp >= cutoff else { return nil }
            let seconds = timestamp.timeIntervalSince(previous.timestamp)
            guard seconds > 0 else { return nil }
            let increase = value >= previous.value ? value - previous.value : value
            let rate = increase / seconds
            let window = Duration.milliseconds(Int64((seconds * 1000).rounded()))
            Self.append(
                key, MetricSample(value: rate, timestamp: timestamp, window: window, origin: origin), to: &series,
                limits: limits, cutoff: cutoff)
            return rate
        }
    }

    /// The latest sample of every series `matching` accepts whose latest sample is newer than
    /// `newerThan` (and within the retention).
    public func latest(
        newerThan: Date? = nil, matching: (MetricSeriesKey) -> Bool = { _ in true }
    ) -> [(key: MetricSeriesKey, sample: MetricSample)] {
        let cutoff = max(newerThan ?? .distantPast, retentionCutoff())
        return state.withLock { series in
            series.compactMap { key, ring in
                guard let sample = ring.latest, sample.timestamp >= cutoff, matching(key) else { return nil }
                return (key, sample)
            }
        }
    }

    /// A series' retained samples, oldest first.
    public func history(_ key: MetricSeriesKey) -> [MetricSample] {
        let cutoff = retentionCutoff()
        return state.withLock { $0[key]?.ordered.filter { $0.timestamp >= cutoff } ?? [] }
    }

    /// How many series are held (expired ones included until `prune()`).
    public var seriesCount: Int { state.withLock { $0.count } }

    /// Drops every sample past the retention, and the series left empty.
    public func prune() {
        let cutoff = retentionCutoff()
        state.withLock { Self.prune(&$0, cutoff: cutoff) }
    }

    /// Drops the series `matching` accepts (a deleted pod's, for one).
    public func remove(matching: (MetricSeriesKey) -> Bool) {
        state.withLock { series in
            for key in series.keys where matching(key) { series[key] = nil }
        }
    }

    // MARK: Internals

    private func retentionCutoff() -> Date {
        now().addingTimeInterval(-Self.seconds(limits.retention))
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func append(
        _ key: MetricSeriesKey, _ sample: MetricSample, to series: inout [MetricSeriesKey: SampleRing], limits: Limits,
        cutoff: Date
    ) {
        if series[key] == nil && series.count >= limits.maxSeries {
            prune(&series, cutoff: cutoff)
            if series.count >= limits.maxSeries, let stalest = series.min(by: { $0.value.latestTime < $1.value.latestTime }) {
                series[stalest.key] = nil
            }
        }
        series[key, default: SampleRing(capacity: limits.samplesPerSeries)].append(sample)
    }

    private static func prune(_ series: inout [MetricSeriesKey: SampleRing], cutoff: Date) {
        for key in Array(series.keys) {
            series[key]?.drop(before: cutoff)
            if series[key]?.isEmpty == true { series[key] = nil }
        }
    }
}

/// The last `capacity` samples of a series, overwriting the oldest.
struct SampleRing: Sendable {
    private var buffer: [MetricSample] = []
    /// Where the oldest sample is once the buffer is full.
    private var start = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        buffer.reserveCapacity(capacity)
    }

    var isEmpty: Bool { buffer.isEmpty }

    var latest: MetricSample? {
        guard !buffer.isEmpty else { return nil }
        return buffer[(start + buffer.count - 1) % buffer.count]
    }

    var latestTime: Date { latest?.timestamp ?? .distantPast }

    var ordered: [MetricSample] { Array(buffer[start...] + buffer[..<start]) }

    mutating func append(_ sample: MetricSample) {
        if buffer.count < capacity {
            buffer.append(sample)
        } else {
            buffer[start] = sample
            start = (start + 1) % capacity
        }
    }

    mutating func drop(before cutoff: Date) {
        let kept = ordered.filter { $0.timestamp >= cutoff }
        guard kept.count != buffer.count else { return }
        buffer = kept
        start = 0
    }
}
