import Foundation
import KctlModel
import KctlSupervisor
import Logging
import NIOCore
import NIOPosix
import Testing

@testable import KctlAgent

// MARK: - The tracker

@Suite struct ProbeTrackerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var kind: ProbeKind
        var probe: Probe
        /// Outcomes in order: "S" success, "F" failure.
        var outcomes: String
        /// `result` after each outcome, "1" true, "0" false.
        var results: String
        /// What `record` returned each time, "1" true, "0" false.
        var returned: String
        var requiresRestart = false
        var finished = false
        var testDescription: String { "\(kind) \(outcomes)" }
    }

    static let cases: [Case] = [
        // Readiness: not ready until one success; three failures in a row to drop out again.
        Case(kind: .readiness, probe: Probe(), outcomes: "SFFFS", results: "11101", returned: "10011"),
        Case(kind: .readiness, probe: Probe(), outcomes: "FFFF", results: "0000", returned: "0000"),
        Case(kind: .readiness, probe: Probe(), outcomes: "SFFSFFF", results: "1111110", returned: "1000001"),
        Case(
            kind: .readiness, probe: Probe(successThreshold: 2, failureThreshold: 1), outcomes: "SSFSFSS",
            results: "0100001", returned: "0110001"),
        // Liveness: alive from the start; failureThreshold failures in a row restart the container.
        Case(
            kind: .liveness, probe: Probe(), outcomes: "FFSFFF", results: "111110", returned: "000001",
            requiresRestart: true, finished: true),
        Case(
            kind: .liveness, probe: Probe(failureThreshold: 1), outcomes: "SF", results: "10", returned: "01",
            requiresRestart: true, finished: true),
        // successThreshold is ignored for liveness and startup (Kubernetes requires 1).
        Case(kind: .liveness, probe: Probe(successThreshold: 5), outcomes: "SSS", results: "111", returned: "000"),
        // Outcomes after a verdict that ends probing are ignored.
        Case(
            kind: .liveness, probe: Probe(failureThreshold: 2), outcomes: "FFSS", results: "1000", returned: "0100",
            requiresRestart: true, finished: true),
        // Startup: not started until one success, then never again.
        Case(
            kind: .startup, probe: Probe(successThreshold: 3), outcomes: "FFSFFF", results: "001111",
            returned: "001000", finished: true),
        Case(
            kind: .startup, probe: Probe(failureThreshold: 4), outcomes: "FFFF", results: "0000", returned: "0001",
            requiresRestart: true, finished: true),
    ]

    @Test(arguments: cases)
    func thresholds(_ c: Case) {
        var tracker = ProbeTracker(kind: c.kind, probe: c.probe, containerStarted: .now)
        var results = ""
        var returned = ""
        for outcome in c.outcomes {
            let changed = tracker.record(outcome == "S" ? .success : .failure("boom"))
            results += tracker.result ? "1" : "0"
            returned += changed ? "1" : "0"
        }
        #expect(results == c.results)
        #expect(returned == c.returned)
        #expect(tracker.requiresRestart == c.requiresRestart)
        #expect(tracker.isFinished == c.finished)
    }

    @Test func initialResults() {
        let start = ContinuousClock.now
        #expect(ProbeTracker(kind: .readiness, probe: Probe(), containerStarted: start).result == false)
        #expect(ProbeTracker(kind: .liveness, probe: Probe(), containerStarted: start).result == true)
        #expect(ProbeTracker(kind: .startup, probe: Probe(), containerStarted: start).result == false)
    }

    @Test func timingDefaultsAndOverrides() {
        let start = ContinuousClock.now
        let defaults = ProbeTracker(kind: .readiness, probe: Probe(), containerStarted: start)
        #expect(defaults.firstDue == start)
        #expect(defaults.period == .seconds(10))
        #expect(defaults.timeout == .seconds(1))
        #expect(defaults.successThreshold == 1)
        #expect(defaults.failureThreshold == 3)

        let set = ProbeTracker(
            kind: .readiness,
            probe: Probe(
                initialDelaySeconds: 5, timeoutSeconds: 3, periodSeconds: 2, successThreshold: 2, failureThreshold: 6),
            containerStarted: start)
        #expect(set.firstDue == start + .seconds(5))
        #expect(set.period == .seconds(2))
        #expect(set.timeout == .seconds(3))
        #expect(set.successThreshold == 2)
        #expect(set.failureThreshold == 6)

        let zeros = ProbeTracker(
            kind: .liveness,
            probe: Probe(initialDelaySeconds: -1, timeoutSeconds: 0, periodSeconds: 0, successThreshold: 0, failureThreshold: 0),
            containerStarted: start)
        #expect(zeros.firstDue == start)
        #expect(zeros.period == .seconds(10))
        #expect(zeros.timeout == .seconds(1))
        #expect(zeros.failureThreshold == 3)
    }

    @Test func theLastFailureIsKept() {
        var tracker = ProbeTracker(kind: .readiness, probe: Probe(), containerStarted: .now)
        #expect(tracker.lastFailure == nil)
        _ = tracker.record(.failure("HTTP probe failed with statuscode: 503"))
        _ = tracker.record(.success)
        #expect(tracker.lastFailure == "HTTP probe failed with statuscode: 503")
    }
}

