import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// Server-side apply and strategic merge patches through a real kctld, as kubectl sends them.
@Suite struct ServerSideApplyTests {
    static let path = "/apis/apps/v1/namespaces/default/deployments/web"
    static let apply = "application/apply-patch+yaml"
    static let strategic = "application/strategic-merge-patch+json"

    /// The manifest kubectl sends with `apply --server-side` (JSON, which is YAML too).
    static func manifest(image: String = "v1", env: JSONValue = [["name": "A", "value": "1"]], replicas: Int64 = 2) -> KubeObject {
        var object = APICRUDTests.deployment("web", replicas: replicas)
        object.spec?["template"]?["spec"]?["containers"] = [
            ["name": "main", "image": .string(image), "command": ["sleep", "100"], "env": env, "ports": [["containerPort": 8080]]]
        ]
        return object
    }

    static func withDaemon(_ body: (KubeClient) async throws -> Void) async throws {
        let d = try await TestDaemon.start()
        do { try await body(d.client) } catch {
            await d.stop()
            throw error
        }
        await d.stop()
    }

    static func send(
        _ c: KubeClient, _ object: KubeObject, manager: String = "kubectl", extra: String = "", path: String = path
    ) async throws -> (status: Int, body: JSONValue) {
        let (status, body) = try await c.raw(
            method: "PATCH", path: path + "?fieldManager=\(manager)&fieldValidation=Strict&force=false" + extra,
            body: object.serialized(), contentType: apply)
        return (status, try JSONValue.parse(body))
    }

    static func container(_ object: KubeObject) -> JSONValue {
        object.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first ?? .null
    }

    @Test func applyCreatesThenMergesByMergeKeys() async throws {
        try await Self.withDaemon { c in
            let created = try await Self.send(c, Self.manifest())
            #expect(created.status == 201, "\(created.body.serializedString())")
            #expect(created.body["metadata"]?["managedFields"] == nil)
            let stored = try await c.get(.deployment, namespace: "default", name: "web")
            #expect(Self.container(stored)["env"] == [["name": "A", "value": "1"]])

            // Another writer adds an env entry and a label; the manifest changes A and adds B.
            let other = try await c.raw(
                method: "PATCH", path: Self.path,
                body: Array(#"{"metadata":{"labels":{"team":"x"}},"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"Z","value":"z"}]}]}}}}"#.utf8),
                contentType: Self.strategic)
            #expect(other.status == 200)
            let changed = Self.manifest(image: "v2", env: [["name": "A", "value": "2"], ["name": "B", "value": "b"]], replicas: 3)
            let merged = try await Self.send(c, changed)
            #expect(merged.status == 200, "\(merged.body.serializedString())")
            let after = try await c.get(.deployment, namespace: "default", name: "web")
            #expect(after.spec?["replicas"] == 3)
            #expect(Self.container(after)["image"] == "v2")
            let env = Self.container(after)["env"]?.arrayValue ?? []
            #expect(Set(env.compactMap { $0["name"]?.stringValue }) == ["A", "B", "Z"])
            #expect(env.first { $0["name"] == "A" }?["value"] == "2")
            #expect(after.labels["team"] == "x")
            #expect(after.generation == 3)

            // The same apply again changes nothing.
            let again = try await Self.send(c, changed)
            #expect(again.status == 200)
            #expect(try await c.get(.deployment, namespace: "default", name: "web").resourceVersion == after.resourceVersion)
        }
    }

    /// kubectl's second apply (manager `kubectl-last-applied`) holds only the annotation.
    @Test func anotherManagersPartialApplyNeverWipesTheSpec() async throws {
        try await Self.withDaemon { c in
            #expect(try await Self.send(c, Self.manifest()).status == 201)
            let onlyAnnotation = KubeObject([
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "web", "namespace": "default", "annotations": ["kubectl.kubernetes.io/last-applied-configuration": "{}"]],
            ])
            let result = try await Self.send(c, onlyAnnotation, manager: "kubectl-last-applied")
            #expect(result.status == 200, "\(result.body.serializedString())")
            let after = try await c.get(.deployment, namespace: "default", name: "web")
            #expect(after.annotations["kubectl.kubernetes.io/last-applied-configuration"] == "{}")
            #expect(after.spec?["replicas"] == 2)
            #expect(Self.container(after)["env"] == [["name": "A", "value": "1"]])
        }
    }

    /// As Kubernetes does, an apply by `kubectl` keeps client-side apply's record current.
    @Test func kubectlsApplyRefreshesTheLastAppliedAnnotation() async throws {
        try await Self.withDaemon { c in
            var first = Self.manifest()
            first.annotations = ["kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}"]
            _ = try await c.create(first, as: .deployment, namespace: "default")
            let applied = Self.manifest(image: "v3")
            #expect(try await Self.send(c, applied).status == 200)
            let after = try await c.get(.deployment, namespace: "default", name: "web")
            let record = try JSONValue.parse(after.annotations["kubectl.kubernetes.io/last-applied-configuration"] ?? "")
            #expect(record.value(atPath: "spec.template.spec.containers")?.arrayValue?.first?["image"] == "v3")
            #expect(record["metadata"]?["name"] == "web")
            #expect(record["metadata"]?["annotations"] == nil)

            // Another manager leaves it alone.
            #expect(try await Self.send(c, Self.manifest(image: "v4"), manager: "helm").status == 200)
            #expect(try await c.get(.deployment, namespace: "default", name: "web").annotations == after.annotations)
        }
    }

