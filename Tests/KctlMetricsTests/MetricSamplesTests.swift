import Foundation
import KctlAPIServer
import Testing

@testable import KctlMetrics

/// The sample store: bounded per series, in series count and in time; counters become rates.
@Suite struct MetricSamplesTests {
    let clock = TestWallClock()

    func key(_ name: String = "m", pod: String? = "web-1", labels: [String: String] = [:]) -> MetricSeriesKey {
        MetricSeriesKey(namespace: "default", name: name, source: pod.map { .pod($0) } ?? .external, labels: labels)
    }

    func sample(_ value: Double, ago seconds: Double = 0, origin: MetricSampleOrigin = .push) -> MetricSample {
        MetricSample(value: value, timestamp: clock.now.addingTimeInterval(-seconds), origin: origin)
    }

    @Test func eachSeriesKeepsOnlyItsLastSamples() {
        let samples = MetricSamples(limits: .init(samplesPerSeries: 4), now: clock.function)
        for value in 1...10 {
            samples.record(key(), sample(Double(value), ago: Double(10 - value)))
        }
        #expect(samples.history(key()).map(\.value) == [7, 8, 9, 10])
        #expect(samples.latest().map(\.sample.value) == [10])
    }

    @Test func seriesAreToldApartByNamespaceNamePodAndLabels() {
        let samples = MetricSamples(now: clock.function)
        samples.record(key("m", pod: "a"), sample(1))
        samples.record(key("m", pod: "b"), sample(2))
        samples.record(key("m", pod: nil, labels: ["service": "queue"]), sample(3))
        samples.record(key("m", pod: nil, labels: ["service": "other"]), sample(4))
        samples.record(key("n", pod: "a"), sample(5))
        samples.record(MetricSeriesKey(namespace: "shop", name: "m", source: .pod("a")), sample(6))
        #expect(samples.seriesCount == 6)
        let external = samples.latest { $0.source == .external && $0.labels["service"] == "queue" }
        #expect(external.map(\.sample.value) == [3])
    }

    @Test func samplesPastTheRetentionAreDropped() {
        let samples = MetricSamples(limits: .init(retention: .seconds(60)), now: clock.function)
        samples.record(key(pod: "old"), sample(1, ago: 61))  // already too old: not kept at all
        #expect(samples.seriesCount == 0)
        samples.record(key(pod: "a"), sample(1, ago: 50))
        samples.record(key(pod: "a"), sample(2, ago: 5))
        samples.record(key(pod: "b"), sample(3, ago: 30))
        clock.advance(seconds: 20)
        #expect(samples.history(key(pod: "a")).map(\.value) == [2])
        #expect(samples.latest().compactMap(\.key.pod).sorted() == ["a", "b"])
        clock.advance(seconds: 20)
        #expect(samples.latest().compactMap(\.key.pod) == ["a"])
        #expect(samples.seriesCount == 2, "expired series stay until pruned")
        samples.prune()
        #expect(samples.seriesCount == 1)
    }

    @Test func latestHonoursAFreshnessLimit() {
        let samples = MetricSamples(now: clock.function)
        samples.record(key(pod: "fresh"), sample(1, ago: 10))
        samples.record(key(pod: "stale"), sample(2, ago: 50))
        let recent = samples.latest(newerThan: clock.now.addingTimeInterval(-45))
        #expect(recent.map(\.key.pod) == ["fresh"])
    }

    @Test func pastTheSeriesCapTheStalestSeriesMakesRoom() {
        let samples = MetricSamples(limits: .init(maxSeries: 3), now: clock.function)
        samples.record(key(pod: "a"), sample(1, ago: 30))
        samples.record(key(pod: "b"), sample(2, ago: 10))
        samples.record(key(pod: "c"), sample(3, ago: 20))
        samples.record(key(pod: "a"), sample(4, ago: 1))  // a is now the freshest
        samples.record(key(pod: "d"), sample(5))
        #expect(samples.seriesCount == 3)
        #expect(samples.latest().compactMap(\.key.pod).sorted() == ["a", "b", "d"])
        // Expired series go first, before any live one is evicted.
        let withRetention = MetricSamples(limits: .init(maxSeries: 2, retention: .seconds(60)), now: clock.function)
        withRetention.record(key(pod: "expiring"), sample(1, ago: 59))
        withRetention.record(key(pod: "live"), sample(2, ago: 58))
        clock.advance(seconds: 1.5)
        withRetention.record(key(pod: "new"), sample(3))
        #expect(withRetention.latest().compactMap(\.key.pod).sorted() == ["live", "new"])
    }

    @Test func aCounterBecomesARateAndItsRawValue() throws {
        let samples = MetricSamples(now: clock.function)
        let requests = key("requests_total")
        #expect(samples.recordCounter(requests, value: 100, at: clock.now, origin: .scrape) == nil)
        #expect(samples.latest { $0.name == "requests_total" }.isEmpty, "no rate from one reading")
        clock.advance(seconds: 10)
        #expect(samples.recordCounter(requests, value: 150, at: clock.now, origin: .scrape) == 5)
        let rate = try #require(samples.latest { $0.name == "requests_total" }.first)
        #expect(rate.sample.value == 5 && rate.sample.window == .seconds(10) && rate.sample.origin == .scrape)
        let raw = try #require(samples.latest { $0.name == "requests_total_raw" }.first)
        #expect(raw.sample.value == 150 && raw.key.pod == "web-1")
        // A reset (the process restarted) counts from zero.
        clock.advance(seconds: 5)
        #expect(samples.recordCounter(requests, value: 20, at: clock.now, origin: .scrape) == 4)
        // Two readings at the same instant give no rate.
        #expect(samples.recordCounter(requests, value: 30, at: clock.now, origin: .scrape) == nil)
    }

    @Test func seriesCanBeRemoved() {
        let samples = MetricSamples(now: clock.function)
        samples.record(key(pod: "a"), sample(1))
        samples.record(key(pod: "b"), sample(2))
        samples.remove { $0.pod == "a" }
        #expect(samples.latest().compactMap(\.key.pod) == ["b"])
    }

    @Test func concurrentWritersAndReaders() async {
        let samples = MetricSamples(limits: .init(samplesPerSeries: 3, maxSeries: 50), now: clock.function)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for index in 0..<500 {
                        samples.record(key(pod: "p\((writer * 500 + index) % 80)"), sample(Double(index)))
                        _ = samples.latest(matching: { $0.pod == "p1" })
                    }
                }
            }
        }
        #expect(samples.seriesCount == 50)
        #expect(samples.latest().allSatisfy { samples.history($0.key).count <= 3 })
    }
}
