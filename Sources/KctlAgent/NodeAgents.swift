import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// Runs one `NodeAgent` per Node, as a Service: every Node gets an agent, including Nodes created
/// later (`kctl apply -f Manifests/nodes.yaml`), except Nodes labelled
/// `node.kctl.dev/agent: external` (their agent runs elsewhere); an agent stops when its Node is
/// deleted, or when `stop(node:)` simulates a node failure, until `start(node:)`.
///
/// The agents share one Node informer and one Pod informer (indexed by `spec.nodeName`) instead of
/// a watch each: a pod change goes straight to the agent of its node.
///
///     let agents = NodeAgents(store: store, logger: logger, options: AgentOptions())
///     ServiceGroup(configuration: .init(services: [agents, ...], logger: logger))
///     agents.stop(node: "node-2")     // node-2 stops heartbeating; the lifecycle controller notices
public final class NodeAgents: ServiceLifecycle.Service, Sendable {
    /// The Pod informer's index of pods by `spec.nodeName`.
    static let nodeNameIndex = "spec.nodeName"

    public let options: AgentOptions
    let store: any Store
    let logger: Logger
    let clock: any Clock<Duration>
    let nodes: Informer
    let pods: Informer
    let events: EventRecorder
    let makeRunner: @Sendable (String) -> any PodRunner

    private struct State {
        var running: [String: NodeAgent] = [:]
        /// Nodes stopped by `stop(node:)`: no agent until `start(node:)`.
        var stopped: Set<String> = []
    }

    private let state = Locked(State())
    private let spawns: AsyncStream<NodeAgent>
    private let spawnContinuation: AsyncStream<NodeAgent>.Continuation

    /// - Parameters:
    ///   - clock: paces heartbeats and retries (a `ManualClock` in tests).
    ///   - runner: the pod runner of each node, by node name (default: `AcceptingPodRunner`).
    ///   - shared: where the Node and Pod informers come from in a daemon (nil: their own).
    public init(
        store: any Store, logger: Logger, clock: any Clock<Duration> = ContinuousClock(), options: AgentOptions,
        runner: @escaping @Sendable (String) -> any PodRunner = { _ in AcceptingPodRunner() },
        informers shared: SharedInformers? = nil
    ) {
        self.store = store
        self.logger = logger
        self.clock = clock
        self.options = options
        self.makeRunner = runner
        self.nodes = SharedInformers.informer(for: .node, from: shared, store: store, logger: logger, clock: clock)
        self.pods = SharedInformers.informer(for: .pod, from: shared, store: store, logger: logger, clock: clock)
        let agentClock = AgentClock(clock)
        self.events = EventRecorder(store: store, component: "kubelet", logger: logger, now: agentClock.date)
        (spawns, spawnContinuation) = AsyncStream.makeStream()

        nodes.addHandler { [weak self] event in self?.nodeChanged(event) }
        pods.addIndex(Self.nodeNameIndex) { pod in
            pod.spec?["nodeName"]?.stringValue.map { [$0] } ?? []
        }
        // A shared Pod informer runs whether or not the agents manage pods.
        if options.managePods { pods.addHandler { [weak self] event in self?.podChanged(event) } }
    }

    // MARK: Control

    /// Stops the agent of `node` (no more heartbeats or pod work, its processes killed) until
    /// `start(node:)`: a simulated node failure. The Node object stays.
    public func stop(node: String) {
        let agent = state.withLock { s -> NodeAgent? in
            s.stopped.insert(node)
            return s.running.removeValue(forKey: node)
        }
        if let agent {
            logger.info("node agents: stopping the agent of \(node) (simulated node failure)")
            agent.stop(graceful: false)
        }
    }

    /// Starts the agent of `node` again after `stop(node:)` (if the Node exists and is not external).
    public func start(node: String) {
        _ = state.withLock { $0.stopped.remove(node) }
        if let object = nodes.get(namespace: nil, name: node) { ensureAgent(for: object) }
    }

    /// Names of the nodes whose agent runs, sorted.
    public var runningNodes: [String] { state.withLock { $0.running.keys.sorted() } }

