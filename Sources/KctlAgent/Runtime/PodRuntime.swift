import Foundation
import KctlModel
import KctlStore
import KctlSupervisor
import Logging

/// What the process runners of every node share in one kctld: the process supervisor (one
/// thread that spawns and reaps), the probe runner, the pod address range, the pod directories,
/// and the resource samples. Each Node's agent gets its own `ProcessPodRunner` from `runner(node:)`.
///
///     let runtime = PodRuntime(store: store, options: RuntimeOptions(podsDirectory: dir), logger: logger)
///     let agents = NodeAgents(store: store, logger: logger, options: AgentOptions(), runner: runtime.runner(node:))
///     // ... on shutdown, after the agents stopped:
///     await runtime.shutdown()
public final class PodRuntime: Sendable {
    public let options: RuntimeOptions
    public let addresses: PodIPAllocator
    public let directories: PodDirectories
    public let usage: ResourceUsageBook
    let store: any Store
    let supervisor: ProcessSupervisor
    let probes: ProbeRunner
    let logger: Logger
    /// Every pod worker of every node, by pod uid.
    let workers = Locked([String: WorkerEntry]())
    /// Log files of container instances that still run (`kctl logs -f` ends when its instance does).
    let liveLogs = Locked(Set<String>())

    struct WorkerEntry {
        var node: String
        var worker: PodWorker
    }

    public init(store: any Store, options: RuntimeOptions, logger: Logger) {
        self.store = store
        self.options = options
        self.logger = logger
        self.addresses = PodIPAllocator()
        self.directories = PodDirectories(root: options.podsDirectory)
        self.usage = ResourceUsageBook()
        self.supervisor = ProcessSupervisor(logger: logger, becomeSubreaper: options.becomeSubreaper)
        self.probes = ProbeRunner(supervisor: supervisor)
        try? FileManager.default.createDirectory(atPath: options.podsDirectory, withIntermediateDirectories: true)
        let leftovers = directories.stopLeftovers()
        if !leftovers.isEmpty {
            logger.warning("pod runtime: killed \(leftovers.count) process group(s) left by a previous kctld: \(leftovers)")
        }
    }

    /// The runner of one node's agent.
    @Sendable public func runner(node: String) -> any PodRunner {
        ProcessPodRunner(runtime: self, node: node)
    }

    /// Stops every process still running (the agents stop their pods first; this is the net
    /// under them) and the supervisor's thread.
    public func shutdown() async {
        await probes.shutdown()
        await supervisor.shutdown()
    }

    /// How many processes the runtime supervises now.
    public var runningProcesses: Int { supervisor.runningCount }

    // MARK: For the workers

    /// The node's back-off policy, or the pod's own from its `kctl.dev/restart-backoff`
    /// annotation, with a warning when that annotation is malformed.
    func backOffPolicy(for pod: Pod) -> (BackOffPolicy, String?) {
        BackOffPolicy(initial: options.backOffBase, max: options.backOffCap, resetAfter: options.backOffReset)
            .overridden(by: pod.metadata.annotations)
    }