// MARK: - Reading HTTP responses

@Suite struct HTTPProbeResponseTests {
    static func feed(_ text: String, chunkSize: Int, close: Bool = false) -> HTTPProbeResponse.Progress {
        var response = HTTPProbeResponse()
        let bytes = Array(text.utf8)
        var last = HTTPProbeResponse.Progress.needMore
        var i = 0
        while i < bytes.count {
            last = response.feed(bytes[i..<min(i + chunkSize, bytes.count)])
            i += chunkSize
        }
        return close ? response.endOfStream() : last
    }

    @Test(arguments: [1, 3, 1000])
    func statusWithContentLength(chunkSize: Int) {
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nServer: x\r\n\r\nbusy!"
        #expect(Self.feed(text, chunkSize: chunkSize) == .complete(503))
        #expect(Self.feed(String(text.dropLast()), chunkSize: chunkSize) == .needMore)
    }

    @Test(arguments: [1, 7, 1000])
    func chunkedBodies(chunkSize: Int) {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        #expect(Self.feed(text, chunkSize: chunkSize) == .complete(200))
        #expect(Self.feed(String(text.dropLast(2)), chunkSize: chunkSize) == .needMore)
    }

    @Test func bodiesWithoutLengthEndWithTheConnectionOrAfterTenKiB() {
        #expect(Self.feed("HTTP/1.0 200 OK\r\n\r\npartial", chunkSize: 100) == .needMore)
        #expect(Self.feed("HTTP/1.0 200 OK\r\n\r\npartial", chunkSize: 100, close: true) == .complete(200))
        let big = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "x", count: 10 * 1024)
        #expect(Self.feed(big, chunkSize: 4096) == .complete(200))
    }

    @Test func emptyBodiesCompleteWithTheHead() {
        #expect(Self.feed("HTTP/1.1 204 No Content\r\n\r\n", chunkSize: 100) == .complete(204))
        #expect(Self.feed("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", chunkSize: 5) == .complete(302))
    }

    @Test func informationalResponsesAreSkipped() {
        let text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        #expect(Self.feed(text, chunkSize: 1) == .complete(200))
        #expect(Self.feed(text, chunkSize: 1000) == .complete(200))
    }

    @Test func brokenResponses() {
        #expect(Self.feed("", chunkSize: 1, close: true) == .failed("EOF"))
        #expect(Self.feed("SSH-2.0-OpenSSH\r\n\r\n", chunkSize: 100) == .failed("malformed HTTP response \"SSH-2.0-OpenSSH\""))
        #expect(Self.feed("HTTP/1.1 2", chunkSize: 100, close: true) == .failed("malformed HTTP response \"HTTP/1.1 2\""))
    }
}

// MARK: - The handlers, against real sockets and processes

@Suite struct ProbeHandlerTests {
    static let logger = Logger(label: "kctl.probe.test")

