import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// Settings of the node lifecycle controller.
public struct NodeLifecycleOptions: Sendable, Hashable {
    /// How long a node may go without renewing its Lease before it is `Ready=Unknown` and tainted
    /// unreachable (Kubernetes: 40 s, `node-monitor-grace-period`).
    public var gracePeriod: Duration
    /// How long a pod without a matching toleration stays on an unreachable node before it is
    /// deleted, so that its ReplicaSet replaces it elsewhere (Kubernetes' default toleration: 300 s).
    public var podEvictionTimeout: Duration
    /// Whether pods are evicted from unreachable nodes at all.
    public var evictPods: Bool
    /// Where node Leases live.
    public var leaseNamespace: String

    public init(
        gracePeriod: Duration = .seconds(40), podEvictionTimeout: Duration = .seconds(300), evictPods: Bool = true,
        leaseNamespace: String = "kube-node-lease"
    ) {
        self.gracePeriod = gracePeriod
        self.podEvictionTimeout = podEvictionTimeout
        self.evictPods = evictPods
        self.leaseNamespace = leaseNamespace
    }
}

/// Notices nodes that stopped heartbeating, as Kubernetes' node lifecycle controller does: a node
/// whose Lease `renewTime` has not changed for `gracePeriod` (by this controller's clock) gets
/// `Ready=Unknown` and the `node.kubernetes.io/unreachable` taints (NoSchedule, NoExecute); once
/// its Lease moves again the taints go and `Ready` is True. Pods on an unreachable node that do not
/// tolerate the NoExecute taint are deleted after `podEvictionTimeout` (see `TaintEviction`).
///
/// Events: `NodeNotReady` and `NodeReady` on the Node, `TaintManagerEviction` on each evicted Pod.
///
/// It does not decide from `renewTime` against its own wall clock; it watches for the value to
/// change (`NodeHealthTracker`), so a restarted controller gives every node a full grace period.
public final class NodeLifecycleController: ServiceLifecycle.Service, Sendable {
    public let options: NodeLifecycleOptions
    let store: any Store
    let logger: Logger
    let clock: AgentClock
    let nodes: Informer
    let leases: Informer
    let pods: Informer
    let queue: WorkQueue
    let events: EventRecorder
    let tracker: Locked<NodeHealthTracker>

    public init(
        store: any Store, logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        options: NodeLifecycleOptions = NodeLifecycleOptions(), informers shared: SharedInformers? = nil
    ) {
        self.store = store
        self.logger = logger
        self.options = options
        let agentClock = AgentClock(clock)
        self.clock = agentClock
        self.nodes = SharedInformers.informer(for: .node, from: shared, store: store, logger: logger, clock: clock)
        self.leases = SharedInformers.informer(
            for: .lease, namespace: options.leaseNamespace, from: shared, store: store, logger: logger, clock: clock)
        self.pods = SharedInformers.informer(for: .pod, from: shared, store: store, logger: logger, clock: clock)
        self.queue = WorkQueue(name: "node-lifecycle", clock: clock)
        self.events = EventRecorder(store: store, component: "node-controller", logger: logger, now: agentClock.date)
        let tracker = Locked(NodeHealthTracker(gracePeriod: options.gracePeriod))
        self.tracker = tracker

        let queue = self.queue
        nodes.addHandler { event in
            let name = event.object.name
            switch event {
            case .added, .updated:
                tracker.withLock { $0.observeNode(name, at: agentClock.elapsed()) }
                queue.add(ObjectKey(namespace: nil, name: name))
            case .deleted:
                tracker.withLock { $0.forget(name) }
                queue.add(ObjectKey(namespace: nil, name: name))  // its pods are orphans now
            }
        }
        leases.addHandler { event in
            if case .deleted = event { return }  // a missing Lease is silence, which the tracker already counts
            let name = event.object.name
            let renewTime = event.object.spec?["renewTime"]?.stringValue
            let alive = tracker.withLock { $0.observeLease(node: name, renewTime: renewTime, at: agentClock.elapsed()) }
            if alive { queue.add(ObjectKey(namespace: nil, name: name)) }
        }
        pods.addIndex(NodeAgents.nodeNameIndex) { pod in pod.spec?["nodeName"]?.stringValue.map { [$0] } ?? [] }
    }

    public func run() async throws {
        let controller = Controller(
            name: "node-lifecycle", queue: queue, reconciler: NodeLifecycleReconciler(controller: self), workers: 1,
            logger: logger)
        let informers = options.evictPods ? [nodes, leases, pods] : [nodes, leases]
        try await ControllerManager(informers: informers, controllers: [controller], logger: logger).run()
    }

    // MARK: Reconciling one node

