import Foundation
import Glibc

/// The reference supervisor: supervisord (PyPI `supervisor`) in a temporary directory, managing
/// programs that run the benchmark's announcing program, with `autorestart=true` and
/// `startsecs=0` (a process counts as started at once, as a container without probes does).
/// Programs are created stopped (`autostart=false`) and started one by one over its XML-RPC
/// interface on a unix socket, the counterpart of creating a pod through the API. They form one
/// group, `bench`, so that supervisord stops them together on SIGTERM (one group per loop
/// iteration, about one per second, otherwise).
struct Supervisord {
    let directory: String

    var socketPath: String { directory + "/supervisor.sock" }
    var configPath: String { directory + "/supervisord.conf" }
    var pidPath: String { directory + "/supervisord.pid" }
    var logPath: String { directory + "/supervisord.log" }

    /// Writes the configuration: one `[program:NAME]` per name, running `command(name)`.
    func writeConfig(programs: [String], command: (String) -> String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/childlogs", withIntermediateDirectories: true)
        var text = """
            [supervisord]
            nodaemon=true
            logfile=\(logPath)
            pidfile=\(pidPath)
            childlogdir=\(directory)/childlogs

            [unix_http_server]
            file=\(socketPath)

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface


            [group:bench]
            programs=\(programs.joined(separator: ","))

            """
        for name in programs {
            // supervisord expands %(name)s in values: the command holds no '%'.
            precondition(!command(name).contains("%"))
            text += """

                [program:\(name)]
                command=bash -c '\(command(name))'
                autostart=false
                autorestart=true
                startsecs=0
                stopwaitsecs=2

                """
        }
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    var arguments: [String] { ["-m", "supervisor.supervisord", "-n", "-c", configPath] }

    /// supervisord's own pid (the interpreter behind a launcher may have another), once it
    /// answers on its socket.
    func waitUntilServing(timeout: Duration) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let state = try? call("supervisor.getState", []), state.contains("RUNNING"),
                let text = try? String(contentsOfFile: pidPath, encoding: .utf8),
                let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("supervisord did not answer on \(socketPath) within \(timeout); see \(logPath)")
    }

    /// `supervisor.startProcess("bench:NAME", wait=false)`: returns once supervisord has forked it.
    func start(_ name: String) throws {
        let reply = try call("supervisor.startProcess", ["<string>bench:\(name)</string>", "<boolean>0</boolean>"])
        guard !reply.contains("<fault>") else { throw BenchError("supervisord could not start \(name): \(reply)") }
    }

    /// One XML-RPC call over the unix socket (HTTP/1.0, so the reply ends with the connection).
    func call(_ method: String, _ params: [String]) throws -> String {
        let body =
            "<?xml version=\"1.0\"?><methodCall><methodName>\(method)</methodName><params>"
            + params.map { "<param><value>\($0)</value></param>" }.joined() + "</params></methodCall>"
        let request =
            "POST /RPC2 HTTP/1.0\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
            + body
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchError("unix socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { throw BenchError("socket path too long: \(socketPath)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.enumerated() { raw[i] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw BenchError("connect \(socketPath): \(String(cString: strerror(errno)))") }
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + sent, $0.count - sent) }
            guard n > 0 else { throw BenchError("write to supervisord: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            reply += buffer.prefix(n)
        }
        bytes = reply
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.0 200") || text.hasPrefix("HTTP/1.1 200") else {
            throw BenchError("supervisord \(method): \(text.prefix(200))")
        }
        return text
    }
}
