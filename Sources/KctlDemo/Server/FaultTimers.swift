import Logging
import ServiceLifecycle

/// `CRASH_AFTER` (exit 1 after that long) and `FAIL_READINESS_AFTER` (switch `/healthz` off after
/// that long): faults on a timer, for the auto-healing and readiness demos.
struct FaultTimers: Service {
    let crashAfter: Duration?
    let failHealthAfter: Duration?
    let health: HealthSwitch
    let logger: Logger
    let terminate: @Sendable (Int32) -> Void

    func run() async throws {
        await withDiscardingTaskGroup { group in
            if let crashAfter {
                group.addTask {
                    guard (try? await Task.sleep(for: crashAfter)) != nil else { return }
                    logger.notice("CRASH_AFTER \(crashAfter) elapsed: exit code 1")
                    terminate(1)
                }
            }
            if let failHealthAfter {
                group.addTask {
                    guard (try? await Task.sleep(for: failHealthAfter)) != nil else { return }
                    logger.notice("FAIL_READINESS_AFTER \(failHealthAfter) elapsed: /healthz now fails")
                    health.set(false)
                }
            }
            // Stay until shutdown even when no timer is set (a returning service stops the group).
            group.addTask { try? await gracefulShutdown() }
        }
    }
}
