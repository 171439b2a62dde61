import KctlModel
import KctlSupervisor
import NIOCore
import NIOPosix

/// Runs one probe of a container once and says how it went; the `ProbeTracker` decides what the
/// outcomes add up to. One runner serves every pod of a node agent, concurrently.
public final class ProbeRunner: Sendable {
    private let supervisor: ProcessSupervisor
    private let eventLoopGroup: any EventLoopGroup

    /// - Parameters:
    ///   - supervisor: runs `exec` probes, each in its own process group, killed whole on timeout.
    ///   - eventLoopGroup: where `httpGet` and `tcpSocket` probes connect.
    public init(supervisor: ProcessSupervisor, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.supervisor = supervisor
        self.eventLoopGroup = eventLoopGroup
    }

    /// Runs `probe`'s handler against `target`, giving up after `timeout` (a timeout is a failure).
    /// Never throws: whatever goes wrong, including a probe kctl does not support, is a failure
    /// with a message for the `Unhealthy` event.
    public func run(_ probe: Probe, target: ProbeTarget, timeout: Duration) async -> ProbeOutcome {
        if let exec = probe.exec {
            return await self.exec(exec, target: target, timeout: timeout)
        }
        if let action = probe.httpGet {
            return await NetworkProbes.httpGet(action, target: target, timeout: timeout, group: eventLoopGroup)
        }
        if let action = probe.tcpSocket {
            return await NetworkProbes.tcpSocket(action, target: target, timeout: timeout, group: eventLoopGroup)
        }
        if probe.grpc != nil {
            return .failure("gRPC probes are not supported")
        }
        return .failure("the probe has no handler (exec, httpGet or tcpSocket)")
    }

    /// Nothing to release today: every probe opens and closes its own connection or process, and
    /// the event loop group and the supervisor belong to the caller. Kept so callers need not
    /// change if the runner ever holds a client.
    public func shutdown() async {}

    /// Exit code 0 is healthy. The message of a failure is the command's output (stdout and stderr,
    /// at most 10 KiB), as in Kubernetes, or how it ended when it printed nothing.
    private func exec(_ action: ExecAction, target: ProbeTarget, timeout: Duration) async -> ProbeOutcome {
        guard let command = action.command, let executable = command.first, !executable.isEmpty else {
            return .failure("exec probe has no command")
        }
        let spec = ProcessSpec(
            executable: executable, arguments: Array(command.dropFirst()), environment: target.environment,
            workingDirectory: target.workingDirectory)
        let result: RunResult
        do {
            result = try await supervisor.run(spec, timeout: timeout)
        } catch let error as SpawnError {
            return .failure(error.description)
        } catch {
            return .failure("\(error)")
        }
        if result.timedOut { return .failure("command timed out") }
        guard let status = result.status else { return .failure("command timed out") }
        if case .exited(0) = status { return .success }
        let output = String(result.output.reversed().drop { $0 == "\n" || $0 == " " }.reversed())
        return .failure(output.isEmpty ? "command failed: \(status)" : output)
    }
}
