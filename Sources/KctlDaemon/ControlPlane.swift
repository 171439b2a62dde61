import KctlAgent
import KctlControllerRuntime
import KctlControllers
import KctlMetrics
import KctlModel
import KctlProxy
import KctlScheduler
import KctlStore
import Logging
import ServiceLifecycle

/// The loops that turn desired state into running replicas, each behind the store's watch line:
/// the controllers (with event expiry), the scheduler, the node agents (running pods as
/// processes through the shared `PodRuntime`) and the node lifecycle. They read one set of
/// informers (`SharedInformers`), so each change is cached once, not once per component.
struct ControlPlane {
    let services: [any ServiceLifecycle.Service]
    let agents: NodeAgents
    let runtime: PodRuntime?
    /// Scraped and pushed metric samples: what the HPA controller and the custom/external metrics APIs read.
    let metrics: MetricsPipeline

    init(store: any Store, options: DaemonOptions, logger: Logger) {
        var controllerOptions = ControllerOptions()
        controllerOptions.eventTTL = options.eventTTL
        // First: it starts before the components that read its informers and stops after them.
        let informers = SharedInformers(store: store, logger: logger)
        var services: [any ServiceLifecycle.Service] = [informers]
        let runner: @Sendable (String) -> any PodRunner
        if options.podRunner == .processes {
            let runtime = PodRuntime(store: store, options: options.runtimeOptions, logger: logger)
            self.runtime = runtime
            runner = runtime.runner(node:)
            // Before the agents: services stop in reverse order, so this one stops after them.
            services.append(PodRuntimeService(runtime: runtime))
        } else {
            self.runtime = nil
            runner = { _ in AcceptingPodRunner() }
        }
        agents = NodeAgents(
            store: store, logger: logger, options: options.agents, runner: runner, informers: informers)
        var metricsSettings = MetricsPipeline.Settings(scrapeInterval: options.autoscaling.scrapeInterval)
        metricsSettings.pushStaleness = options.autoscaling.pushTTL
        metrics = MetricsPipeline(
            store: store, resources: runtime.map { RuntimeMetricsSource(runtime: $0) }, settings: metricsSettings,
            logger: logger, informers: informers)
        services.append(metrics)
        controllerOptions.autoscalingMetrics = metrics
        controllerOptions.hpaSyncPeriod = options.autoscaling.syncPeriod
        controllerOptions.hpaDownscaleStabilization = options.autoscaling.downscaleStabilization
        let controllers = ControllerSet(store: store, logger: logger, options: controllerOptions, informers: informers)
        services += controllers.services + [
            SchedulerService(store: store, logger: logger, informers: informers),
            agents,
            NodeLifecycleController(
                store: store, logger: logger, options: options.nodeLifecycle, informers: informers),
        ]
        if options.proxies {
            let host = options.ingressHost
            let announce = options.onIngressListening
            services += [
                ServiceProxy(store: store, logger: logger, informers: informers),
                IngressProxy(
                    store: store, logger: logger, host: host, port: options.ingressPort,
                    waker: StoreServiceWaker(store: store, logger: logger),
                    onListening: { address in
                        let url = "http://\(host):\(address.port ?? 0)"
                        logger.info("ingress proxy listening on \(url)")
                        announce?(url)
                    }, informers: informers),
            ]
        }
        self.services = services
    }
}