    /// The container's environment and command line, reading the Secrets, ConfigMaps and
    /// Services it refers to from the store now.
    func resolve(_ container: Container, in pod: Pod, podIP: String, hostIP: String) async throws -> ResolvedContainer {
        let namespace = pod.metadata.namespace ?? "default"
        var secretNames = Set<String>()
        var configMapNames = Set<String>()
        for variable in container.env ?? [] {
            if let name = variable.valueFrom?.secretKeyRef?.name { secretNames.insert(name) }
            if let name = variable.valueFrom?.configMapKeyRef?.name { configMapNames.insert(name) }
        }
        for source in container.envFrom ?? [] {
            if let name = source.secretRef?.name { secretNames.insert(name) }
            if let name = source.configMapRef?.name { configMapNames.insert(name) }
        }
        var secrets: [String: [String: String]] = [:]
        for name in secretNames {
            guard let object = try await find(.secret, namespace: namespace, name: name) else { continue }
            secrets[name] = Self.secretData(object)
        }
        var configMaps: [String: [String: String]] = [:]
        for name in configMapNames {
            guard let object = try await find(.configMap, namespace: namespace, name: name) else { continue }
            var data: [String: String] = [:]
            for (key, value) in object.json["data"]?.objectValue ?? [:] { data[key] = value.stringValue }
            configMaps[name] = data
        }
        var services: [Service] = []
        if pod.spec?.enableServiceLinks != false {
            services = try await store.list(.service, namespace: namespace).items.compactMap { try? Service($0) }
        }
        let inputs = EnvironmentInputs(
            secret: { [secrets] in secrets[$0] }, configMap: { [configMaps] in configMaps[$0] }, services: services)
        let work = directories.work(namespace: namespace, name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "")
        let path = (options.extraPath + [ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"])
            .joined(separator: ":")
        let base = [
            "PATH": path, "HOME": work, "HOSTNAME": pod.metadata.name ?? "", "POD_NAME": pod.metadata.name ?? "",
            "POD_NAMESPACE": namespace, "POD_IP": podIP, "NODE_NAME": pod.spec?.nodeName ?? "",
            ContainerEnvironment.podRootVariable: work,
        ]
        return try ContainerEnvironment.resolve(
            container, in: pod, podIP: podIP, hostIP: hostIP, base: base, inputs: inputs)
    }

    private func find(_ type: ResourceType, namespace: String, name: String) async throws -> KubeObject? {
        do {
            return try await store.get(type, namespace: namespace, name: name)
        } catch let error as StatusError where error.reason == .notFound {
            return nil
        }
    }

    /// A Secret's `data` (base64) decoded, with `stringData` on top.
    static func secretData(_ secret: KubeObject) -> [String: String] {
        var data: [String: String] = [:]
        for (key, value) in secret.json["data"]?.objectValue ?? [:] {
            guard let encoded = value.stringValue, let bytes = Data(base64Encoded: encoded) else { continue }
            data[key] = String(decoding: bytes, as: UTF8.self)
        }
        for (key, value) in secret.json["stringData"]?.objectValue ?? [:] { data[key] = value.stringValue }
        return data
    }

    /// Starts one instance of a container, its output appended to the instance's log file.
    func spawn(
        _ container: Container, resolved: ResolvedContainer, namespace: String, name: String, uid: String,
        instance: Int
    ) async throws -> SupervisedProcess {
        try directories.prepare(namespace: namespace, name: name, uid: uid, container: container.name)
        let log = directories.log(namespace: namespace, name: name, uid: uid, container: container.name, instance: instance)
        let command = resolved.commandLine
        let spec = ProcessSpec(
            executable: command[0], arguments: Array(command.dropFirst()), environment: resolved.environment,
            workingDirectory: workingDirectory(of: container, namespace: namespace, name: name, uid: uid),
            output: .file(log))
        let process = try await supervisor.spawn(spec)
        liveLogs.withLock { _ = $0.insert(log) }
        return process
    }

    /// Where a container's processes start: its `workingDir` (a relative one under the pod's work
    /// directory), else the pod's work directory.
    func workingDirectory(of container: Container, namespace: String, name: String, uid: String) -> String {
        let work = directories.work(namespace: namespace, name: name, uid: uid)
        guard let dir = container.workingDir, !dir.isEmpty else { return work }
        return dir.hasPrefix("/") ? dir : work + "/" + dir
    }

    /// The instance's process exited (its worker saw it): `kctl logs -f` on it may end.
    func instanceEnded(namespace: String, name: String, uid: String, container: String, instance: Int) {
        let log = directories.log(namespace: namespace, name: name, uid: uid, container: container, instance: instance)
        liveLogs.withLock { _ = $0.remove(log) }
    }

    // MARK: Workers

    func worker(uid: String) -> PodWorker? {
        workers.withLock { $0[uid]?.worker }
    }

    func workers(onNode node: String) -> [(uid: String, worker: PodWorker)] {
        workers.withLock { $0.filter { $0.value.node == node }.map { ($0.key, $0.value.worker) } }
    }

    func allWorkers() -> [(node: String, worker: PodWorker)] {
        workers.withLock { $0.values.map { ($0.node, $0.worker) } }
    }
}
