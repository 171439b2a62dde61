import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// The API end to end: a real kctld on a real socket, driven by the real client.
@Suite struct APICRUDTests {
    static func deployment(_ name: String, replicas: Int64 = 2) -> KubeObject {
        KubeObject([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": .int(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "main", "image": "none", "command": ["sleep", "100"]]]],
                ],
            ],
        ])
    }

    @Test func createGetListUpdateDelete() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        let created = try await c.create(Self.deployment("web"), as: .deployment, namespace: "default")
        #expect(created.uid != nil)
        #expect(created.generation == 1)
        #expect(created.namespace == "default")
        #expect(created.resourceVersion != nil)
        #expect(created.creationTimestamp != nil)
        // Defaults applied by the server.
        #expect(created.spec?["strategy"]?["type"]?.stringValue == "RollingUpdate")
        #expect(created.spec?["template"]?["spec"]?["restartPolicy"]?.stringValue == "Always")

        let got = try await c.get(.deployment, namespace: "default", name: "web")
        #expect(got == created)

        let list = try await c.list(.deployment, namespace: "default")
        #expect(list.items.map(\.name) == ["web"])
        #expect(Int64(list.resourceVersion)! >= Int64(created.resourceVersion!)!)

        // A spec change bumps generation; a stale resourceVersion conflicts.
        var changed = got
        changed.spec?["replicas"] = 5
        let updated = try await c.update(changed, as: .deployment)
        #expect(updated.generation == 2)
        do {
            _ = try await c.update(changed, as: .deployment)
            Issue.record("stale update should conflict")
        } catch let e as StatusError {
            #expect(e.reason == .conflict)
            #expect(e.code == 409)
        }

        // Status writes do not bump generation.
        var withStatus = updated
        withStatus.status = ["replicas": 5, "observedGeneration": 2]
        let statusWritten = try await c.update(withStatus, as: .deployment, subresource: "status")
        #expect(statusWritten.generation == 2)
        #expect(statusWritten.status?["replicas"]?.intValue == 5)

        // Merge patch.
        let patched = try await c.patch(.deployment, namespace: "default", name: "web", patch: ["metadata": ["labels": ["tier": "front"]]])
        #expect(patched.labels["tier"] == "front")
        #expect(patched.generation == 2)

        _ = try await c.delete(.deployment, namespace: "default", name: "web")
        await #expect(throws: StatusError.self) { try await c.get(.deployment, namespace: "default", name: "web") }
    }

    @Test func errorsAreKubernetesStatuses() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client

        // NotFound with the Kubernetes message.
        do {
            _ = try await c.get(.deployment, namespace: "default", name: "nope")
            Issue.record("expected NotFound")
        } catch let e as StatusError {
            #expect(e.reason == .notFound && e.code == 404)
            #expect(e.message == "deployments.apps \"nope\" not found")
        }

        // AlreadyExists.
        _ = try await c.create(Self.deployment("dup"), as: .deployment, namespace: "default")
        do {
            _ = try await c.create(Self.deployment("dup"), as: .deployment, namespace: "default")
            Issue.record("expected AlreadyExists")
        } catch let e as StatusError {
            #expect(e.reason == .alreadyExists && e.code == 409)
        }

        // Invalid: wrong type and an unknown field, each named by path; nothing written.
        var bad = Self.deployment("bad")
        bad.spec?["replicas"] = "three"
        bad.spec?["replicaz"] = 3
        do {
            _ = try await c.create(bad, as: .deployment, namespace: "default")
            Issue.record("expected Invalid")
        } catch let e as StatusError {
            #expect(e.code == 422)
            let fields = e.causes.map(\.field)
            #expect(fields.contains("spec.replicas"))
        }
        await #expect(throws: StatusError.self) { try await c.get(.deployment, namespace: "default", name: "bad") }

        // Malformed JSON body.
        let (status, body) = try await c.raw(method: "POST", path: "/api/v1/namespaces/default/configmaps", body: Array("{not json".utf8))
        #expect(status == 400)
        let statusObject = try JSONValue.parse(body)
        #expect(statusObject["kind"]?.stringValue == "Status")
        #expect(statusObject["reason"]?.stringValue == "BadRequest")

        // A body over the limit.
        let huge = Array("{\"data\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20) + Array("\"}".utf8)
        let (bigStatus, _) = try await c.raw(method: "POST", path: "/api/v1/namespaces/default/configmaps", body: huge)
        #expect(bigStatus == 413)

        // A namespace that does not exist.
        do {
            _ = try await c.create(Self.deployment("x"), as: .deployment, namespace: "nowhere")
            Issue.record("expected NotFound for the namespace")
        } catch let e as StatusError {
            #expect(e.message == "namespaces \"nowhere\" not found")
        }

        // Unknown resource path.
        let (unknown, _) = try await c.raw(method: "GET", path: "/api/v1/widgets", body: nil)
        #expect(unknown == 404)

        // The daemon still answers.
        let (ready, _) = try await c.raw(method: "GET", path: "/readyz", body: nil)
        #expect(ready == 200)
    }

    @Test func discoveryAndSelectors() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        let (s1, apis) = try await c.raw(method: "GET", path: "/apis", body: nil)
        #expect(s1 == 200)
        let groups = try JSONValue.parse(apis)["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(groups.contains("apps") && groups.contains("networking.k8s.io") && groups.contains("autoscaling"))
        let (_, core) = try await c.raw(method: "GET", path: "/api/v1", body: nil)
        let names = try JSONValue.parse(core)["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("pods") && names.contains("pods/status") && names.contains("namespaces"))
        let (sv, _) = try await c.raw(method: "GET", path: "/version", body: nil)
        #expect(sv == 200)

        for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web")] {
            let cm = KubeObject([
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string(name), "labels": ["tier": .string(tier), "app": "shop"]],
                "data": ["k": "v"],
            ])
            _ = try await c.create(cm, as: .configMap, namespace: "default")
        }
        let web = try await c.list(.configMap, namespace: "default", labelSelector: "tier=web")
        #expect(web.items.map(\.name) == ["a", "c"])
        let notWeb = try await c.list(.configMap, namespace: "default", labelSelector: "app=shop,tier notin (web)")
        #expect(notWeb.items.map(\.name) == ["b"])
        let byName = try await c.list(.configMap, namespace: nil, fieldSelector: "metadata.name=b")
        #expect(byName.items.map(\.name) == ["b"])
        await #expect(throws: StatusError.self) {
            try await c.list(.configMap, namespace: "default", labelSelector: "tier in (web")
        }
    }
}