    func reconcile(_ name: String) async throws -> ReconcileResult {
        guard let node = nodes.get(namespace: nil, name: name) else {
            try await collectPods(ofDeletedNode: name)
            return .done
        }
        let now = clock.elapsed()
        let (fresh, staleAt) = tracker.withLock { ($0.isFresh(name, at: now), $0.staleAt(name)) }
        let stamp = Stamp.time(clock.date())

        switch NodeLifecycleDecision.action(for: node, fresh: fresh) {
        case .markUnreachable(let status, let taints):
            if status {
                let updated = try await store.update(.node, namespace: nil, name: name, subresource: .status) {
                    $0.status = NodeLifecycleDecision.unknownStatus($0.status, now: stamp)
                }
                await events.normal(updated, reason: "NodeNotReady", message: "Node \(name) status is now: NodeNotReady")
                try await markPodsNotReady(on: name, now: stamp)
            }
            if taints {
                _ = try await store.update(.node, namespace: nil, name: name, subresource: .main) {
                    $0 = NodeLifecycleDecision.addingUnreachableTaints(to: $0, now: stamp)
                }
                logger.info("node-lifecycle: tainted \(name) \(NodeLifecycleDecision.unreachableTaintKey)")
            }
        case .markReachable(let status, let taints):
            if taints {
                _ = try await store.update(.node, namespace: nil, name: name, subresource: .main) {
                    $0 = NodeLifecycleDecision.removingUnreachableTaints(from: $0)
                }
            }
            if status {
                let updated = try await store.update(.node, namespace: nil, name: name, subresource: .status) {
                    $0.status = NodeLifecycleDecision.reachableStatus($0.status, now: stamp)
                }
                await events.normal(updated, reason: "NodeReady", message: "Node \(name) status is now: NodeReady")
            } else if taints {
                await events.normal(node, reason: "NodeReady", message: "Node \(name) status is now: NodeReady")
            }
        case .none:
            break
        }

        if fresh {
            tracker.withLock { $0.markReachable(name) }
            // Look again when the node would go stale if it stays silent.
            guard let staleAt else { return .done }
            return .requeueAfter(max(staleAt - now, .milliseconds(1)))
        }
        tracker.withLock { $0.markUnreachable(name, at: now) }
        guard options.evictPods, let since = tracker.withLock({ $0.unreachableSince(name) }) else { return .done }
        if let next = try await evictPods(from: name, unreachableSince: since, now: now) {
            return .requeueAfter(max(next - now, .milliseconds(1)))
        }
        return .done
    }

    /// Marks every pod on an unreachable node not ready (`Ready=False`), as Kubernetes does: no
    /// one can vouch for them any more, so they stop receiving traffic long before eviction.
    private func markPodsNotReady(on node: String, now: String) async throws {
        guard options.evictPods else { return }
        for object in pods.list(index: NodeAgents.nodeNameIndex, value: node) {
            do {
                _ = try await store.update(.pod, namespace: object.namespace, name: object.name, subresource: .status) {
                    pod in
                    guard pod.uid == object.uid, var conditions = pod.status?["conditions"]?.arrayValue else { return }
                    for index in conditions.indices where conditions[index]["type"]?.stringValue == "Ready" {
                        guard conditions[index]["status"]?.stringValue != "False" else { continue }
                        var condition = conditions[index].objectValue ?? [:]
                        condition["status"] = "False"
                        condition["reason"] = "NodeNotReady"
                        condition["message"] = .string("Node \(node) is not reachable")
                        condition["lastTransitionTime"] = .string(now)
                        conditions[index] = .object(condition)
                    }
                    pod.json["status"]?["conditions"] = .array(conditions)
                }
            } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                continue
            }
        }
        logger.info("node-lifecycle: marked the pods on \(node) not ready")
    }

    /// Kubernetes' pod garbage collection: pods bound to a Node that no longer exists have no
    /// agent left to stop them or to finish their deletion, so they are deleted at once (grace
    /// period 0) and their controllers replace them.
    private func collectPods(ofDeletedNode node: String) async throws {
        guard options.evictPods else { return }
        for object in pods.list(index: NodeAgents.nodeNameIndex, value: node) {
            do {
                _ = try await store.delete(
                    .pod, namespace: object.namespace, name: object.name, preconditions: .init(uid: object.uid),
                    gracePeriodSeconds: 0)
                logger.info("node-lifecycle: deleted pod \(object.key): its node \(node) no longer exists")
                await events.normal(object, reason: "PodGCOrphaned", message: "Deleting pod of deleted node \(node)")
            } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                continue
            }
        }
    }

    /// Deletes the pods on `node` whose time on an unreachable node is up; returns when the next
    /// one is due (nil: none is).
    private func evictPods(from node: String, unreachableSince since: Duration, now: Duration) async throws -> Duration? {
        let taint = Taint(key: NodeLifecycleDecision.unreachableTaintKey, effect: "NoExecute")
        var next: Duration?
        for object in pods.list(index: NodeAgents.nodeNameIndex, value: node) where object.deletionTimestamp == nil {
            guard let pod = try? Pod(object),
                let allowed = TaintEviction.allowedDuration(for: pod, taint: taint, default: options.podEvictionTimeout)
            else { continue }
            let due = since + allowed
            guard due <= now else {
                next = min(next ?? due, due)
                continue
            }
            do {
                _ = try await store.delete(
                    .pod, namespace: object.namespace, name: object.name, preconditions: .init(uid: object.uid))
                await events.normal(object, reason: "TaintManagerEviction", message: "Marking for deletion Pod \(object.key)")
            } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                continue  // gone or replaced meanwhile
            }
        }
        return next
    }
}

struct NodeLifecycleReconciler: Reconciler {
    let controller: NodeLifecycleController

    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        try await controller.reconcile(key.name)
    }
}
