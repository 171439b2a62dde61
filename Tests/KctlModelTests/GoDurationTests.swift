import Testing

@testable import KctlModel

/// Durations as Go writes them: one parser, Go's printer, and the shortest form that parses back.
@Suite struct GoDurationTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("1m30s", .seconds(90)), ("1.5s", .milliseconds(1500)), ("250us", .microseconds(250)),
        ("250µs", .microseconds(250)), ("7ns", .nanoseconds(7)), ("0", .zero), ("0s", .zero),
    ])
    func durationsParse(text: String, expected: Duration) {
        #expect(GoDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "10", "s", "-1s", "1d", "1.2.3s", "10 s", "ms10", "1s2"])
    func malformedDurationsDoNot(text: String) {
        #expect(GoDuration.parse(text) == nil)
    }

    @Test(arguments: [
        (Duration.zero, "0s"), (.milliseconds(500), "500ms"), (.seconds(10), "10s"), (.seconds(90), "1m30s"),
        (.seconds(300), "5m"), (.seconds(7200), "2h"), (.milliseconds(1500), "1.5s"), (.milliseconds(61_250), "1m1.25s"),
    ])
    func durationsFormat(duration: Duration, text: String) {
        #expect(GoDuration.shortFormat(duration) == text)
        #expect(GoDuration.parse(text) == duration)
    }

    @Test(arguments: [
        (Duration.zero, "0s"), (.nanoseconds(7), "7ns"), (.microseconds(250), "250µs"), (.milliseconds(500), "500ms"),
        (.milliseconds(1500), "1.5s"), (.seconds(90), "1m30s"), (.seconds(7200), "2h0m0s"), (.seconds(-5), "-5s"),
        (.seconds(60), "1m0s"), (.seconds(3725), "1h2m5s"), (.milliseconds(10_050), "10.05s"), (.nanoseconds(1500), "1.5µs"),
    ])
    func goFormatsAsGo(duration: Duration, text: String) {
        #expect(GoDuration.format(duration) == text)
    }

    @Test func secondsKeepTheFraction() {
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect(Duration.nanoseconds(1).seconds == 1e-9)
    }
}
