import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// Deletions that hand over to a controller (foreground, orphan, namespaces) and pod binding.
@Suite struct DeletionAndBindingTests {
    static func configMap(_ name: String, namespace: String = "default") -> KubeObject {
        KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)]])
    }

    @Test func foregroundAndOrphanMarkTheObjectWithTheirFinalizer() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(Self.configMap("fg"), as: .configMap, namespace: "default")
        _ = try await c.create(Self.configMap("or"), as: .configMap, namespace: "default")
        _ = try await c.create(Self.configMap("bg"), as: .configMap, namespace: "default")
        _ = try await c.delete(.configMap, namespace: "default", name: "fg", propagationPolicy: "Foreground")
        _ = try await c.delete(.configMap, namespace: "default", name: "or", propagationPolicy: "Orphan")
        _ = try await c.delete(.configMap, namespace: "default", name: "bg", propagationPolicy: "Background")
        let fg = try await c.get(.configMap, namespace: "default", name: "fg")
        #expect(fg.deletionTimestamp != nil)
        #expect(fg.finalizers == ["foregroundDeletion"])
        let or = try await c.get(.configMap, namespace: "default", name: "or")
        #expect(or.finalizers == ["orphan"])
        await #expect(throws: StatusError.self) { try await c.get(.configMap, namespace: "default", name: "bg") }
        // Clearing the finalizer (the garbage collector's job) completes the deletion.
        _ = try await c.patch(.configMap, namespace: "default", name: "fg", patch: ["metadata": ["finalizers": nil]])
        await #expect(throws: StatusError.self) { try await c.get(.configMap, namespace: "default", name: "fg") }
    }

    @Test func deletingANamespaceMarksItTerminatingAndBlocksNewContent() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop"]]), as: .namespace)
        _ = try await c.create(Self.configMap("a", namespace: "shop"), as: .configMap, namespace: "shop")
        _ = try await c.delete(.namespace, namespace: nil, name: "shop")
        let ns = try await c.get(.namespace, namespace: nil, name: "shop")
        #expect(ns.deletionTimestamp != nil)
        #expect(ns.status?["phase"]?.stringValue == "Terminating")
        do {
            _ = try await c.create(Self.configMap("b", namespace: "shop"), as: .configMap, namespace: "shop")
            Issue.record("creating in a terminating namespace should fail")
        } catch let e as StatusError {
            #expect(e.code == 403)
        }
        do {
            _ = try await c.delete(.namespace, namespace: nil, name: "default")
            Issue.record("default may not be deleted")
        } catch let e as StatusError {
            #expect(e.code == 403)
        }
    }

    @Test func bindingAssignsAPodOnce() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        let pod = KubeObject([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
            "spec": ["containers": [["name": "main", "command": ["sleep", "1"]]]],
        ])
        _ = try await c.create(pod, as: .pod, namespace: "default")
        let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p"], "target": ["kind": "Node", "name": "node-1"]]
        let (first, _) = try await c.raw(method: "POST", path: "/api/v1/namespaces/default/pods/p/binding", body: binding.serialized())
        #expect(first == 201)
        let (second, body) = try await c.raw(method: "POST", path: "/api/v1/namespaces/default/pods/p/binding", body: binding.serialized())
        #expect(second == 409)
        #expect(String(decoding: body, as: UTF8.self).contains("already assigned"))
        let bound = try await c.get(.pod, namespace: "default", name: "p")
        #expect(bound.spec?["nodeName"]?.stringValue == "node-1")
    }
}
