import Testing

@testable import KctlMetrics

/// The text exposition parser against real exporter output and the format's edge cases.
@Suite struct PrometheusTextTests {
    /// What a Go client library exporter serves: a summary, counters with labels, a gauge, a histogram.
    static let goExporter = """
        # HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
        # TYPE go_gc_duration_seconds summary
        go_gc_duration_seconds{quantile="0"} 2.2441e-05
        go_gc_duration_seconds{quantile="0.5"} 4.1737e-05
        go_gc_duration_seconds{quantile="1"} 0.000215836
        go_gc_duration_seconds_sum 0.001983064
        go_gc_duration_seconds_count 37
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000
        # HELP go_goroutines Number of goroutines that currently exist.
        # TYPE go_goroutines gauge
        go_goroutines 8
        # HELP http_request_duration_seconds A histogram of the request duration.
        # TYPE http_request_duration_seconds histogram
        http_request_duration_seconds_bucket{le="0.05"} 24054
        http_request_duration_seconds_bucket{le="+Inf"} 144320
        http_request_duration_seconds_sum 53423
        http_request_duration_seconds_count 144320
        # A comment that is neither HELP nor TYPE.
        process_start_time_seconds 1.70000000012e+09

        """

    @Test func readsARealExporter() throws {
        let samples = try PrometheusText.parse(Self.goExporter)
        #expect(samples.count == 13)
        let quantile = try #require(samples.first { $0.name == "go_gc_duration_seconds" && $0.labels["quantile"] == "0.5" })
        #expect(quantile.value == 4.1737e-05 && quantile.kind == .summary && quantile.family == "go_gc_duration_seconds")
        let count = try #require(samples.first { $0.name == "go_gc_duration_seconds_count" })
        #expect(count.kind == .summary && count.family == "go_gc_duration_seconds" && count.value == 37)

        let requests = samples.filter { $0.name == "http_requests_total" }
        #expect(requests.map(\.labels) == [["method": "post", "code": "200"], ["method": "post", "code": "400"]])
        #expect(requests.map(\.value) == [1027, 3])
        #expect(requests.allSatisfy { $0.kind == .counter && $0.timestampMilliseconds == 1_395_066_363_000 })

        let goroutines = try #require(samples.first { $0.name == "go_goroutines" })
        #expect(goroutines.kind == .gauge && goroutines.labels.isEmpty && goroutines.timestampMilliseconds == nil)

        let bucket = try #require(samples.first { $0.name == "http_request_duration_seconds_bucket" && $0.labels["le"] == "+Inf" })
        #expect(bucket.kind == .histogram && bucket.family == "http_request_duration_seconds" && bucket.value == 144320)

        let untyped = try #require(samples.last)
        #expect(untyped.name == "process_start_time_seconds" && untyped.kind == .untyped && untyped.value == 1_700_000_000.12)
    }

    /// What the demo workloads' registry renders (the chat `messages` role).
    @Test func readsTheDemoWorkloads() throws {
        let samples = try PrometheusText.parse("""
            # HELP messages_per_second Messages stored per second over the last 10 seconds.
            # TYPE messages_per_second gauge
            messages_per_second 12.5
            # HELP http_requests_total Requests served.
            # TYPE http_requests_total counter
            http_requests_total{code="200",path="/messages"} 40

            """)
        #expect(samples.map(\.name) == ["messages_per_second", "http_requests_total"])
        #expect(samples[0].value == 12.5 && samples[0].kind == .gauge)
        #expect(samples[1].labels == ["code": "200", "path": "/messages"] && samples[1].kind == .counter)
    }

    @Test func labelValuesWithEscapesAndOddSpacing() throws {
        let samples = try PrometheusText.parse(
            #"msg{path="C:\\dir",quote="say \"hi\"",multi="a\nb",empty="",utf="größe ✓",} 1"# + "\n"
                + #"  spaced { a = "1" , b="2" }   2.5   -12"# + "\r\n"
                + "\t\n"
                + #"colon:name:total{x="y"} 3"#)
        #expect(samples.count == 3)
        #expect(samples[0].labels == [
            "path": #"C:\dir"#, "quote": #"say "hi""#, "multi": "a\nb", "empty": "", "utf": "größe ✓",
        ])
        #expect(samples[1].name == "spaced" && samples[1].labels == ["a": "1", "b": "2"])
        #expect(samples[1].value == 2.5 && samples[1].timestampMilliseconds == -12)
        #expect(samples[2].name == "colon:name:total" && samples[2].value == 3)
    }

    @Test func specialValues() throws {
        let samples = try PrometheusText.parse("""
            a NaN
            b +Inf
            c -Inf
            d Inf
            e 1e3
            f -0.5
            g .5
            """)
        #expect(samples[0].value.isNaN)
        #expect(samples[1].value == .infinity && samples[2].value == -.infinity && samples[3].value == .infinity)
        #expect(samples[4].value == 1000 && samples[5].value == -0.5 && samples[6].value == 0.5)
    }

    @Test func typeLinesApplyToTheirFamilyOnly() throws {
        let samples = try PrometheusText.parse("""
            # TYPE jobs_total counter
            jobs_total 5
            jobs_total_sum 1
            # TYPE latency summary
            latency_sum 2
            latency_count 3
            latency_bucket 4
            # TYPE other gauge
            # EOF
            """)
        #expect(samples.map(\.kind) == [.counter, .untyped, .summary, .summary, .untyped])
        #expect(samples.map(\.family) == ["jobs_total", "jobs_total_sum", "latency", "latency", "latency_bucket"])
    }

    @Test(arguments: [
        ("ok 1\nmissing_value\n", 2, "missing_value has no value"),
        ("bad_value abc", 1, "invalid value \"abc\""),
        ("hex 0x1F", 1, "invalid value \"0x1F\""),
        ("x{a=\"1\"} 1 notatime", 1, "invalid timestamp"),
        ("x 1 2 3", 1, "unexpected text after the timestamp"),
        ("9lives 1", 1, "expected a metric name"),
        ("x{a=\"1\",a=\"2\"} 1", 1, "duplicate label a"),
        ("x{a=\"\\t\"} 1", 1, "invalid escape \\t"),
        ("x{a=\"open} 1", 1, "unterminated value"),
        ("x{a=1} 1", 1, "expected a quoted value"),
        ("x{a} 1", 1, "expected '=' after the label a"),
        ("x{a=\"1\" b=\"2\"} 1", 1, "expected ',' or '}'"),
        ("# TYPE x histogramm\nx 1", 1, "unknown metric type \"histogramm\""),
        ("# TYPE x gauge extra\n", 1, "unexpected text after the TYPE"),
    ])
    func rejectsMalformedLines(text: String, line: Int, message: String) throws {
        let error = try #require(throws: PrometheusTextError.self) { try PrometheusText.parse(text) }
        #expect(error.line == line, "\(error)")
        #expect(error.message.contains(message), "\(error)")
    }

    @Test func emptyAndCommentOnlyExpositions() throws {
        #expect(try PrometheusText.parse("").isEmpty)
        #expect(try PrometheusText.parse("# HELP x nothing yet\n# TYPE x gauge\n\n").isEmpty)
    }
}
