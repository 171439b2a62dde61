import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// The agent of one Node, living inside kctld: the kubelet's role for a simulated machine.
///
/// - Heartbeats through the Lease `kube-node-lease/<node>` (created when missing, `renewTime`
///   renewed every `heartbeatInterval`).
/// - Keeps the Node's `Ready` condition True; rewrites the Node only when its status must change
///   or every `statusReportInterval`, so heartbeats do not churn the Node object.
/// - Hands the pods bound to its node to its `PodRunner` and writes back the status it returns;
///   finishes the deletion of its pods that carry a `deletionTimestamp` once the runner has
///   stopped them (the kubelet's part in graceful deletion).
///
/// The decisions live in `HeartbeatStateMachine`, `NodeStatusReport` and the runner; this type
/// only does the I/O. `NodeAgents` creates, runs and stops one per Node; it is not started alone.
public final class NodeAgent: Sendable {
    public let nodeName: String
    let store: any Store
    let logger: Logger
    let clock: AgentClock
    let options: AgentOptions
    let runner: any PodRunner
    /// The Node as last seen (the shared Node informer's cache).
    let node: @Sendable () -> KubeObject?
    /// A pod by key (the shared Pod informer's cache).
    let pod: @Sendable (ObjectKey) -> KubeObject?
    let podQueue: WorkQueue
    let events: EventRecorder?
    private let stopped = Locked(false)
    /// The status this agent last wrote for each of its pods. A change that only brings back that
    /// status is its own report and needs no sync; any other status change (the node lifecycle
    /// controller marking a pod not ready, a client's edit) does, so the runner writes it again.
    private let reported = Locked<[ObjectKey: JSONValue]>([:])
    /// Whether the runner stops its pods gracefully when the agent stops (see `stop(graceful:)`).
    private let gracefulStop = Locked(true)
    private let stopSignal: AsyncStream<Void>
    private let stopContinuation: AsyncStream<Void>.Continuation

    init(
        nodeName: String, store: any Store, logger: Logger, clock: any Clock<Duration>, options: AgentOptions,
        runner: any PodRunner, events: EventRecorder?, node: @escaping @Sendable () -> KubeObject?,
        pod: @escaping @Sendable (ObjectKey) -> KubeObject?
    ) {
        self.nodeName = nodeName
        self.store = store
        var logger = logger
        logger[metadataKey: "node"] = "\(nodeName)"
        self.logger = logger
        self.clock = AgentClock(clock)
        self.options = options
        self.runner = runner
        self.events = events
        self.node = node
        self.pod = pod
        self.podQueue = WorkQueue(
            name: "agent-\(nodeName)", clock: clock, backOff: .init(base: .milliseconds(50), max: .seconds(30)))
        (stopSignal, stopContinuation) = AsyncStream.makeStream()
    }

    // MARK: Running

