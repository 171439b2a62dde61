import Foundation
import Testing

@testable import KctlDemo

/// The demo's small pure pieces: path prefixes, settings, durations, metrics, rates, hashing.
@Suite struct PureLogicTests {
    @Test(arguments: [
        ("/users/alice", "/users/alice"),
        ("/alice", "/users/alice"),
        ("/", "/users"),
        ("", "/users"),
        ("/users", "/users"),
        ("/usersx/1", "/users/usersx/1"),
        ("/healthz", "/healthz"),
        ("/metrics", "/metrics"),
        ("/admin/health?ok=false", "/admin/health?ok=false"),
        ("/?limit=3", "/users?limit=3"),
        ("/stream?x=1", "/users/stream?x=1"),
    ])
    func pathsGetThePrefix(path: String, routed: String) {
        #expect(PathPrefix.normalize(path, prefix: "users") == routed)
    }

    @Test func pathsOfRolesWithoutPrefixStayAsTheyAre() {
        #expect(PathPrefix.normalize("/catalog", prefix: nil) == "/catalog")
    }

    @Test func listenAddress() {
        let settings = { (env: [String: String]) in DemoSettings(environment: env).listenAddress(defaultPort: 8080) }
        #expect(settings([:]) == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(settings(["PORT": "9000"]) == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(settings(["POD_IP": "127.1.0.7", "PORT": "8081"]) == ListenAddress(host: "127.1.0.7", port: 8081))
        #expect(settings(["POD_IP": "127.1.0.7", "LISTEN_ADDRESS": "127.1.0.9:1234"]).description == "127.1.0.9:1234")
        let override = DemoSettings(environment: ["LISTEN_ADDRESS": "127.1.0.9:1"], listen: ListenAddress("0.0.0.0:5"))
        #expect(override.listenAddress(defaultPort: 1) == ListenAddress(host: "0.0.0.0", port: 5))
        #expect(ListenAddress("[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress("nope") == nil && ListenAddress("1.2.3.4:70000") == nil && ListenAddress(":80") == nil)
    }

    @Test func serviceDiscovery() {
        let settings = DemoSettings(environment: [
            "USERS_SERVICE_HOST": "127.2.0.5", "USERS_SERVICE_PORT": "80",
            "NOTIFICATIONS_URL": "http://127.0.0.1:9000/",
            "NOTIFICATIONS_SERVICE_HOST": "127.2.0.6",
            "PAYMENT_URL": "http://$(PAYMENT_SERVICE_HOST)",
        ])
        #expect(settings.serviceURL("users") == "http://127.2.0.5:80")
        #expect(settings.serviceURL("notifications") == "http://127.0.0.1:9000")
        #expect(settings.serviceURL("payment") == nil)
        #expect(settings.serviceURL("queue") == nil)
    }

    @Test func durations() {
        #expect(DurationText.parse("3s") == .seconds(3))
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("1.5") == .milliseconds(1500))
        #expect(DurationText.parse("soon") == nil && DurationText.parse("-1s") == nil)
    }

    @Test func metricsRender() {
        let metrics = MetricsRegistry()
        metrics.declare("b_total", .counter, help: "B.")
        metrics.declare("a", .gauge, help: "A.")
        metrics.increment("b_total", labels: [("code", "500")])
        metrics.increment("b_total", labels: [("code", "200")], by: 2)
        metrics.set("a", 0.5)
        metrics.gauge("c", help: "C.") { 3 }
        metrics.increment("undeclared")
        #expect(
            metrics.render() == """
                # HELP b_total B.
                # TYPE b_total counter
                b_total{code="200"} 2
                b_total{code="500"} 1
                # HELP a A.
                # TYPE a gauge
                a 0.5
                # HELP c C.
                # TYPE c gauge
                c 3

                """)
        #expect(MetricsRegistry.render([("path", "a\"b\\c")]) == #"path="a\"b\\c""#)
    }

    @Test func rateOverTheLastTenSeconds() {
        let start = ContinuousClock.now
        var window = RateWindow(start: start)
        #expect(window.rate(at: start) == 0)
        for second in 0..<20 { window.record(at: start + .seconds(second)) }
        // At 20 s: the events of seconds 11...19 are within the last 10 s.
        #expect(window.rate(at: start + .seconds(20)) == 0.9)
        #expect(window.rate(at: start + .seconds(40)) == 0)
        // A burst in a fresh process is spread over at least one second.
        var fresh = RateWindow(start: start)
        for _ in 0..<5 { fresh.record(at: start + .milliseconds(100)) }
        #expect(fresh.rate(at: start + .milliseconds(200)) == 5)
    }

    @Test func boundedRingKeepsTheNewest() {
        var ring = BoundedRing<Int>(capacity: 3)
        for i in 1...5 { ring.append(i) }
        #expect(ring.elements == [3, 4, 5])
        #expect(ring.last(2) == [4, 5])
    }

    @Test func sha256AndHMAC() {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(hex(SHA256.hash(long)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // RFC 4231, test case 2.
        #expect(
            hex(SHA256.hmac(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func jsonValuesRoundTrip() throws {
        let text = #"{"a":[1,2.5,"x",true,null],"b":{"c":"d"}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
        #expect(value["b"]?["c"]?.string == "d")
    }
}