    /// Runs `body` with a probe runner whose supervisor is shut down (every process reaped) afterwards.
    static func withRunner<R>(_ body: (ProbeRunner) async throws -> R) async rethrows -> R {
        let supervisor = ProcessSupervisor(logger: logger)
        let runner = ProbeRunner(supervisor: supervisor)
        do {
            let result = try await body(runner)
            await runner.shutdown()
            await supervisor.shutdown()
            return result
        } catch {
            await runner.shutdown()
            await supervisor.shutdown()
            throw error
        }
    }

    static func target(ports: [ContainerPort] = [], environment: [String: String] = [:]) -> ProbeTarget {
        ProbeTarget(podIP: "127.0.0.1", ports: ports, environment: environment, workingDirectory: "/tmp")
    }

    static func http(_ path: String, port: IntOrString, scheme: String? = nil, headers: [HTTPHeader]? = nil) -> Probe {
        Probe(httpGet: HTTPGetAction(path: path, port: port, scheme: scheme, httpHeaders: headers))
    }

    /// A port nobody listens on: bound, then released.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress!.port!
        try await channel.close()
        return port
    }

    // MARK: httpGet

    @Test func httpStatusesDecide() async throws {
        try await TestHTTPServer.with { server in
            await Self.withRunner { runner in
                let port = IntOrString.int(Int32(server.port))
                #expect(await runner.run(Self.http("/status/200", port: port), target: Self.target(), timeout: .seconds(2)) == .success)
                #expect(await runner.run(Self.http("/status/399", port: port), target: Self.target(), timeout: .seconds(2)) == .success)
                // Redirects are not followed: a 3xx is healthy, as in Kubernetes.
                #expect(await runner.run(Self.http("/redirect", port: port), target: Self.target(), timeout: .seconds(2)) == .success)
                #expect(
                    await runner.run(Self.http("/status/500", port: port), target: Self.target(), timeout: .seconds(2))
                        == .failure("HTTP probe failed with statuscode: 500"))
                #expect(
                    await runner.run(Self.http("/status/404", port: port), target: Self.target(), timeout: .seconds(2))
                        == .failure("HTTP probe failed with statuscode: 404"))
                // Big and chunked bodies are read (up to 10 KiB) and the verdict is the status.
                #expect(await runner.run(Self.http("/big", port: port), target: Self.target(), timeout: .seconds(2)) == .success)
                #expect(await runner.run(Self.http("/chunked", port: port), target: Self.target(), timeout: .seconds(2)) == .success)
                #expect(
                    await runner.run(Self.http("/close-without-response", port: port), target: Self.target(), timeout: .seconds(2))
                        == .failure("Get \"http://127.0.0.1:\(server.port)/close-without-response\": EOF"))
            }
        }
    }

    @Test func httpRequestCarriesPathHostAndHeaders() async throws {
        try await TestHTTPServer.with { server in
            try await Self.withRunner { runner in
                let target = Self.target(ports: [ContainerPort(name: "web", containerPort: Int32(server.port))])
                let probe = Self.http(
                    "healthz?deep=1", port: "web",
                    headers: [HTTPHeader(name: "X-Probe", value: "yes"), HTTPHeader(name: "Accept", value: "")])
                #expect(await runner.run(probe, target: target, timeout: .seconds(2)) == .success)
                let head = try #require(server.requests.last)
                #expect(head.hasPrefix("GET /healthz?deep=1 HTTP/1.1\r\n"))
                #expect(head.contains("\r\nHost: 127.0.0.1:\(server.port)\r\n"))
                #expect(head.contains("\r\nUser-Agent: kube-probe/kctl\r\n"))
                #expect(head.contains("\r\nX-Probe: yes\r\n"))
                #expect(head.contains("\r\nConnection: close\r\n"))
                #expect(!head.lowercased().contains("accept:"))  // an empty Accept removes the default

                let custom = Self.http("/", port: "web", headers: [HTTPHeader(name: "Host", value: "app.local")])
                #expect(await runner.run(custom, target: target, timeout: .seconds(2)) == .success)
                let second = try #require(server.requests.last)
                #expect(second.contains("\r\nHost: app.local\r\n"))
                #expect(second.contains("\r\nAccept: */*\r\n"))
            }
        }
    }

    @Test func httpTimesOutOnASilentServer() async throws {
        try await TestHTTPServer.with { server in
            await Self.withRunner { runner in
                let outcome = await runner.run(
                    Self.http("/silent", port: .int(Int32(server.port))), target: Self.target(), timeout: .milliseconds(200))
                #expect(
                    outcome
                        == .failure(
                            "Get \"http://127.0.0.1:\(server.port)/silent\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                        ))
            }
        }
    }

    @Test func httpConnectionRefused() async throws {
        let port = try await Self.closedPort()
        await Self.withRunner { runner in
            var probe = Self.http("/healthz", port: .int(Int32(port)))
            probe.httpGet?.host = "127.0.99.1"  // nothing listens there, whatever the port
            let outcome = await runner.run(probe, target: Self.target(), timeout: .seconds(2))
            #expect(
                outcome
                    == .failure(
                        "Get \"http://127.0.99.1:\(port)/healthz\": dial tcp 127.0.99.1:\(port): connect: connection refused"))
        }
    }

    @Test func httpProbesThatCannotRun() async {
        await Self.withRunner { runner in
            #expect(
                await runner.run(Self.http("/", port: "metrics"), target: Self.target(), timeout: .seconds(1))
                    == .failure("port metrics not found in the container's ports"))
            #expect(
                await runner.run(Self.http("/", port: 70000), target: Self.target(), timeout: .seconds(1))
                    == .failure("invalid port number: 70000"))
            #expect(
                await runner.run(Self.http("/", port: 0), target: Self.target(), timeout: .seconds(1))
                    == .failure("invalid port number: 0"))
            let https = await runner.run(Self.http("/", port: 443, scheme: "HTTPS"), target: Self.target(), timeout: .seconds(1))
            #expect(https == .failure("HTTPS probes are not supported (only HTTP): kctl has no TLS for probes"))
            let badHeader = Self.http("/", port: 80, headers: [HTTPHeader(name: "X", value: "a\r\nInjected: 1")])
            let rejected = await runner.run(badHeader, target: Self.target(), timeout: .seconds(1))
            #expect(rejected == .failure("Get \"http://127.0.0.1:80/\": invalid header \"X\""))
        }
    }

    @Test func manyConcurrentHTTPProbesAllSucceed() async throws {
        try await TestHTTPServer.with { server in
            await Self.withRunner { runner in
                let probe = Self.http("/status/200", port: .int(Int32(server.port)))
                let successes = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<500 {
                        group.addTask { await runner.run(probe, target: Self.target(), timeout: .seconds(5)) == .success }
                    }
                    return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
                }
                #expect(successes == 500)
            }
        }
    }

    // MARK: tcpSocket

    @Test func tcpConnects() async throws {
        try await TestHTTPServer.with { server in
            await Self.withRunner { runner in
                let probe = Probe(tcpSocket: TCPSocketAction(port: "web"))
                let target = Self.target(ports: [ContainerPort(name: "web", containerPort: Int32(server.port))])
                #expect(await runner.run(probe, target: target, timeout: .seconds(2)) == .success)
            }
        }
    }

    @Test func tcpConnectionRefused() async throws {
        // An address of the loopback range nothing listens on: no other test can take the port.
        let port = try await Self.closedPort()
        await Self.withRunner { runner in
            let probe = Probe(tcpSocket: TCPSocketAction(port: .int(Int32(port)), host: "127.0.99.1"))
            let outcome = await runner.run(probe, target: Self.target(), timeout: .seconds(2))
            #expect(outcome == .failure("dial tcp 127.0.99.1:\(port): connect: connection refused"))
        }
    }

    // MARK: exec

    static func shell(_ script: String) -> Probe {
        Probe(exec: ExecAction(command: ["/bin/sh", "-c", script]))
    }

    @Test func execExitCodeDecides() async {
        await Self.withRunner { runner in
            #expect(await runner.run(Self.shell("exit 0"), target: Self.target(), timeout: .seconds(5)) == .success)
            #expect(
                await runner.run(Self.shell("exit 1"), target: Self.target(), timeout: .seconds(5))
                    == .failure("command failed: exit code 1"))
            #expect(
                await runner.run(Self.shell("echo not ready >&2; exit 3"), target: Self.target(), timeout: .seconds(5))
                    == .failure("not ready"))
        }
    }

    @Test func execRunsWithTheContainersEnvironmentAndDirectory() async {
        await Self.withRunner { runner in
            let target = Self.target(environment: ["PATH": "/usr/bin:/bin", "MODE": "ready"])
            let probe = Self.shell(#"test "$MODE" = ready && test "$(pwd)" = /tmp"#)
            #expect(await runner.run(probe, target: target, timeout: .seconds(5)) == .success)
        }
    }

    @Test func execTimesOutAndLeavesNoProcess() async {
        let supervisor = ProcessSupervisor(logger: Self.logger)
        let runner = ProbeRunner(supervisor: supervisor)
        #expect(
            await runner.run(Self.shell("sleep 5"), target: Self.target(), timeout: .milliseconds(200))
                == .failure("command timed out"))
        #expect(supervisor.runningCount == 0)
        await runner.shutdown()
        await supervisor.shutdown()
    }

    @Test func execOfAMissingBinaryFailsWithTheSpawnError() async {
        await Self.withRunner { runner in
            let outcome = await runner.run(
                Probe(exec: ExecAction(command: ["/nonexistent/healthcheck"])), target: Self.target(), timeout: .seconds(5))
            guard case .failure(let message) = outcome else {
                Issue.record("expected a failure, got \(outcome)")
                return
            }
            #expect(message.contains("/nonexistent/healthcheck"))
            #expect(
                await runner.run(Probe(exec: ExecAction(command: [])), target: Self.target(), timeout: .seconds(1))
                    == .failure("exec probe has no command"))
        }
    }

    // MARK: Unsupported

    @Test func grpcAndEmptyProbesFail() async {
        await Self.withRunner { runner in
            #expect(
                await runner.run(Probe(grpc: GRPCAction(port: 9000)), target: Self.target(), timeout: .seconds(1))
                    == .failure("gRPC probes are not supported"))
            #expect(
                await runner.run(Probe(), target: Self.target(), timeout: .seconds(1))
                    == .failure("the probe has no handler (exec, httpGet or tcpSocket)"))
        }
    }
}