    @Test func yamlBodiesDryRunAndStatus() async throws {
        try await Self.withDaemon { c in
            let yaml = """
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: settings
                data:
                  a: "1"
                """
            let path = "/api/v1/namespaces/default/configmaps/settings?fieldManager=me"
            let dry = try await c.raw(method: "PATCH", path: path + "&dryRun=All", body: Array(yaml.utf8), contentType: Self.apply)
            #expect(dry.status == 201)
            await #expect(throws: StatusError.self) { try await c.get(.configMap, namespace: "default", name: "settings") }
            #expect(try await c.raw(method: "PATCH", path: path, body: Array(yaml.utf8), contentType: Self.apply).status == 201)
            let more = yaml.replacingOccurrences(of: "a: \"1\"", with: "b: \"2\"")
            #expect(try await c.raw(method: "PATCH", path: path, body: Array(more.utf8), contentType: Self.apply).status == 200)
            #expect(try await c.get(.configMap, namespace: "default", name: "settings")["data"] == ["a": "1", "b": "2"])

            // The status subresource of a missing object is not created.
            var other = Self.manifest()
            other.name = "other"
            let status = try await Self.send(c, other, path: "/apis/apps/v1/namespaces/default/deployments/other/status")
            #expect(status.status == 404)
        }
    }

    @Test func badApplies() async throws {
        try await Self.withDaemon { c in
            let body = Self.manifest().serialized()
            let noManager = try await c.raw(method: "PATCH", path: Self.path, body: body, contentType: Self.apply)
            #expect(noManager.status == 422)
            #expect(String(decoding: noManager.body, as: UTF8.self).contains("fieldManager: Required value: is required for apply patch"))

            var unknown = Self.manifest()
            unknown.spec?["replicaz"] = 3
            let strict = try await Self.send(c, unknown)
            #expect(strict.status == 422)
            #expect(strict.body.serializedString().contains("replicaz"))
            #expect(try await Self.send(c, unknown, extra: "&fieldValidation=Ignore").status == 201)

            var renamed = Self.manifest()
            renamed.name = "other"
            #expect(try await Self.send(c, renamed).status == 400)

            let two = Array("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n".utf8)
            let twoDocs = try await c.raw(method: "PATCH", path: "/api/v1/namespaces/default/configmaps/a?fieldManager=me", body: two, contentType: Self.apply)
            #expect(twoDocs.status == 400)
            let stale = Self.manifestWith(resourceVersion: "1")
            #expect(try await Self.send(c, stale).status == 409)
        }
    }

    static func manifestWith(resourceVersion: String) -> KubeObject {
        var object = manifest()
        object.resourceVersion = resourceVersion
        return object
    }

    @Test func strategicMergePatchOverHTTP() async throws {
        try await Self.withDaemon { c in
            _ = try await c.create(Self.manifest(env: [["name": "A", "value": "1"], ["name": "B", "value": "2"]]), as: .deployment, namespace: "default")
            let patch = #"{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"B","$patch":"delete"},{"name":"C","value":"3"}]}]}}}}"#
            let ok = try await c.raw(method: "PATCH", path: Self.path, body: Array(patch.utf8), contentType: Self.strategic)
            #expect(ok.status == 200)
            let after = try await c.get(.deployment, namespace: "default", name: "web")
            #expect(Self.container(after)["env"] == [["name": "C", "value": "3"], ["name": "A", "value": "1"]])
            #expect(Self.container(after)["image"] == "v1")

            let noKey = #"{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#
            let bad = try await c.raw(method: "PATCH", path: Self.path, body: Array(noKey.utf8), contentType: Self.strategic)
            #expect(bad.status == 400)
            #expect(String(decoding: bad.body, as: UTF8.self).contains("does not contain declared merge key: name"))

            let invalid = #"{"spec":{"replicas":-1}}"#
            #expect(try await c.raw(method: "PATCH", path: Self.path, body: Array(invalid.utf8), contentType: Self.strategic).status == 422)

            let unknownType = try await c.raw(method: "PATCH", path: Self.path, body: Array("{}".utf8), contentType: "application/xml")
            #expect(unknownType.status == 415)
            #expect(
                String(decoding: unknownType.body, as: UTF8.self).contains(
                    "accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"))

            let forced = try await c.raw(method: "PATCH", path: Self.path + "?force=true", body: Array("{}".utf8), contentType: "application/merge-patch+json")
            #expect(forced.status == 422)
        }
    }
}
