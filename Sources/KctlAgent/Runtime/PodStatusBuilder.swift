import KctlModel

/// What the runtime knows of one container at a moment: the input of `PodStatusBuilder`.
public struct ContainerSnapshot: Sendable, Hashable {
    public var name: String
    public var state: ContainerState
    public var lastState: ContainerState?
    public var ready: Bool
    public var started: Bool
    public var restartCount: Int32
    /// Whether it has run at least once (a pod is Pending until every container has).
    public var hasRun: Bool
    /// Whether it exited and will not be started again (restartPolicy).
    public var finished: Bool

    public init(
        name: String, state: ContainerState, lastState: ContainerState? = nil, ready: Bool = false,
        started: Bool = false, restartCount: Int32 = 0, hasRun: Bool = false, finished: Bool = false
    ) {
        self.name = name
        self.state = state
        self.lastState = lastState
        self.ready = ready
        self.started = started
        self.restartCount = restartCount
        self.hasRun = hasRun
        self.finished = finished
    }

    /// A container not started yet.
    public static func creating(_ name: String) -> ContainerSnapshot {
        ContainerSnapshot(name: name, state: ContainerState(waiting: ContainerStateWaiting(reason: "ContainerCreating")))
    }
}

/// A pod's status as a pure function of its containers, Kubernetes' rules:
/// - phase: Succeeded when every container finished with exit code 0, Failed when every
///   container finished and one failed, Running once every container has run (a container in
///   back-off keeps the pod Running), else Pending;
/// - conditions PodReadyToStartContainers, Initialized, ContainersReady, Ready and PodScheduled,
///   each keeping its `lastTransitionTime` while its status does not change.
public enum PodStatusBuilder {
    public static func status(
        previous: PodStatus?, containers: [ContainerSnapshot], podIP: String?, hostIP: String, startTime: String,
        terminating: Bool = false, now: String
    ) -> PodStatus {
        var status = previous ?? PodStatus()
        status.hostIP = hostIP
        status.hostIPs = [HostIP(ip: hostIP)]
        if let podIP {
            status.podIP = podIP
            status.podIPs = [PodIP(ip: podIP)]
        }
        if status.startTime == nil { status.startTime = startTime }
        status.phase = phase(containers)
        status.containerStatuses = containers.map { snapshot in
            ContainerStatus(
                name: snapshot.name, state: snapshot.state, lastState: snapshot.lastState ?? ContainerState(),
                ready: snapshot.ready && !terminating, restartCount: snapshot.restartCount,
                image: nil, imageID: "", containerID: nil, started: snapshot.started)
        }
        let allReady = !containers.isEmpty && containers.allSatisfy(\.ready) && !terminating
        let notReady = containers.filter { !$0.ready }.map(\.name)
        let notReadyMessage = notReady.isEmpty ? nil : "containers with unready status: [\(notReady.joined(separator: " "))]"
        var conditions = status.conditions ?? []
        set(&conditions, "PodReadyToStartContainers", podIP != nil, now: now)
        set(&conditions, "Initialized", true, now: now)
        set(&conditions, "ContainersReady", allReady, reason: allReady ? nil : "ContainersNotReady",
            message: allReady ? nil : notReadyMessage, now: now)
        set(&conditions, "Ready", allReady, reason: allReady ? nil : "ContainersNotReady",
            message: allReady ? nil : notReadyMessage, now: now)
        set(&conditions, "PodScheduled", true, now: now)
        status.conditions = order(conditions)
        return status
    }

    public static func phase(_ containers: [ContainerSnapshot]) -> String {
        guard !containers.isEmpty else { return "Pending" }
        if containers.allSatisfy(\.finished) {
            let failed = containers.contains { ($0.state.terminated?.exitCode ?? 1) != 0 }
            return failed ? "Failed" : "Succeeded"
        }
        return containers.allSatisfy(\.hasRun) ? "Running" : "Pending"
    }

    private static func set(
        _ conditions: inout [PodCondition], _ type: String, _ value: Bool, reason: String? = nil,
        message: String? = nil, now: String
    ) {
        let status = value ? "True" : "False"
        if let index = conditions.firstIndex(where: { $0.type == type }) {
            if conditions[index].status != status { conditions[index].lastTransitionTime = now }
            conditions[index].status = status
            conditions[index].reason = reason
            conditions[index].message = message
        } else {
            conditions.append(
                PodCondition(type: type, status: status, lastTransitionTime: now, reason: reason, message: message))
        }
    }

    /// Kubernetes' order, so that `describe` reads the same each time.
    private static func order(_ conditions: [PodCondition]) -> [PodCondition] {
        let rank = ["PodReadyToStartContainers": 0, "Initialized": 1, "Ready": 2, "ContainersReady": 3, "PodScheduled": 4]
        return conditions.sorted { (rank[$0.type] ?? 9, $0.type) < (rank[$1.type] ?? 9, $1.type) }
    }
}