// MARK: - A tiny HTTP server for the handlers

/// Answers by path: `/status/N` with status N, `/redirect` with a 302, `/big` with 100 KiB,
/// `/chunked` chunked, `/silent` never, `/close-without-response` by closing; anything else 200.
/// Records each request head.
final class TestHTTPServer: Sendable {
    let channel: any Channel
    let port: Int
    private let recorded: Locked<[String]>

    var requests: [String] { recorded.withLock { $0 } }

    private init(channel: any Channel, recorded: Locked<[String]>) {
        self.channel = channel
        self.port = channel.localAddress!.port!
        self.recorded = recorded
    }

    static func with<R>(_ body: (TestHTTPServer) async throws -> R) async throws -> R {
        let recorded = Locked<[String]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Responder(recorded: recorded))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = TestHTTPServer(channel: channel, recorded: recorded)
        do {
            let result = try await body(server)
            try? await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

private final class Responder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let recorded: Locked<[String]>
    private var head = ""
    private var answered = false

    init(recorded: Locked<[String]>) { self.recorded = recorded }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        head += String(buffer: buffer)
        guard !answered, head.contains("\r\n\r\n") else { return }
        answered = true
        recorded.withLock { $0.append(head) }
        let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let response: String
        switch path {
        case "/silent": return
        case "/close-without-response":
            context.close(promise: nil)
            return
        case "/redirect":
            response = "HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n"
        case "/big":
            response = "HTTP/1.1 200 OK\r\nContent-Length: 102400\r\n\r\n" + String(repeating: "x", count: 102_400)
        case "/chunked":
            response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        default:
            let code = path.hasPrefix("/status/") ? String(path.dropFirst("/status/".count)) : "200"
            response = "HTTP/1.1 \(code) Whatever\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody"
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
