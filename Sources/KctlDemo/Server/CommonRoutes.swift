import Foundation
import Hummingbird

/// The endpoints every serving role has, at the root and under its prefix: the probes' target,
/// the metrics scrape, the version the rollout demo watches, and the fault-injection switches.
struct CommonRoutes: Sendable {
    let environment: RoleEnvironment
    let healthChecks: [@Sendable () async -> String?]

    func install(on group: RouterGroup<DemoContext>) {
        group.get("healthz") { _, _ in await self.healthz() }
        group.get("metrics") { _, _ in
            Response.text(.ok, self.environment.metrics.render(), contentType: "text/plain; version=0.0.4")
        }
        group.get("version") { _, _ in
            Response.text(.ok, "\(self.environment.settings.version) \(self.environment.settings.podName)\n")
        }
        group.post("admin/health") { request, _ in
            guard let ok = request.uri.queryParameters["ok"].flatMap({ Bool(String($0)) }) else {
                return Response.error(.badRequest, "say ok=true or ok=false")
            }
            self.environment.health.set(ok)
            self.environment.logger.notice("health switched \(ok ? "on" : "off") by /admin/health")
            return Response.text(.ok, "healthy: \(ok)\n")
        }
        group.post("admin/crash") { _, _ in
            self.environment.logger.notice("crashing on request (/admin/crash), exit code 1")
            self.environment.terminate(1)
            return Response.text(.accepted, "crashing\n")
        }
    }

    func healthz() async -> Response {
        guard environment.health.isHealthy else { return .text(.serviceUnavailable, "unhealthy: switched off\n") }
        for check in healthChecks {
            if let problem = await check() { return .text(.serviceUnavailable, "unhealthy: \(problem)\n") }
        }
        return .text(.ok, "ok\n")
    }
}
