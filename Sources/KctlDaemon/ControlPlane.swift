import KctlAgent
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// The loops that turn desired state into placed replicas, each behind the store's watch line:
/// controllers, the scheduler, node agents and their lifecycle, and event expiry.
enum ControlPlane {
    static func services(store: any Store, options: DaemonOptions, logger: Logger) -> [any ServiceLifecycle.Service] {
        var services: [any ServiceLifecycle.Service] = []
        services.append(NodeAgents(store: store, logger: logger, options: options.agents))
        services.append(EventExpiry(store: store, options: .init(ttl: options.eventTTL), logger: logger))
        return services
    }
}
