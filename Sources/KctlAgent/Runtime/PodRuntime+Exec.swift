import KctlModel
import KctlSupervisor

extension PodRuntime {
    /// `kubectl exec`: starts `command` beside a running container, as a container runtime runs
    /// it in the container's namespaces. Here that means the container's environment (read from
    /// its Secrets, ConfigMaps and Services now, as at its start), its working directory, and
    /// stdio as pipes for the caller to stream. The process is supervised like the container's
    /// own (its group is killed when it ends, and with the daemon).
    ///
    /// Throws a `StatusError` worded as Kubernetes words it when the pod or container cannot take
    /// the command: no such container, a pod that is not bound here or has finished, a container
    /// that is not running; and the spawn's error when the command cannot start.
    public func exec(
        namespace: String, pod name: String, container: String, command: [String], terminal: Bool = false
    ) async throws -> SupervisedProcess {
        guard let executable = command.first, !executable.isEmpty else {
            throw StatusError.badRequest("you must specify at least one command for the container")
        }
        let object = try await store.get(.pod, namespace: namespace, name: name)
        let pod = try Pod(object)
        guard let spec = pod.spec?.containers.first(where: { $0.name == container }) else {
            throw StatusError.badRequest("container \(container) is not valid for pod \(name)")
        }
        let phase = pod.status?.phase ?? "Pending"
        if phase == "Succeeded" || phase == "Failed" {
            throw StatusError.badRequest("cannot exec into a container in a completed pod; current phase is \(phase)")
        }
        let running = pod.status?.containerStatuses?.first { $0.name == container }?.state?.running != nil
        let uid = pod.metadata.uid ?? ""
        guard running, workers.withLock({ $0[uid] != nil }) else {
            throw StatusError.badRequest("unable to upgrade connection: container not found (\"\(container)\")")
        }
        let podIP = pod.status?.podIP ?? ""
        let hostIP = pod.status?.hostIP ?? ""
        let resolved = try await resolve(spec, in: pod, podIP: podIP, hostIP: hostIP)
        var environment = resolved.environment
        // As container runtimes do for a terminal, unless the container sets its own.
        if terminal, environment["TERM"] == nil { environment["TERM"] = "xterm" }
        let process = ProcessSpec(
            executable: executable, arguments: Array(command.dropFirst()), environment: environment,
            workingDirectory: workingDirectory(of: spec, namespace: namespace, name: name, uid: uid),
            output: terminal ? .terminal : .pipes)
        logger.info("pod \(namespace)/\(name): exec in container \(container): \(command.joined(separator: " "))")
        return try await supervisor.spawn(process)
    }
}
