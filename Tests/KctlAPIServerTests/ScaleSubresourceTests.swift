import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// The `scale` subresource of Deployments and ReplicaSets, through a real kctld.
@Suite struct ScaleSubresourceTests {
    static let deploymentScale = "/apis/apps/v1/namespaces/default/deployments/web/scale"

    static func replicaSet(_ name: String, replicas: Int64) -> KubeObject {
        var object = APICRUDTests.deployment(name, replicas: replicas)
        object["kind"] = "ReplicaSet"
        object.spec?["strategy"] = nil
        return object
    }

    static func json(_ body: [UInt8]) throws -> JSONValue { try JSONValue.parse(body) }

    @Test func getShowsDesiredObservedAndSelector() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        let created = try await c.create(APICRUDTests.deployment("web", replicas: 3), as: .deployment, namespace: "default")

        let (status, body) = try await c.raw(method: "GET", path: Self.deploymentScale)
        #expect(status == 200)
        let scale = try Self.json(body)
        #expect(scale["kind"]?.stringValue == "Scale")
        #expect(scale["apiVersion"]?.stringValue == "autoscaling/v1")
        #expect(scale["metadata"]?["name"]?.stringValue == "web")
        #expect(scale["metadata"]?["namespace"]?.stringValue == "default")
        #expect(scale["metadata"]?["uid"]?.stringValue == created.uid)
        #expect(scale["metadata"]?["resourceVersion"]?.stringValue == created.resourceVersion)
        #expect(scale["spec"]?["replicas"]?.intValue == 3)
        #expect(scale["status"]?["replicas"]?.intValue == 0)
        #expect(scale["status"]?["selector"]?.stringValue == "app=web")

