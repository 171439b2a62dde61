import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import KctlModel
import Logging
import NIOCore

/// `kubectl exec` over a WebSocket, as kubectl 1.32 speaks it first (the `v5.channel.k8s.io`
/// subprotocol; it falls back to SPDY, which kctld does not speak, only when the upgrade fails).
///
/// Every binary message starts with its stream: 0 stdin, 1 stdout, 2 stderr, 3 the final
/// Status, 4 a terminal resize (`{"Width":80,"Height":24}`, with `tty=true`: the command then runs
/// on a pseudo-terminal of its own); in v5, `255 n` closes stream `n` (kubectl's stdin EOF). The server
/// sends the output as it comes, then one Status on stream 3 (`NonZeroExitCode` with the code as
/// a cause, which kubectl exits with), then closes. An exec that cannot run (no such pod or
/// container, a finished pod, a command not found) ends with that error as its Status, which
/// kubectl prints.
extension APIServer {
    /// The WebSocket subprotocols served, best first.
    static let execProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"]

    /// The server's `shouldUpgrade`: upgrades a `GET pods/NAME/exec` that asks for a served
    /// subprotocol and names a command that can run; anything else goes on to `respond(to:)`.
    public func webSocketUpgrade(_ head: HTTPRequest, _ channel: any Channel, _ logger: Logger) async throws
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard head.method == .get, let executor = podExec else { return .dontUpgrade }
        let pathAndQuery = head.path ?? ""
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard case .resource(let target)? = try? RequestInfoParser.parse(path: String(parts[0])),
            target.type == .pod, target.subresource == "exec"
        else { return .dontUpgrade }
        let offered = (head.headerFields[.secWebSocketProtocol] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard let subprotocol = Self.execProtocols.first(where: offered.contains) else { return .dontUpgrade }
        let query = Query(parts.count > 1 ? String(parts[1]) : nil)
        let tty = query.bool("tty") && query["tty"] != "false"
        let stdin = query.bool("stdin") && query["stdin"] != "false"
        let closes = subprotocol == "v5.channel.k8s.io"
        let server = self
        return .upgrade([.secWebSocketProtocol: subprotocol]) { inbound, outbound, _ in
            // Upgraded even when the exec cannot run: the error then goes out as the final Status,
            // which kubectl prints. (Refusing the upgrade would send kubectl to its SPDY fallback,
            // which this server does not speak.)
            var request: PodExecRequest
            do {
                request = try await server.execRequest(target, query: query)
                request.tty = tty
            } catch {
                let status = error as? StatusError ?? .internalError("\(error)")
                try? await outbound.write(.binary(Self.statusFrame(status.statusObject)))
                return
            }
            await Self.runExec(
                request, executor: executor, stdin: stdin, closes: closes, inbound: inbound, outbound: outbound,
                logger: server.logger)
        }
    }

    /// The exec a request names: the pod must exist, the container must be one of its own (the
    /// pod's first when none is named), and there must be a command.
    func execRequest(_ target: ResourceRequest, query: Query) async throws -> PodExecRequest {
        guard let namespace = target.namespace, let name = target.name else {
            throw StatusError.badRequest("a pod name is required")
        }
        let pod = try await store.get(.pod, namespace: namespace, name: name)
        let containers = (pod.spec?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        let container = query["container"].flatMap { $0.isEmpty ? nil : $0 } ?? containers.first ?? ""
        guard containers.contains(container) else {
            throw StatusError.badRequest("container \(container) is not valid for pod \(name)")
        }
        let command = query.all("command")
        guard !command.isEmpty else {
            throw StatusError.badRequest("you must specify at least one command for the container")
        }
        guard podExec != nil else {
            throw StatusError(
                reason: .serviceUnavailable, code: 503,
                message: "exec is not available: no node agent runs pods on this server")
        }
        return PodExecRequest(namespace: namespace, pod: name, container: container, command: command)
    }

    /// Streams one exec over an upgraded connection until the command ends, then sends its Status.
    static func runExec(
        _ request: PodExecRequest, executor: any PodExecutor, stdin: Bool, closes: Bool,
        inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, logger: Logger
    ) async {
        let session: ExecSession
        do {
            session = try await executor.exec(request)
        } catch {
            let failure = error as? StatusError
                ?? StatusError(reason: .internalError, code: 500, message: "failed to exec in container: \(error)")
            try? await outbound.write(.binary(statusFrame(failure.statusObject)))
            return
        }
        if !stdin { session.closeStdin() }
        let exitCode: Int32 = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                // The client's messages: stdin, its close, terminal resizes.
                do {
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .binary(var buffer) = message, let stream = buffer.readInteger(as: UInt8.self) else {
                            continue
                        }
                        switch stream {
                        case 0:
                            session.write(Array(buffer.readableBytesView))
                        case 4:
                            if let size = try? JSONValue.parse(Array(buffer.readableBytesView)),
                                let width = size["Width"]?.intValue, let height = size["Height"]?.intValue,
                                let columns = UInt16(exactly: width), let rows = UInt16(exactly: height)
                            {
                                session.resize(columns, rows)
                            }
                        case 255 where closes:
                            if buffer.readInteger(as: UInt8.self) == 0 { session.closeStdin() }
                        default:
                            break
                        }
                    }
                } catch {}
                // The client went away before the command ended: it has no one to answer to.
                if !Task.isCancelled { session.terminate() }
                return nil
            }
            group.addTask {
                // Output in order per stream; with a terminal, kubectl reads one stream only.
                await withTaskGroup(of: Void.self) { streams in
                    streams.addTask { await relay(session.stdout, as: 1, to: outbound) }
                    streams.addTask { await relay(session.stderr, as: request.tty ? 1 : 2, to: outbound) }
                }
                return await session.exitCode()
            }
            var code: Int32 = 0
            for await result in group {
                if let result {
                    code = result
                    break
                }
            }
            group.cancelAll()
            return code
        }
        let status: JSONValue = exitCode == 0 ? ["metadata": [:], "status": "Success"] : nonZeroExit(request.command, exitCode)
        logger.info(
            "pod \(request.namespace)/\(request.pod): exec in container \(request.container) ended with exit code \(exitCode)")
        try? await outbound.write(.binary(statusFrame(status)))
    }

    private static func relay(_ stream: AsyncStream<[UInt8]>, as channel: UInt8, to outbound: WebSocketOutboundWriter) async {
        for await chunk in stream {
            // A client that went away: keep draining so the command is not blocked on a full pipe.
            try? await outbound.write(.binary(frame(channel, chunk)))
        }
    }

    private static func frame(_ channel: UInt8, _ bytes: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(bytes.count + 1)
        buffer.writeInteger(channel)
        buffer.writeBytes(bytes)
        return buffer
    }

    /// The final Status, on stream 3.
    private static func statusFrame(_ status: JSONValue) -> ByteBuffer { frame(3, status.serialized()) }

    /// The Status kubectl turns into `command terminated with exit code N` (and exits with N).
    static func nonZeroExit(_ command: [String], _ code: Int32) -> JSONValue {
        [
            "metadata": [:], "status": "Failure",
            "message": .string(
                "command terminated with non-zero exit code: error executing command [\(command.joined(separator: " "))], exit code \(code)"
            ),
            "reason": "NonZeroExitCode",
            "details": ["causes": [["reason": "ExitCode", "message": .string("\(code)")]]],
        ]
    }
}
