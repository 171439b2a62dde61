import Foundation
import KctlClient
import KctlModel
import Testing

@Suite struct KubeconfigTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "kctl-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func writeThenReadRoundTrip() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/nested/config"
        try Kubeconfig.write(server: "http://127.0.0.1:6553", to: path)
        let config = try Kubeconfig.read(path: path)
        #expect(config.server == "http://127.0.0.1:6553")
        #expect(config.currentContext == "kctl")
        #expect(config.clusters == ["kctl": "http://127.0.0.1:6553"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // Writing again replaces it.
        try Kubeconfig.write(server: "http://127.0.0.1:7000", to: path)
        #expect(try Kubeconfig.read(path: path).server == "http://127.0.0.1:7000")
    }

    @Test func readsAKubectlStyleFile() throws {
        let text = """
            apiVersion: v1
            # a comment
            clusters:
            - cluster:
                certificate-authority-data: LS0tLS1CRUdJTg==
                server: "https://10.0.0.1:6443"
              name: prod
            - name: local
              cluster:
                server: http://127.0.0.1:6440   # kctld
            contexts:
              - context:
                  cluster: local
                  namespace: chat
                  user: me
                name: dev
            current-context: 'dev'
            kind: Config
            preferences: {}
            users:
            - name: me
              user:
                token: abc
            """
        let config = try Kubeconfig.parse(text)
        #expect(config.clusters == ["prod": "https://10.0.0.1:6443", "local": "http://127.0.0.1:6440"])
        #expect(config.server == "http://127.0.0.1:6440")
        #expect(config.namespace == "chat")
    }

    @Test func readsJSON() throws {
        let config = try Kubeconfig.parse(
            #"{"clusters":[{"name":"a","cluster":{"server":"http://h:1"}}],"contexts":[{"name":"c","context":{"cluster":"a"}}],"current-context":"c"}"#)
        #expect(config.server == "http://h:1")
    }

    @Test func badIndentationIsAnError() {
        #expect(throws: StatusError.self) { try Kubeconfig.parse("clusters:\n  - name: a\n    x: 1\n   y: 2\n") }
    }
}

@Suite struct ServerAddressTests {
    @Test func flagWins() throws {
        #expect(try ServerAddress.resolve(flag: "http://a:1/", environment: ["KCTL_SERVER": "http://b:2"]) == "http://a:1")
    }

    @Test func environmentBeforeConfig() throws {
        #expect(
            try ServerAddress.resolve(flag: nil, environment: ["KCTL_SERVER": "http://b:2", "KCTL_CONFIG": "/nonexistent"])
                == "http://b:2")
    }

    @Test func configFileFromKCTL_CONFIG() throws {
        let path = NSTemporaryDirectory() + "kctl-cfg-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Kubeconfig.write(server: "http://127.0.0.1:6999", to: path)
        #expect(try ServerAddress.resolve(flag: nil, environment: ["KCTL_CONFIG": path]) == "http://127.0.0.1:6999")
        #expect(try ServerAddress.resolve(flag: "", environment: ["KCTL_SERVER": "", "KCTL_CONFIG": path]) == "http://127.0.0.1:6999")
    }

    @Test func homeDirectoryDefault() throws {
        let home = NSTemporaryDirectory() + "kctl-home-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        #expect(Kubeconfig.defaultPath(environment: ["HOME": home]) == home + "/.kctl/config")
        try Kubeconfig.write(server: "http://127.0.0.1:6001", to: home + "/.kctl/config")
        #expect(try ServerAddress.resolve(flag: nil, environment: ["HOME": home]) == "http://127.0.0.1:6001")
    }

    @Test func nothingConfiguredSaysWhatToDo() {
        do {
            _ = try ServerAddress.resolve(flag: nil, environment: ["KCTL_CONFIG": "/nonexistent/kctl/config"])
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.message.contains("Start kctld"))
            #expect(error.message.contains("--server"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func invalidAddresses() {
        #expect(throws: StatusError.self) { try ServerAddress.resolve(flag: "127.0.0.1:6440", environment: [:]) }
        #expect(throws: StatusError.self) { try ServerAddress.resolve(flag: "ftp://h:1", environment: [:]) }
        #expect(throws: StatusError.self) { try KubeClient(server: "http://") }
        // A port beyond 16 bits used to trap in the HTTP client (`kctl --server http://127.0.0.1:99999`).
        #expect(throws: StatusError.self) { try KubeClient(server: "http://127.0.0.1:99999") }
        #expect(throws: StatusError.self) { try ServerAddress.resolve(flag: "http://127.0.0.1:70000", environment: [:]) }
    }

    /// A request path is appended to the server address: one without its leading slash would
    /// change the address itself (`0/api` after port 6440 is port 64400), so it is refused.
    @Test func requestPathsMustBeAbsolute() async throws {
        let client = try KubeClient(server: "http://127.0.0.1:1")
        await #expect(throws: StatusError.self) { try await client.raw(method: "GET", path: "0/api") }
        try await client.shutdown()
    }
}

@Suite struct WatchStreamTests {
    @Test func splitsLinesAcrossChunks() {
        var splitter = LineSplitter()
        #expect(splitter.append(Array("{\"a\":".utf8)).isEmpty)
        let lines = splitter.append(Array("1}\n\n{\"b\":2}\n{\"c\"".utf8))
        #expect(lines.map { String(decoding: $0, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}"])
        #expect(splitter.append(Array(":3}".utf8)).isEmpty)
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "{\"c\":3}")
        #expect(splitter.finish() == nil)
    }

    @Test func decodesEvents() throws {
        let event = try #require(
            try WatchEventDecoder.decode(line: Array(#"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p"}}}"#.utf8)))
        #expect(event.type == "ADDED")
        #expect(event.object.name == "p")
    }

    @Test func errorEventThrowsItsStatus() {
        let line = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"too old resource version: 1 (5)"}}"#
        do {
            _ = try WatchEventDecoder.decode(line: Array(line.utf8))
            Issue.record("expected a throw")
        } catch let error as StatusError {
            #expect(error.reason == .expired)
            #expect(error.code == 410)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func errorBodiesBecomeStatusErrors() {
        let status = StatusError.notFound(.deployment, "web")
        let decoded = KubeClient.error(status: 404, body: status.statusObject.serialized())
        #expect(decoded == status)
        let plain = KubeClient.error(status: 502, body: Array("bad gateway".utf8))
        #expect(plain.reason == .internalError)
        #expect(plain.message == "bad gateway")
    }

    @Test func unreachableServerIsAClearError() async throws {
        let client = try KubeClient(server: "http://127.0.0.1:1")
        do {
            _ = try await client.get(.pod, namespace: "default", name: "x")
            Issue.record("expected a throw")
        } catch let error as StatusError {
            #expect(error.isUnreachable)
            #expect(error.code == 503)
            #expect(error.message == "cannot reach kctld at http://127.0.0.1:1: connection refused (is kctld running?)")
        }
        var iterator = client.watch(.pod, namespace: nil, resourceVersion: nil).makeAsyncIterator()
        await #expect(throws: StatusError.self) { _ = try await iterator.next() }
        try await client.shutdown()
    }
}
