import Testing

@testable import KctlMetrics

/// The text exposition parser against real exporter output and the format's edge cases.
@Suite struct PrometheusTextTests {
}
