import Foundation
import Glibc
import KctlAPIServer
import KctlAgent
import KctlModel
import KctlStore
import ServiceLifecycle

/// The node agents' answers to the API: pod logs from the runtime's log files.
struct RuntimeLogSource: PodLogSource {
    let runtime: PodRuntime

    func logs(_ request: PodLogRequest) async throws -> AsyncStream<[UInt8]>? {
        await runtime.logs(
            namespace: request.namespace, pod: request.pod, uid: request.uid, container: request.container,
            previous: request.previous, tailLines: request.tailLines, limitBytes: request.limitBytes,
            follow: request.follow)
    }
}

/// `kubectl exec`: the command runs through the runtime, beside the container.
struct RuntimeExecutor: PodExecutor {
    let runtime: PodRuntime

    func exec(_ request: PodExecRequest) async throws -> ExecSession {
        let process = try await runtime.exec(
            namespace: request.namespace, pod: request.pod, container: request.container, command: request.command,
            terminal: request.tty)
        guard let pipes = process.pipes else { throw StatusError.internalError("exec: the command has no pipes") }
        return ExecSession(
            stdout: pipes.stdout(), stderr: pipes.stderr(), write: { pipes.write($0) },
            closeStdin: { pipes.closeStdin() }, exitCode: { await process.waitForExit().exitCode },
            terminate: { process.signal(SIGKILL) }, resize: { pipes.resize(columns: $0, rows: $1) })
    }
}

/// CPU and memory from the runtime's /proc samples, per pod and summed per node (the nodes are
/// simulated on one host, so a node's usage is what its pods use).
struct RuntimeMetricsSource: ResourceMetricsSource {
    let runtime: PodRuntime

    func pods() async -> [PodUsage] {
        runtime.usage.pods.map { pod in
            PodUsage(
                namespace: pod.namespace, name: pod.name, timestamp: pod.timestamp, window: pod.window,
                containers: pod.containers.map {
                    ContainerUsage(name: $0.name, cpuCores: $0.cpuCores, memoryBytes: $0.memoryBytes)
                })
        }
    }

    func nodes() async -> [NodeUsage] {
        var byNode: [String: NodeUsage] = [:]
        for pod in runtime.usage.pods {
            var node = byNode[pod.node] ?? NodeUsage(
                name: pod.node, timestamp: pod.timestamp, window: pod.window, cpuCores: 0, memoryBytes: 0)
            node.cpuCores += pod.containers.reduce(0) { $0 + $1.cpuCores }
            node.memoryBytes += pod.containers.reduce(0) { $0 + $1.memoryBytes }
            node.timestamp = max(node.timestamp, pod.timestamp)
            byNode[pod.node] = node
        }
        return byNode.values.sorted { $0.name < $1.name }
    }
}

/// `kctl node stop|start`: a simulated node failure through the agents.
struct AgentNodeAdministration: NodeAdministration {
    let agents: NodeAgents
    let store: any Store

    func stop(node: String) async throws {
        _ = try await store.get(.node, namespace: nil, name: node)  // 404 for a missing Node
        agents.stop(node: node)
    }

    func start(node: String) async throws {
        _ = try await store.get(.node, namespace: nil, name: node)
        agents.start(node: node)
    }
}

/// Runs the runtime's sampling and log rotation, and, after the node agents have stopped
/// their pods (services stop in reverse order), stops whatever is left and the supervisor.
struct PodRuntimeService: ServiceLifecycle.Service {
    let runtime: PodRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown { await runtime.runHousekeeping() }
        await runtime.shutdown()
    }
}
