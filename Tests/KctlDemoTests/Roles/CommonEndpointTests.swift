import Foundation
import Testing

@testable import KctlDemo

/// What every serving role has: probes target, metrics, version, fault injection.
@Suite struct CommonEndpointTests {
    @Test func metricsAreInPrometheusTextFormat() async throws {
        try await Demo.with(.httpEcho) { echo in
            _ = try await Demo.http.get("\(echo)/anything")
            _ = try await Demo.http.get("\(echo)/healthz")
            let metrics = try await Demo.http.get("\(echo)/metrics")
            #expect(metrics.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(metrics.body.contains("# TYPE http_requests_total counter\n"))
            #expect(metrics.body.contains(#"http_requests_total{code="200"} 2"#))
            #expect(metrics.body.contains("# TYPE http_requests_in_flight gauge\nhttp_requests_in_flight 1\n"))
        }
    }

    @Test func healthCanBeSwitchedOffAndOn() async throws {
        try await Demo.with(.chatNotifications) { base in
            #expect(try await Demo.http.get("\(base)/healthz").body == "ok\n")
            #expect(try await Demo.http.post("\(base)/admin/health?ok=false", json: "").status == 200)
            let sick = try await Demo.http.get("\(base)/healthz")
            #expect(sick.status == 503)
            // Under the Ingress prefix too.
            #expect(try await Demo.http.get("\(base)/notifications/healthz").status == 503)
            #expect(try await Demo.http.post("\(base)/admin/health?ok=true", json: "").status == 200)
            #expect(try await Demo.http.get("\(base)/healthz").status == 200)
            #expect(try await Demo.http.post("\(base)/admin/health?ok=maybe", json: "").status == 400)
        }
    }

    @Test func faultsOnATimer() async throws {
        let exits = ExitRecorder()
        let environment = ["CRASH_AFTER": "200ms", "FAIL_READINESS_AFTER": "100ms"]
        try await Demo.with(.httpEcho, environment, terminate: exits.terminate) { base in
            let unhealthy = try await Demo.eventually { try await Demo.http.get("\(base)/healthz").status == 503 }
            #expect(unhealthy)
            let exited = await Demo.eventually { exits.recorded == [1] }
            #expect(exited)
        }
    }

    @Test func crashOnRequest() async throws {
        let exits = ExitRecorder()
        try await Demo.with(.chatUsers, terminate: exits.terminate) { base in
            _ = try await Demo.http.post("\(base)/admin/crash", json: "")
            #expect(exits.recorded == [1])
        }
    }

    @Test func versionAndEchoNameTheVersionAndThePod() async throws {
        try await Demo.with(.httpEcho, ["VERSION": "v2", "HOSTNAME": "web-abc12"]) { base in
            #expect(try await Demo.http.get("\(base)/version").body == "v2 web-abc12\n")
            let echo = try await Demo.http.send("DELETE", "\(base)/a/b?c=d")
            #expect(echo.body == "DELETE /a/b?c=d HTTP/1.1\nversion: v2\npod: web-abc12\n")
        }
        try await Demo.with(.httpEcho, ["POD_NAME": "named", "HOSTNAME": "host"]) { base in
            let echo = try await Demo.http.get("\(base)/")
            #expect(echo.body.hasSuffix("pod: named\n"))
        }
    }

    @Test func theMonolithCountsPagesAndChecksItsDatabase() async throws {
        let directory = try Demo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("legacy.sqlite")
        try await Demo.with(.legacyMonolith, ["LEGACY_DB": database.path, "HOSTNAME": "legacy-1"]) { base in
            #expect(try await Demo.http.get("\(base)/").body.contains("viewed 1 times"))
            #expect(try await Demo.http.get("\(base)/").body.contains("viewed 2 times"))
            #expect(try await Demo.http.get("\(base)/catalog").body.contains("Teapot"))
            #expect(try await Demo.http.get("\(base)/account").body.contains("legacy-1"))
            #expect(try await Demo.http.get("\(base)/healthz").status == 200)
            let metrics = try await Demo.http.get("\(base)/metrics").body
            #expect(metrics.contains(#"legacy_page_views_total{page="home"} 2"#))
            // The dependency breaks: the table is gone, and health says so.
            try SQLiteDatabase(path: database.path).execute("DROP TABLE counters")
            let sick = try await Demo.http.get("\(base)/healthz")
            #expect(sick.status == 503 && sick.body.contains("database"))
        }
    }
}