    /// Heartbeats and works on pods until `stop()` or cancellation, then stops the runner.
    func run() async {
        logger.info("node agent \(nodeName): starting")
        if let node = node() { await events?.normal(node, reason: "Starting", message: "Starting kctl agent.") }
        let reconciler = PodSync(agent: self)
        let worker = Controller(
            name: "node-agent/\(nodeName)", queue: podQueue, reconciler: reconciler, workers: options.podWorkers,
            logger: logger)
        let stopSignal = self.stopSignal
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.heartbeatLoop() }
            if options.managePods {
                group.addTask { try? await worker.run() }
            }
            group.addTask {
                for await _ in stopSignal {}
            }
            // The first child to end is the stop signal (or all end on cancellation).
            _ = await group.next()
            podQueue.shutDown()
            group.cancelAll()
        }
        await runner.stopAll(context: context, graceful: gracefulStop.withLock { $0 })
        logger.info("node agent \(nodeName): stopped")
    }

    /// Ends `run()`: no more heartbeats, no more pod work. Safe to call more than once. With
    /// `graceful` false (a simulated node failure) the pods' processes are killed at once.
    func stop(graceful: Bool = true) {
        gracefulStop.withLock { $0 = graceful }
        stopped.withLock { $0 = true }
        stopContinuation.finish()
    }

    /// Asks the agent to look at a pod (bound to its node, or just unbound or deleted).
    func enqueue(_ key: ObjectKey) {
        podQueue.add(key)
    }

    var context: PodRunnerContext {
        let queue = podQueue
        let node = self.node
        let name = nodeName
        return PodRunnerContext(
            nodeName: nodeName,
            hostIP: node().map(NodeStatusReport.internalIP(of:)) ?? SimulatedNodes.address(forNodeNamed: name),
            now: clock.date, requeue: { queue.add($0) }, events: events)
    }

    // MARK: Heartbeats

    private func heartbeatLoop() async {
        // A zero interval would spin: no agent beats more often than every 10 ms.
        var machine = HeartbeatStateMachine(
            heartbeatInterval: max(options.heartbeatInterval, .milliseconds(10)),
            statusReportInterval: options.statusReportInterval)
        // `stopped` is checked as well as cancellation: a heartbeat due right after `stop()` must
        // not go out while the cancellation is on its way.
        while !Task.isCancelled, !stopped.withLock({ $0 }) {
            let delay: Duration
            do {
                try await heartbeat(&machine)
                delay = machine.heartbeatSucceeded()
            } catch {
                if Task.isCancelled { return }
                delay = machine.heartbeatFailed()
                logger.warning("node agent \(nodeName): heartbeat failed (retrying in \(delay)): \(error)")
            }
            do { try await clock.sleep(delay) } catch { return }
        }
    }

    /// One heartbeat: renew the Lease, then report the Node status if due.
    func heartbeat(_ machine: inout HeartbeatStateMachine) async throws {
        try await renewLease()
        guard let node = node() else { return }  // not in the cache yet, or being deleted
        let changed = NodeStatusReport.needsUpdate(node.status, nodeName: nodeName)
        let now = clock.elapsed()
        guard machine.shouldReportStatus(at: now, statusChanged: changed) else { return }
        try await reportStatus()
        machine.statusReported(at: now)
    }

    private func renewLease() async throws {
        let renewTime = Stamp.microTime(clock.date())
        let name = nodeName
        let duration = options.leaseDurationSeconds
        do {
            _ = try await store.update(.lease, namespace: options.leaseNamespace, name: nodeName, subresource: .main) {
                lease in
                var spec = lease.spec?.objectValue ?? [:]
                if spec["holderIdentity"]?.stringValue != name {
                    spec["holderIdentity"] = .string(name)
                    spec["acquireTime"] = .string(renewTime)
                }
                spec["leaseDurationSeconds"] = .int(Int64(duration))
                spec["renewTime"] = .string(renewTime)
                lease.spec = .object(spec)
            }
        } catch let error as StatusError where error.reason == .notFound {
            try await createLease(renewTime: renewTime)
        }
    }

    private func createLease(renewTime: String) async throws {
        var lease = KubeObject([
            "apiVersion": .string(ResourceType.lease.apiVersion), "kind": "Lease",
            "spec": [
                "holderIdentity": .string(nodeName), "leaseDurationSeconds": .int(Int64(options.leaseDurationSeconds)),
                "acquireTime": .string(renewTime), "renewTime": .string(renewTime),
            ],
        ])
        lease.name = nodeName
        lease.namespace = options.leaseNamespace
        // Owned by the Node, as a kubelet's Lease is: the garbage collector removes it with the Node.
        if let node = node(), let uid = node.uid {
            lease.ownerReferences = [
                ["apiVersion": "v1", "kind": "Node", "name": .string(nodeName), "uid": .string(uid)]
            ]
        }
        do {
            _ = try await store.create(lease, as: .lease)
            logger.debug("node agent \(nodeName): created Lease \(options.leaseNamespace)/\(nodeName)")
        } catch let error as StatusError where error.reason == .alreadyExists {
            try await renewLease()  // created meanwhile (a previous agent of the same node)
        }
    }

    private func reportStatus() async throws {
        let now = Stamp.time(clock.date())
        let name = nodeName
        _ = try await store.update(.node, namespace: nil, name: nodeName, subresource: .status) { node in
            if let status = NodeStatusReport.reportedStatus(node.status, nodeName: name, now: now, refreshHeartbeat: true) {
                node.status = status
            }
        }
    }

    // MARK: Pods

    /// Syncs one pod bound to this node with the runner; see `PodRunner`.
    func syncPod(_ key: ObjectKey) async throws {
        let context = self.context
        guard let object = pod(key), object.spec?["nodeName"]?.stringValue == nodeName else {
            reported.withLock { $0[key] = nil }
            await runner.forget(key, uid: nil, context: context)
            return
        }
        let uid = object.uid
        if object.deletionTimestamp != nil {
            let pod = try Pod(object)
            try await runner.terminate(pod, gracePeriod: PodAcceptance.gracePeriod(of: pod), context: context)
            do {
                _ = try await store.delete(
                    .pod, namespace: key.namespace, name: key.name, preconditions: .init(uid: uid), gracePeriodSeconds: 0)
                logger.debug("node agent \(nodeName): pod \(key) stopped and deleted")
            } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                // Gone already, or replaced by a new pod of the same name: nothing of ours is left.
            }
            reported.withLock { $0[key] = nil }
            await runner.forget(key, uid: uid, context: context)
            return
        }
        // The runner decodes what it needs (the accepting runner: only the status).
        guard let status = try await runner.sync(object: object, context: context) else { return }
        let encoded = try JSONValue(encoding: status)
        reported.withLock { $0[key] = encoded }
        do {
            _ = try await store.update(.pod, namespace: key.namespace, name: key.name, subresource: .status) { stored in
                guard stored.uid == uid else {
                    throw StatusError.conflict(.pod, key.name, "the pod was replaced by another of the same name")
                }
                stored.status = encoded
            }
        } catch let error as StatusError where error.reason == .notFound {
            reported.withLock { $0[key] = nil }
            await runner.forget(key, uid: uid, context: context)
        }
    }

    /// Whether `status` is the one this agent last wrote for the pod at `key`.
    func isOwnReport(_ key: ObjectKey, status: JSONValue?) -> Bool {
        reported.withLock { $0[key] } == status
    }
}

/// The agent's pod work queue calls this: one key at a time per pod, level-triggered.
struct PodSync: Reconciler {
    let agent: NodeAgent

    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        try await agent.syncPod(key)
        return .done
    }
}
