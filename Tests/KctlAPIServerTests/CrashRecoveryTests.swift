import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// The real kctld binary: an acknowledged write survives `kill -9` and a restart, and SIGTERM
/// stops the daemon cleanly.
@Suite struct CrashRecoveryTests {
    static var kctld: String { TestFiles.repoRoot + "/.build/debug/kctld" }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func launch(dataDir: String, port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: kctld)
        p.arguments = ["--data-dir", dataDir, "--listen", "127.0.0.1:\(port)", "--kubeconfig", dataDir + "/kubeconfig", "--log-level", "warning", "--no-proxies"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func waitReady(_ client: KubeClient) async throws {
        try await eventually(seconds: 20, "kctld ready") {
            let (status, _) = try await client.raw(method: "GET", path: "/readyz", body: nil)
            return status == 200
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: CrashRecoveryTests.kctld)))
    func acknowledgedWritesSurviveKill9() async throws {
        let dir = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try Self.freePort()
        var process = try Self.launch(dataDir: dir, port: port)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let client = try KubeClient(server: "http://127.0.0.1:\(port)")
        defer { Task { try? await client.shutdown() } }
        try await Self.waitReady(client)

        var acknowledged: [String] = []
        for i in 0..<50 {
            let cm = KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("cm-\(i)")], "data": ["i": .string("\(i)")]])
            let created = try await client.create(cm, as: .configMap, namespace: "default")
            acknowledged.append(created.resourceVersion!)
        }
        kill(process.processIdentifier, SIGKILL)
        #expect(await process.ended())

        process = try Self.launch(dataDir: dir, port: port)
        try await Self.waitReady(client)
        let list = try await client.list(.configMap, namespace: "default")
        #expect(list.items.count == 50)
        #expect(Int64(list.resourceVersion)! >= Int64(acknowledged.last!)!)
        // The revision counter resumes: a new write gets a higher revision.
        let next = try await client.create(
            KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "after"]]), as: .configMap, namespace: "default")
        #expect(Int64(next.resourceVersion!)! > Int64(acknowledged.last!)!)

        // SIGTERM stops it cleanly.
        kill(process.processIdentifier, SIGTERM)
        #expect(await process.ended())
        #expect(process.terminationStatus == 0)
    }
}
