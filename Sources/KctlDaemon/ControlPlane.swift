import KctlAgent
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlScheduler
import KctlStore
import Logging
import ServiceLifecycle

/// The loops that turn desired state into placed replicas, each behind the store's watch line:
/// the controllers (with event expiry), the scheduler, the node agents and the node lifecycle.
enum ControlPlane {
    static func services(store: any Store, options: DaemonOptions, logger: Logger) -> [any ServiceLifecycle.Service] {
        var controllerOptions = ControllerOptions()
        controllerOptions.eventTTL = options.eventTTL
        return ControllerSet(store: store, logger: logger, options: controllerOptions).services + [
            SchedulerService(store: store, logger: logger),
            NodeAgents(store: store, logger: logger, options: options.agents),
            NodeLifecycleController(store: store, logger: logger),
        ]
    }
}
