import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import KctlSupervisor
import Logging

/// The processes of one pod on one node, kept alive the way a kubelet keeps its containers:
/// one loop per container that resolves its configuration, spawns it, probes it, notices its
/// exit at once and restarts it under the restart policy with crash-loop back-off.
///
/// The worker never writes to the store: after each change it asks the agent to sync the pod
/// (`PodRunnerContext.requeue`), and the agent writes what `status(previous:)` returns. So the
/// status is always computed from the worker's whole current state, never from the event that
/// changed it.
actor PodWorker {
    let namespace: String
    let name: String
    let uid: String
    private let pod: Pod
    private let runtime: PodRuntime
    private let context: PodRunnerContext
    private let logger: Logger
    private let policy: BackOffPolicy
    /// The pod's address (from `PodIPAllocator`), nil only when the range is exhausted.
    let podIP: String?
    private let startTime: String
    /// How long the pod may take to stop when deleted.
    nonisolated let gracePeriod: Duration
    private var slots: [Slot]
    private var loops: [Task<Void, Never>] = []
    private var terminating = false
    private var stopped = false

    /// One container's state.
    struct Slot {
        let container: Container
        var snapshot: ContainerSnapshot
        var process: SupervisedProcess?
        var backOff: CrashLoopBackOff
        var runningSince: ContinuousClock.Instant?
        var startedAt: String?
        /// Why the runtime is stopping the running instance (a failed liveness probe), for its
        /// terminated state and the restart decision.
        var killedBecause: String?
        /// Instances started so far: the next one's log file number.
        var instances: Int = 0
        /// Failed attempts to resolve the configuration (missing Secret, ...), for the retry delay.
        var configAttempts: Int = 0
    }

    init(pod: Pod, runtime: PodRuntime, context: PodRunnerContext, logger: Logger) {
        self.pod = pod
        self.namespace = pod.metadata.namespace ?? "default"
        self.name = pod.metadata.name ?? ""
        self.uid = pod.metadata.uid ?? ""
        self.runtime = runtime
        self.context = context
        self.logger = logger
        var warning: String?
        (self.policy, warning) = runtime.backOffPolicy(for: pod)
        self.podIP = runtime.addresses.allocate(for: uid, preferring: pod.status?.podIP)
        self.startTime = pod.status?.startTime ?? Stamp.time(context.now())
        self.gracePeriod = PodAcceptance.gracePeriod(of: pod)
        // Restarts survive a daemon restart in the count, as they do across kubelet restarts.
        let previousRestarts = Dictionary(
            (pod.status?.containerStatuses ?? []).map { ($0.name, $0.restartCount) }, uniquingKeysWith: { a, _ in a })
        let policy = self.policy
        // Numbering continues after a daemon restart: a new instance never overwrites an old log.
        let directories = runtime.directories
        let (namespace, name, uid) = (self.namespace, self.name, self.uid)
        self.slots = (pod.spec?.containers ?? []).map { container in
            var slot = Slot(
                container: container, snapshot: .creating(container.name), backOff: CrashLoopBackOff(policy: policy))
            let previous = directories.instances(namespace: namespace, name: name, uid: uid, container: container.name)
            slot.instances = (previous.last ?? -1) + 1
            slot.snapshot.restartCount = previousRestarts[container.name] ?? 0
            return slot
        }
        if let warning {
            let object = Self.eventObject(pod)
            let events = context.events
            Task { await events?.warning(object, reason: "InvalidBackOff", message: warning) }
        }
    }

    // MARK: Lifecycle

    /// Starts one loop per container (once).
    func start() {
        guard loops.isEmpty, !terminating else { return }
        if podIP == nil {
            logger.error("pod \(namespace)/\(name): no free pod IP in \(runtime.addresses.range)")
        }
        for index in slots.indices {
            loops.append(Task { await self.runContainer(index) })
        }
        if PodRuntime.hasObjectVolumes(pod) {
            loops.append(Task { await self.refreshVolumes() })
        }
        logger.info("pod \(namespace)/\(name): starting \(slots.count) container(s) on \(context.nodeName) at \(podIP ?? "-")")
    }

    /// Stops every container: preStop hooks, SIGTERM, up to `gracePeriod`, SIGKILL; returns
    /// once every process group is gone. With `graceful` false (a simulated node crash) every
    /// group is killed at once and no hook runs.
    func terminate(gracePeriod: Duration, graceful: Bool = true) async {
        if !terminating {
            terminating = true
            requeue()  // not ready any more: traffic stops before the processes do
            logger.info("pod \(namespace)/\(name): stopping (grace period \(graceful ? "\(gracePeriod)" : "none"))")
        }
        let deadline = ContinuousClock.now + (graceful ? gracePeriod : .zero)
        await withTaskGroup(of: Void.self) { group in
            for index in slots.indices {
                guard let process = slots[index].process, process.exitStatus == nil else { continue }
                let container = slots[index].container
                group.addTask {
                    if graceful {
                        await self.event(.normal, "Killing", "Stopping container \(container.name)")
                        await self.runPreStop(container, process: process, deadline: deadline)
                    }
                    let remaining = max(.zero, deadline - ContinuousClock.now)
                    _ = await process.stop(gracePeriod: remaining)
                }
            }
        }
        for loop in loops { loop.cancel() }
        for loop in loops { await loop.value }
        if !stopped {
            stopped = true
            runtime.addresses.release(uid: uid)
        }
    }

    /// The process groups running now, for resource sampling.
    func processGroups() -> [(container: String, pgid: Int32)] {
        slots.compactMap { slot in
            guard let process = slot.process, process.exitStatus == nil else { return nil }
            return (slot.container.name, process.pid)
        }
    }

    /// The current log file of a container and whether its instance still runs; the previous
    /// instance's when `previous`.
    func logFile(container: String, previous: Bool) -> (path: String, running: Bool)? {
        guard let slot = slots.first(where: { $0.container.name == container }) else { return nil }
        let current = slot.instances - 1
        let instance = previous ? current - 1 : current
        guard instance >= 0 else { return nil }
        let running = !previous && slot.process != nil && slot.process?.exitStatus == nil
        return (runtime.directories.log(namespace: namespace, name: name, uid: uid, container: container, instance: instance), running)
    }

    // MARK: Status

    /// The pod status for the current state, or nil when `previous` already says it.
    func status(previous: PodStatus?) -> PodStatus? {
        let status = PodStatusBuilder.status(
            previous: previous, containers: slots.map(\.snapshot), podIP: podIP, hostIP: context.hostIP,
            startTime: startTime, terminating: terminating, now: Stamp.time(context.now()))
        return status == previous ? nil : status
    }

    // MARK: The container loop

    private func runContainer(_ index: Int) async {
        let container = slots[index].container
        while !Task.isCancelled, !terminating {
            // 1. Configuration: env from Secrets, ConfigMaps, Services; the command line.
            let resolved: ResolvedContainer
            do {
                resolved = try await runtime.resolve(container, in: pod, podIP: podIP ?? "", hostIP: context.hostIP)
            } catch let error as ContainerConfigError {
                setWaiting(index, reason: "CreateContainerConfigError", message: error.message)
                await event(.warning, "Failed", "Error: \(error.message)")
                // Level-triggered retry: the missing Secret or key may appear any time.
                if await pause(for: configRetryDelay(index)) { continue } else { return }
            } catch {
                setWaiting(index, reason: "CreateContainerConfigError", message: "\(error)")
                if await pause(for: .seconds(5)) { continue } else { return }
            }
            // 2. Volumes: the pod's volumes exist with their content, this container's mounts are
            // linked under the pod's root. Retried like a missing Secret: the object may appear.
            do {
                try await prepareVolumes(for: container, environment: resolved.environment)
            } catch let error as VolumeSetupError {
                setWaiting(index, reason: "CreateContainerConfigError", message: error.message)
                await event(.warning, "FailedMount", error.message)
                if await pause(for: configRetryDelay(index)) { continue } else { return }
            } catch {
                setWaiting(index, reason: "CreateContainerConfigError", message: "reading the pod's volumes: \(error)")
                if await pause(for: .seconds(5)) { continue } else { return }
            }
            if !resolved.unresolvedReferences.isEmpty, slots[index].instances == 0 {
                let names = resolved.unresolvedReferences.map { "$(\($0))" }.joined(separator: ", ")
                await event(.warning, "UnresolvedVariables", "Container \(container.name): \(names) name no variable and stay as written")
            }

            // 3. Spawn.
            let instance = slots[index].instances
            slots[index].instances += 1
            let started: SupervisedProcess
            do {
                started = try await runtime.spawn(
                    container, resolved: resolved, namespace: namespace, name: name, uid: uid, instance: instance)
            } catch {
                let message = (error as? SpawnError)?.description ?? "\(error)"
                let now = Stamp.time(context.now())
                slots[index].snapshot.lastState = ContainerState(
                    terminated: ContainerStateTerminated(
                        exitCode: 128, reason: "StartError", message: message, startedAt: now, finishedAt: now))
                setWaiting(index, reason: "RunContainerError", message: message)
                await event(.warning, "Failed", "Error: failed to start container \"\(container.name)\": \(message)")
                logger.warning("pod \(namespace)/\(name): container \(container.name) failed to start: \(message)")
                guard shouldRestart(exitCode: 128) else { finish(index); return }
                if await backOff(index, ranFor: .zero) { continue } else { return }
            }
            if terminating {
                _ = await started.stop(gracePeriod: .zero)
                runtime.instanceEnded(namespace: namespace, name: name, uid: uid, container: container.name, instance: instance)
                return
            }
            markRunning(index, started)
            await event(.normal, "Started", "Started container \(container.name)")

            // 4. Probes run while the process does; its exit is noticed at once.
            let probes = Task { await self.probe(index, process: started, resolved: resolved) }
            let exit = await started.waitForExit()
            runtime.instanceEnded(namespace: namespace, name: name, uid: uid, container: container.name, instance: instance)
            probes.cancel()
            await probes.value
            runtime.directories.removeRecord(namespace: namespace, name: name, uid: uid, container: container.name)
            let ranFor = slots[index].runningSince.map { ContinuousClock.now - $0 } ?? .zero
            markExited(index, exit)
            if terminating { return }
            logger.info(
                "pod \(namespace)/\(name): container \(container.name) exited with code \(exit.exitCode) after \(GoDuration.format(.milliseconds(Int64((ranFor.seconds * 1000).rounded()))))")

            // 5. Restart under the policy, with back-off.
            guard shouldRestart(exitCode: exit.exitCode) || slots[index].killedBecause != nil, policyAllowsAnyRestart
            else {
                finish(index)
                return
            }
            slots[index].killedBecause = nil
            if await backOff(index, ranFor: ranFor) { continue } else { return }
        }
    }

    // MARK: Volumes

    /// Sets up the pod's volumes and links `container`'s mounts. The store is read first; the
    /// files are written with no suspension point, so two containers' loops and the refresh never
    /// write one volume at the same time.
    private func prepareVolumes(for container: Container, environment: [String: String]) async throws {
        guard !(pod.spec?.volumes ?? []).isEmpty || !(container.volumeMounts ?? []).isEmpty else { return }
        let sources = try await runtime.volumeSources(for: pod)
        try runtime.volumes.prepare(container, in: pod, sources: sources, environment: environment)
    }

    /// Rewrites configMap and secret volumes whose objects changed, every
    /// `RuntimeOptions.volumeRefreshInterval`, as the kubelet does on its sync.
    private func refreshVolumes() async {
        let interval = runtime.options.volumeRefreshInterval
        while !Task.isCancelled, !terminating {
            do { try await Task.sleep(for: interval) } catch { return }
            guard !terminating, let sources = try? await runtime.volumeSources(for: pod) else { continue }
            for volume in runtime.volumes.refresh(pod, sources: sources) {
                logger.info("pod \(namespace)/\(name): volume \(volume) updated from its object")
            }
        }
    }

    private var restartPolicy: String { pod.spec?.restartPolicy ?? "Always" }
    private var policyAllowsAnyRestart: Bool { restartPolicy != "Never" }

    private func shouldRestart(exitCode: Int32) -> Bool {
        switch restartPolicy {
        case "Never": return false
        case "OnFailure": return exitCode != 0
        default: return true
        }
    }

    /// Waits out the back-off before the next start (showing `CrashLoopBackOff` while it does);
    /// false when the pod is stopping instead.
    private func backOff(_ index: Int, ranFor: Duration) async -> Bool {
        let delay = slots[index].backOff.delayAfterExit(ranFor: ranFor)
        slots[index].snapshot.restartCount += 1
        let container = slots[index].container.name
        if delay > .zero {
            let due = context.now().addingTimeInterval(delay.seconds)
            setWaiting(
                index, reason: "CrashLoopBackOff",
                message: "back-off \(GoDuration.format(delay)) restarting failed container=\(container) pod=\(name)_\(namespace)(\(uid)); next restart at \(Stamp.time(due))")
            await event(.warning, "BackOff", "Back-off restarting failed container \(container) in pod \(name)_\(namespace)(\(uid))")
        } else {
            requeue()
        }
        return await pause(for: delay)
    }

    /// Sleeps unless the pod stops meanwhile; true when the loop should go on.
    private func pause(for delay: Duration) async -> Bool {
        if delay > .zero {
            do { try await Task.sleep(for: delay) } catch { return false }
        }
        return !Task.isCancelled && !terminating
    }

    /// 1 s, 2 s, 4 s ... 30 s between attempts to resolve a configuration: cheap store reads,
    /// and a fix (the missing Secret created) shows up soon.
    private func configRetryDelay(_ index: Int) -> Duration {
        let attempts = min(slots[index].configAttempts, 5)
        slots[index].configAttempts += 1
        return .seconds(min(30, 1 << attempts))
    }

    // MARK: State changes (each asks the agent to write the status)

    private func setWaiting(_ index: Int, reason: String, message: String?) {
        slots[index].snapshot.state = ContainerState(waiting: ContainerStateWaiting(reason: reason, message: message))
        slots[index].snapshot.ready = false
        requeue()
    }

    private func markRunning(_ index: Int, _ process: SupervisedProcess) {
        let now = Stamp.time(context.now())
        slots[index].process = process
        slots[index].runningSince = .now
        slots[index].startedAt = now
        slots[index].snapshot.state = ContainerState(running: ContainerStateRunning(startedAt: now))
        slots[index].snapshot.hasRun = true
        let container = slots[index].container
        // Without a startup probe a container counts as started at once; without a readiness
        // probe it is ready as soon as it has started.
        slots[index].snapshot.started = container.startupProbe == nil
        slots[index].snapshot.ready = container.startupProbe == nil && container.readinessProbe == nil
        runtime.directories.writeRecord(
            namespace: namespace, name: name, uid: uid, container: container.name, pid: process.pid,
            startTime: process.startTime)
        requeue()
    }

    private func markExited(_ index: Int, _ exit: ExitStatus) {
        let killedBecause = slots[index].killedBecause
        let reason = exit.exitCode == 0 ? "Completed" : "Error"
        slots[index].snapshot.state = ContainerState(
            terminated: ContainerStateTerminated(
                exitCode: exit.exitCode, signal: Self.signal(of: exit), reason: reason, message: killedBecause,
                startedAt: slots[index].startedAt, finishedAt: Stamp.time(context.now())))
        slots[index].snapshot.lastState = slots[index].snapshot.state
        slots[index].snapshot.ready = false
        slots[index].snapshot.started = false
        slots[index].process = nil
        slots[index].runningSince = nil
        requeue()
    }

    /// The container will not run again (restartPolicy): its last terminated state stays.
    private func finish(_ index: Int) {
        slots[index].snapshot.finished = true
        if slots[index].snapshot.state.terminated == nil, let last = slots[index].snapshot.lastState {
            slots[index].snapshot.state = last
        }
        requeue()
    }

    private func setStarted(_ index: Int, process: SupervisedProcess) {
        guard slots[index].process === process else { return }
        slots[index].snapshot.started = true
        if slots[index].container.readinessProbe == nil { slots[index].snapshot.ready = true }
        requeue()
    }

    private func setReady(_ index: Int, _ ready: Bool, process: SupervisedProcess) {
        guard slots[index].process === process, slots[index].snapshot.ready != ready else { return }
        slots[index].snapshot.ready = ready
        logger.info("pod \(namespace)/\(name): container \(slots[index].container.name) \(ready ? "ready" : "not ready")")
        requeue()
    }

    private func requeue() {
        context.requeue(ObjectKey(namespace: namespace, name: name))
    }

    // MARK: Probes

    /// Runs the startup probe until it succeeds, then liveness and readiness side by side,
    /// until cancelled (the process exited) or a failed probe stops the container.
    private func probe(_ index: Int, process: SupervisedProcess, resolved: ResolvedContainer) async {
        let container = slots[index].container
        let target = ProbeTarget(
            podIP: podIP ?? "127.0.0.1", ports: container.ports ?? [], environment: resolved.environment,
            workingDirectory: runtime.directories.work(namespace: namespace, name: name, uid: uid))
        let started = ContinuousClock.now
        if let startup = container.startupProbe {
            let outcome = await runProbe(.startup, startup, target: target, started: started, process: process)
            guard outcome else {
                await kill(index, process: process, because: "startup", probe: startup)
                return
            }
            setStarted(index, process: process)
        }
        await withTaskGroup(of: Void.self) { group in
            if let readiness = container.readinessProbe {
                group.addTask {
                    _ = await self.runProbe(.readiness, readiness, target: target, started: started, process: process) {
                        ready in await self.setReady(index, ready, process: process)
                    }
                }
            }
            if let liveness = container.livenessProbe {
                group.addTask {
                    let alive = await self.runProbe(.liveness, liveness, target: target, started: started, process: process)
                    if !alive { await self.kill(index, process: process, because: "liveness", probe: liveness) }
                }
            }
        }
    }

    /// Probes on the probe's schedule. Startup: returns true on the first success, false once
    /// it failed `failureThreshold` times. Liveness: returns false once failed. Readiness:
    /// reports each change through `changed` and returns only when cancelled.
    private nonisolated func runProbe(
        _ kind: ProbeKind, _ probe: Probe, target: ProbeTarget, started: ContinuousClock.Instant,
        process: SupervisedProcess, changed: (@Sendable (Bool) async -> Void)? = nil
    ) async -> Bool {
        var tracker = ProbeTracker(kind: kind, probe: probe, containerStarted: started)
        do { try await Task.sleep(until: tracker.firstDue, clock: .continuous) } catch { return true }
        let label = kind.rawValue.prefix(1).uppercased() + kind.rawValue.dropFirst()
        while !Task.isCancelled, process.exitStatus == nil {
            let begun = ContinuousClock.now
            let outcome = await runtime.probes.run(probe, target: target, timeout: tracker.timeout)
            if Task.isCancelled { return true }
            let didChange = tracker.record(outcome)
            if case .failure(let message) = outcome {
                await event(.warning, "Unhealthy", "\(label) probe failed: \(message)")
            }
            switch kind {
            case .startup:
                if tracker.result { return true }
                if tracker.requiresRestart { return false }
            case .liveness:
                if tracker.requiresRestart { return false }
            case .readiness:
                if didChange { await changed?(tracker.result) }
            }
            do { try await Task.sleep(until: begun + tracker.period, clock: .continuous) } catch { return true }
        }
        return true
    }

    /// Stops a running instance that failed its liveness or startup probe; its loop restarts it.
    private func kill(_ index: Int, process: SupervisedProcess, because kind: String, probe: Probe) async {
        guard slots[index].process === process, !terminating else { return }
        let container = slots[index].container.name
        slots[index].killedBecause = "Container \(container) failed \(kind) probe"
        await event(.normal, "Killing", "Container \(container) failed \(kind) probe, will be restarted")
        logger.info("pod \(namespace)/\(name): container \(container) failed its \(kind) probe: restarting it")
        let grace = probe.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30
        _ = await process.stop(gracePeriod: .seconds(max(grace, 0)))
    }

    // MARK: Hooks

    /// Runs the container's `lifecycle.preStop` hook (exec or httpGet) within the grace period.
    private nonisolated func runPreStop(_ container: Container, process: SupervisedProcess, deadline: ContinuousClock.Instant) async {
        guard let preStop = container.lifecycle?["preStop"] else { return }
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return }
        var probe = Probe()
        if let command = preStop["exec"]?["command"]?.arrayValue?.compactMap(\.stringValue) {
            probe.exec = ExecAction(command: command)
        } else if let get = preStop["httpGet"], let decoded = try? get.decode(HTTPGetAction.self) {
            probe.httpGet = decoded
        } else if let seconds = preStop["sleep"]?["seconds"]?.intValue {
            try? await Task.sleep(for: min(.seconds(seconds), remaining))
            return
        } else {
            return
        }
        let target = ProbeTarget(
            podIP: podIP ?? "127.0.0.1", ports: container.ports ?? [], environment: [:],
            workingDirectory: runtime.directories.work(namespace: namespace, name: name, uid: uid))
        if case .failure(let message) = await runtime.probes.run(probe, target: target, timeout: remaining) {
            await event(.warning, "FailedPreStopHook", "PreStopHook failed: \(message)")
        }
    }

    // MARK: Events

    private func event(_ type: EventType, _ reason: String, _ message: String) async {
        await context.events?.record(Self.eventObject(pod), type: type, reason: reason, message: message)
    }

    static func eventObject(_ pod: Pod) -> KubeObject {
        var object = KubeObject(["apiVersion": "v1", "kind": "Pod"])
        object.name = pod.metadata.name ?? ""
        object.namespace = pod.metadata.namespace ?? "default"
        object.uid = pod.metadata.uid
        return object
    }

    static func signal(of exit: ExitStatus) -> Int32? {
        if case .signaled(let signal) = exit { return signal }
        return nil
    }

}