        var withStatus = created
        withStatus.status = ["replicas": 2]
        _ = try await c.update(withStatus, as: .deployment, subresource: "status")
        let typed = try await c.getScale(.deployment, namespace: "default", name: "web")
        #expect(typed.spec?.replicas == 3)
        #expect(typed.status == ScaleStatus(replicas: 2, selector: "app=web"))
    }

    @Test func mergePatchChangesOnlyReplicas() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        var created = try await c.create(APICRUDTests.deployment("web", replicas: 2), as: .deployment, namespace: "default")
        created.status = ["replicas": 2, "observedGeneration": 1]
        created = try await c.update(created, as: .deployment, subresource: "status")

        let (status, body) = try await c.raw(
            method: "PATCH", path: Self.deploymentScale, body: Array(#"{"spec":{"replicas":5}}"#.utf8),
            contentType: "application/merge-patch+json")
        #expect(status == 200)
        let scale = try Self.json(body)
        #expect(scale["spec"]?["replicas"]?.intValue == 5)
        #expect(scale["status"]?["replicas"]?.intValue == 2)

        let after = try await c.get(.deployment, namespace: "default", name: "web")
        #expect(after.spec?["replicas"]?.intValue == 5)
        #expect(after.generation == 2)
        #expect(after.spec?["template"] == created.spec?["template"])
        #expect(after.status == created.status)
        #expect(after.labels == created.labels)
        #expect(scale["metadata"]?["resourceVersion"]?.stringValue == after.resourceVersion)
    }

    @Test func jsonPatchStrategicMergeAndTypedClient() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(APICRUDTests.deployment("web", replicas: 2), as: .deployment, namespace: "default")

        let jsonPatch = try await c.raw(
            method: "PATCH", path: Self.deploymentScale,
            body: Array(#"[{"op":"replace","path":"/spec/replicas","value":4}]"#.utf8),
            contentType: "application/json-patch+json")
        #expect(jsonPatch.status == 200)
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 4)

        let strategic = try await c.raw(
            method: "PATCH", path: Self.deploymentScale, body: Array(#"{"spec":{"replicas":1}}"#.utf8),
            contentType: "application/strategic-merge-patch+json")
        #expect(strategic.status == 200)
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 1)

        let scale = try await c.setScale(.deployment, namespace: "default", name: "web", replicas: 0)
        #expect(scale.spec?.replicas == 0)
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 0)

        let unsupported = try await c.raw(
            method: "PATCH", path: Self.deploymentScale, body: Array("replicas: 3".utf8), contentType: "application/yaml")
        #expect(unsupported.status == 400 || unsupported.status == 415)
    }

    @Test func putChecksResourceVersionAndReplicas() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        let created = try await c.create(APICRUDTests.deployment("web", replicas: 2), as: .deployment, namespace: "default")
        let rv = created.resourceVersion!

        func put(_ replicas: Int64, rv: String?) async throws -> (status: Int, body: [UInt8]) {
            var meta: JSONValue = ["name": "web", "namespace": "default"]
            if let rv { meta["resourceVersion"] = .string(rv) }
            let scale: JSONValue = [
                "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta, "spec": ["replicas": .int(replicas)],
            ]
            return try await c.raw(method: "PUT", path: Self.deploymentScale, body: scale.serialized())
        }

        #expect(try await put(3, rv: rv).status == 200)
        // The write moved the object on: the old resourceVersion conflicts and changes nothing.
        let stale = try await put(7, rv: rv)
        #expect(stale.status == 409)
        #expect(KubeClient.error(status: stale.status, body: stale.body).reason == .conflict)
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 3)
        // No resourceVersion: last write wins.
        #expect(try await put(6, rv: nil).status == 200)

        let negative = try await put(-1, rv: nil)
        #expect(negative.status == 422)
        let error = KubeClient.error(status: negative.status, body: negative.body)
        #expect(error.reason == .invalid)
        #expect(error.message == #"Scale.autoscaling "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#)
        #expect(error.causes.first?.field == "spec.replicas")
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 6)

        // The typed client's precondition is the same check.
        await #expect(throws: StatusError.self) {
            try await c.setScale(.deployment, namespace: "default", name: "web", replicas: 1, resourceVersion: rv)
        }

        let wrongName = try await c.raw(
            method: "PUT", path: Self.deploymentScale,
            body: Array(#"{"kind":"Scale","metadata":{"name":"other"},"spec":{"replicas":1}}"#.utf8))
        #expect(wrongName.status == 400)
    }

    @Test func dryRunAndMissingObjects() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(APICRUDTests.deployment("web", replicas: 2), as: .deployment, namespace: "default")

        let dry = try await c.raw(
            method: "PATCH", path: Self.deploymentScale + "?dryRun=All", body: Array(#"{"spec":{"replicas":9}}"#.utf8),
            contentType: "application/merge-patch+json")
        #expect(dry.status == 200)
        #expect(try Self.json(dry.body)["spec"]?["replicas"]?.intValue == 9)
        #expect(try await c.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue == 2)

        let missing = try await c.raw(method: "GET", path: "/apis/apps/v1/namespaces/default/deployments/nope/scale")
        #expect(missing.status == 404)
        #expect(KubeClient.error(status: missing.status, body: missing.body).message == #"deployments.apps "nope" not found"#)

        // Only Deployments and ReplicaSets scale.
        let pods = try await c.raw(method: "GET", path: "/api/v1/namespaces/default/pods/web/scale")
        #expect(pods.status == 404)
        let delete = try await c.raw(method: "DELETE", path: Self.deploymentScale)
        #expect(delete.status == 405)
    }

    @Test func replicaSetScale() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let c = d.client
        _ = try await c.create(Self.replicaSet("cache", replicas: 1), as: .replicaSet, namespace: "default")
        let before = try await c.getScale(.replicaSet, namespace: "default", name: "cache")
        #expect(before.spec?.replicas == 1)
        #expect(before.status?.selector == "app=cache")
        let after = try await c.setScale(.replicaSet, namespace: "default", name: "cache", replicas: 3)
        #expect(after.spec?.replicas == 3)
        #expect(try await c.get(.replicaSet, namespace: "default", name: "cache").spec?["replicas"]?.intValue == 3)
    }

    @Test func discoveryListsScale() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (status, body) = try await d.client.raw(method: "GET", path: "/apis/apps/v1")
        #expect(status == 200)
        let resources = try Self.json(body)["resources"]?.arrayValue ?? []
        for name in ["deployments/scale", "replicasets/scale"] {
            let entry = resources.first { $0["name"]?.stringValue == name }
            #expect(entry?["kind"]?.stringValue == "Scale")
            #expect(entry?["group"]?.stringValue == "autoscaling")
            #expect(entry?["version"]?.stringValue == "v1")
            #expect(entry?["verbs"]?.arrayValue?.compactMap(\.stringValue).sorted() == ["get", "patch", "update"])
        }
    }
}
