/// The fault-injection switch behind `/healthz`: flipped by `POST /admin/health?ok=false` or by
/// `FAIL_READINESS_AFTER`, so demos can make a replica unready or unhealthy on purpose.
final class HealthSwitch: Sendable {
    private let healthy = Locked(true)

    var isHealthy: Bool { healthy.current }

    func set(_ value: Bool) { healthy.withLock { $0 = value } }
}
