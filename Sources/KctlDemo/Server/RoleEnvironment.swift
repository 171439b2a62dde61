import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// The one request context of every role: Hummingbird's basic context with WebSocket upgrade.
typealias DemoContext = BasicWebSocketRequestContext

/// What the common server gives a role when it installs its routes.
struct RoleEnvironment: Sendable {
    let role: DemoRole
    let settings: DemoSettings
    let metrics: MetricsRegistry
    let health: HealthSwitch
    let http: DemoHTTPClient
    let logger: Logger
    let terminate: @Sendable (Int32) -> Void

    /// The calls to Service `name`, found through the environment.
    func upstream(_ name: String) -> Upstream {
        Upstream(name: name, baseURL: settings.serviceURL(name), http: http)
    }
}

/// What a role adds besides routes: background services (the notifier's worker loop) and
/// health checks that `/healthz` runs (the monolith's database check).
struct RoleParts: Sendable {
    var services: [any Service] = []
    /// Each returns nil when fine, else why the role is unhealthy.
    var healthChecks: [@Sendable () async -> String?] = []
}

/// A role: routes under its prefix, plus its parts.
protocol DemoRoleHandler: Sendable {
    init(_ environment: RoleEnvironment) throws
    /// Adds the role's routes; `api` is the group under the role's prefix.
    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>)
    var parts: RoleParts { get }
}

extension DemoRoleHandler {
    var parts: RoleParts { RoleParts() }
}
