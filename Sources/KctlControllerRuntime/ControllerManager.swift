import Logging
import ServiceLifecycle

/// Runs a set of informers and the controllers fed by them as one Service: starts every informer,
/// waits until each has loaded its first list (so no reconciler acts on a partial cache), then runs
/// the controllers and any extra services (such as `EventExpiry`) until graceful shutdown.
///
///     let manager = ControllerManager(informers: [deployments, replicaSets, pods],
///                                     controllers: [deploymentController, replicaSetController],
///                                     logger: logger)
///     ServiceGroup(configuration: .init(services: [manager], logger: logger))
public struct ControllerManager: ServiceLifecycle.Service {
    public let informers: [Informer]
    public let controllers: [Controller]
    public let services: [any ServiceLifecycle.Service]
    private let logger: Logger

    public init(informers: [Informer], controllers: [Controller], services: [any ServiceLifecycle.Service] = [], logger: Logger) {
        self.informers = informers
        self.controllers = controllers
        self.services = services
        self.logger = logger
    }

    public func run() async throws {
        let informers = self.informers
        let controllers = self.controllers
        let services = self.services
        let logger = self.logger
        try await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for informer in informers {
                    group.addTask { try await informer.run() }
                }
                for informer in informers {
                    await informer.waitForSync()
                }
                if Task.isCancelled { return }
                logger.debug(
                    "controller manager: \(informers.count) informers synced; starting \(controllers.map(\.name).joined(separator: ", "))"
                )
                for controller in controllers {
                    group.addTask { try await controller.run() }
                }
                for service in services {
                    group.addTask { try await service.run() }
                }
                try await group.waitForAll()
            }
        }
    }
}