    /// Whether the agent of `node` runs.
    public func isRunning(node: String) -> Bool { state.withLock { $0.running[node] != nil } }

    /// Whether kctld should run an agent for `node`: not for Nodes labelled `node.kctl.dev/agent: external`.
    public static func hasLocalAgent(_ node: KubeObject) -> Bool {
        node.labels[SimulatedNodes.agentLabel] != SimulatedNodes.externalAgent
    }

    // MARK: Service

    /// Runs the informers and every agent until graceful shutdown or cancellation; then stops
    /// every agent (each stops its runner) before returning.
    public func run() async throws {
        let nodes = self.nodes
        let pods = self.pods
        let managePods = options.managePods
        let spawns = self.spawns
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                // The informers run until the agents are done, then are cancelled.
                group.addTask {
                    await withTaskGroup(of: Void.self) { informers in
                        informers.addTask { try? await nodes.run() }
                        if managePods { informers.addTask { try? await pods.run() } }
                    }
                }
                // The agents are stopped, not cancelled, so that each stops its pods in its own time.
                group.addTask {
                    await withTaskGroup(of: Void.self) { agents in
                        for await agent in spawns {
                            agents.addTask { await agent.run() }
                        }
                        self.stopAll()
                    }
                }
                _ = await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stopAll()
        }
        stopAll()
    }

    private func stopAll() {
        spawnContinuation.finish()
        let agents = state.withLock { s -> [NodeAgent] in
            let agents = Array(s.running.values)
            s.running = [:]
            return agents
        }
        for agent in agents { agent.stop() }
    }

    // MARK: Informer handlers

    private func nodeChanged(_ event: InformerEvent) {
        switch event {
        case .added(let node), .updated(_, let node):
            if Self.hasLocalAgent(node) {
                ensureAgent(for: node)
            } else {
                stopAgent(of: node.name, reason: "the Node is labelled \(SimulatedNodes.agentLabel)=external")
            }
        case .deleted(let node):
            stopAgent(of: node.name, reason: "the Node was deleted")
        }
    }

    private func podChanged(_ event: InformerEvent) {
        // The agent's own status report coming back needs no sync: it learns of its processes
        // from its runtime, not from its writes. (A status changed by anyone else does.)
        if case .updated(let old, let new) = event, !new.differsBeyondStatus(from: old),
            let node = new.spec?["nodeName"]?.stringValue,
            state.withLock({ $0.running[node] })?.isOwnReport(event.key, status: new.status) == true
        {
            return
        }
        var nodeNames: [String] = []
        if let name = event.object.spec?["nodeName"]?.stringValue { nodeNames.append(name) }
        if case .updated(let old, _) = event, let name = old.spec?["nodeName"]?.stringValue, !nodeNames.contains(name) {
            nodeNames.append(name)
        }
        guard !nodeNames.isEmpty else { return }
        let agents = state.withLock { s in nodeNames.compactMap { s.running[$0] } }
        for agent in agents { agent.enqueue(event.key) }
    }

    private func ensureAgent(for node: KubeObject) {
        let name = node.name
        guard Self.hasLocalAgent(node) else { return }
        let nodes = self.nodes
        let pods = self.pods
        let agent = state.withLock { s -> NodeAgent? in
            guard s.running[name] == nil, !s.stopped.contains(name) else { return nil }
            let agent = NodeAgent(
                nodeName: name, store: store, logger: logger, clock: clock, options: options, runner: makeRunner(name),
                events: events, node: { nodes.get(namespace: nil, name: name) }, pod: { pods.get($0) })
            s.running[name] = agent
            return agent
        }
        guard let agent else { return }
        for pod in pods.list(index: Self.nodeNameIndex, value: name) { agent.enqueue(ObjectKey(pod)) }
        spawnContinuation.yield(agent)
    }

    private func stopAgent(of name: String, reason: String) {
        guard let agent = state.withLock({ $0.running.removeValue(forKey: name) }) else { return }
        logger.info("node agents: stopping the agent of \(name): \(reason)")
        agent.stop()
    }
}
