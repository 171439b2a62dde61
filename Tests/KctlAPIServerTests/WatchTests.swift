import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@Suite struct WatchTests {
    static func configMap(_ name: String, _ value: String = "1") -> KubeObject {
        KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["v": .string(value)]])
    }

    @Test func watchFromListRevisionSeesLaterChangesInOrder() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(Self.configMap("before"), as: .configMap, namespace: "default")
        let list = try await c.list(.configMap, namespace: "default")
        let stream = c.watch(.configMap, namespace: "default", resourceVersion: list.resourceVersion)
        let received = Task {
            var seen: [String] = []
            for try await event in stream {
                seen.append("\(event.type) \(event.object.name)")
                if seen.count == 4 { break }
            }
            return seen
        }
        _ = try await c.create(Self.configMap("one"), as: .configMap, namespace: "default")
        var one = try await c.get(.configMap, namespace: "default", name: "one")
        one["data"] = ["v": "2"]
        _ = try await c.update(one, as: .configMap)
        _ = try await c.create(Self.configMap("two"), as: .configMap, namespace: "default")
        _ = try await c.delete(.configMap, namespace: "default", name: "one")
        let seen = try await withDeadline(seconds: 10) { try await received.value }
        #expect(seen == ["ADDED one", "MODIFIED one", "ADDED two", "DELETED one"])
    }

    @Test func watchWithoutRevisionStartsWithCurrentState() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(Self.configMap("x"), as: .configMap, namespace: "default")
        let stream = c.watch(.configMap, namespace: "default", resourceVersion: nil)
        let first = try await withDeadline(seconds: 10) {
            for try await event in stream { return "\(event.type) \(event.object.name)" }
            return ""
        }
        #expect(first == "ADDED x")
    }

    @Test func badRevisionIsRejected() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (status, body) = try await d.client.raw(
            method: "GET", path: "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc", body: nil)
        #expect(status == 400)
        #expect(String(decoding: body, as: UTF8.self).contains("resourceVersion"))
    }
}
