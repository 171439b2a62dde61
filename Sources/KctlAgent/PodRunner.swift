import Foundation
import KctlControllerRuntime
import KctlModel

/// What a node agent knows about itself when it hands a pod to its runner.
public struct PodRunnerContext: Sendable {
    /// The Node's name (`spec.nodeName` of every pod the runner sees).
    public var nodeName: String
    /// The Node's InternalIP: the pods' `status.hostIP`.
    public var hostIP: String
    /// The wall-clock time, for timestamps (the test clock's time in tests).
    public var now: @Sendable () -> Date
    /// Asks the agent to sync a pod again soon: for runners whose state changes on its own (a
    /// process exited, a probe failed), so that the new status gets written.
    public var requeue: @Sendable (ObjectKey) -> Void
    /// Where the runner records what it does to a pod (`Started`, `BackOff`, `Unhealthy`, ...).
    public var events: EventRecorder?

    public init(
        nodeName: String, hostIP: String, now: @escaping @Sendable () -> Date,
        requeue: @escaping @Sendable (ObjectKey) -> Void, events: EventRecorder? = nil
    ) {
        self.nodeName = nodeName
        self.hostIP = hostIP
        self.now = now
        self.requeue = requeue
        self.events = events
    }
}

/// The seam between a node agent and what actually runs a pod. The agent watches the pods bound
/// to its node and calls the runner level-triggered (any change, a requeue or a resync leads to
/// `sync` with the pod's current state); the runner keeps its own state per pod uid and never
/// writes to the store itself: it returns the status and the agent writes it.
///
/// `ProcessPodRunner` runs pods as real processes; `AcceptingPodRunner` only accepts them (for
/// benchmarks of the control plane alone and for tests).
public protocol PodRunner: Sendable {
    /// Brings what runs for `pod` (bound to this node, not being deleted) in line with its spec,
    /// and returns the status to write, or nil when the stored status is already right.
    func sync(_ pod: Pod, context: PodRunnerContext) async throws -> PodStatus?

    /// `sync` for the pod as stored. The agent calls this one, on every change of every pod of
    /// its node; the default decodes the whole pod and calls `sync`. A runner that reads only
    /// part of a pod implements it to skip decoding the rest.
    func sync(object: KubeObject, context: PodRunnerContext) async throws -> PodStatus?

    /// Stops everything `pod` runs (it is being deleted), taking at most `gracePeriod` before
    /// killing, and returns once nothing of it is left. The agent deletes the pod object afterwards.
    func terminate(_ pod: Pod, gracePeriod: Duration, context: PodRunnerContext) async throws

    /// The pod left the store or this node without going through `terminate` (a forced delete,
    /// an eviction while the agent was stopped): drop whatever is left of it.
    func forget(_ key: ObjectKey, uid: String?, context: PodRunnerContext) async

    /// The agent stops: stop everything. `graceful` when kctld shuts down or the Node was
    /// deleted (each pod stops as on deletion); not when a node failure is simulated
    /// (`kctl node stop`), where every process dies at once, as on a crashed machine.
    func stopAll(context: PodRunnerContext, graceful: Bool) async
}

extension PodRunner {
    public func sync(object: KubeObject, context: PodRunnerContext) async throws -> PodStatus? {
        try await sync(Pod(object), context: context)
    }
}

/// A runner with nothing to run: it accepts each pod bound to its node (host IP, start time,
/// `PodScheduled=True`) and leaves the phase `Pending`. Deletion needs no waiting.
public struct AcceptingPodRunner: PodRunner {
    public init() {}

    public func sync(_ pod: Pod, context: PodRunnerContext) async throws -> PodStatus? {
        PodAcceptance.acceptedStatus(pod.status, hostIP: context.hostIP, now: Stamp.time(context.now()))
    }

    /// Reads only the status: accepting a pod needs nothing else of it.
    public func sync(object: KubeObject, context: PodRunnerContext) async throws -> PodStatus? {
        let status: PodStatus?
        do {
            status = try object.status.map { try $0.decode(PodStatus.self) }
        } catch {
            status = try Pod(object).status  // throws the error naming the field, as a whole pod's decoding does
        }
        return PodAcceptance.acceptedStatus(status, hostIP: context.hostIP, now: Stamp.time(context.now()))
    }

    public func terminate(_ pod: Pod, gracePeriod: Duration, context: PodRunnerContext) async throws {}
    public func forget(_ key: ObjectKey, uid: String?, context: PodRunnerContext) async {}
    public func stopAll(context: PodRunnerContext, graceful: Bool) async {}
}

/// How a node marks a pod as accepted: pure.
public enum PodAcceptance {
    /// `status` with `hostIP`/`hostIPs`, `startTime`, `phase` (Pending when unset) and
    /// `PodScheduled=True` filled in where missing; nil when nothing is missing. Existing values
    /// stay: a pod's start time never moves.
    public static func acceptedStatus(_ status: PodStatus?, hostIP: String, now: String) -> PodStatus? {
        var status = status ?? PodStatus()
        var changed = false
        if status.hostIP != hostIP {
            status.hostIP = hostIP
            status.hostIPs = [HostIP(ip: hostIP)]
            changed = true
        }
        if status.startTime == nil {
            status.startTime = now
            changed = true
        }
        if status.phase == nil {
            status.phase = "Pending"
            changed = true
        }
        var conditions = status.conditions ?? []
        if let index = conditions.firstIndex(where: { $0.type == "PodScheduled" }) {
            if conditions[index].status != "True" {
                conditions[index].status = "True"
                conditions[index].reason = nil
                conditions[index].message = nil
                conditions[index].lastTransitionTime = now
                changed = true
            }
        } else {
            conditions.append(PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: now))
            changed = true
        }
        status.conditions = conditions
        return changed ? status : nil
    }

    /// How long a pod being deleted may take to stop: `metadata.deletionGracePeriodSeconds`, else
    /// `spec.terminationGracePeriodSeconds`, else Kubernetes' 30 s.
    public static func gracePeriod(of pod: Pod) -> Duration {
        let seconds = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
        return .seconds(max(seconds, 0))
    }
}
