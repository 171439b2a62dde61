import Foundation
import KctlModel
import Testing

@testable import KctlStore

@Suite struct CRUDTests {
    @Test func createSetsMetadataAndGetReturnsIt() async throws {
        try await withStore { store, _ in
            var input = configMap("a")
            input.deletionTimestamp = "2020-01-01T00:00:00Z"
            let created = try await store.create(input, as: .configMap)
            #expect(created.uid?.count == 36)
            #expect(created.uid == created.uid?.lowercased())
            #expect(created.generation == 1)
            #expect(created.resourceVersion == "1")
            #expect(created.creationTimestamp != nil)
            #expect(created.deletionTimestamp == nil)
            let fetched = try await store.get(.configMap, namespace: "default", name: "a")
            #expect(fetched == created)
            #expect(try await store.currentRevision() == 1)
        }
    }

    @Test func worksThroughTheProtocol() async throws {
        try await withStore { concrete, _ in
            let store: any Store = concrete
            let created = try await store.create(configMap("a"), as: .configMap)
            #expect(try await store.get(.configMap, namespace: "default", name: "a") == created)
            #expect(try await store.list(.configMap, namespace: nil).revision == 1)
            #expect(try await store.delete(.configMap, namespace: "default", name: "a").object.uid == created.uid)
        }
    }

    @Test func createKeepsAGivenCreationTimestamp() async throws {
        try await withStore { store, _ in
            var input = configMap("a")
            input.creationTimestamp = "2021-02-03T04:05:06Z"
            let created = try await store.create(input, as: .configMap)
            #expect(created.creationTimestamp == "2021-02-03T04:05:06Z")
        }
    }

    @Test func createTwiceIsAlreadyExists() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            await expectStatus(.alreadyExists) { _ = try await store.create(configMap("a"), as: .configMap) }
            // Same name in another namespace is another object.
            _ = try await store.create(configMap("a", namespace: "other"), as: .configMap)
            #expect(try await store.currentRevision() == 2)
        }
    }

    @Test func missingObjectsAreNotFound() async throws {
        try await withStore { store, _ in
            await expectStatus(.notFound) { _ = try await store.get(.configMap, namespace: "default", name: "x") }
            await expectStatus(.notFound) { _ = try await store.update(configMap("x"), as: .configMap) }
            await expectStatus(.notFound) { _ = try await store.delete(.configMap, namespace: "default", name: "x") }
            await expectStatus(.notFound) {
                _ = try await store.update(.configMap, namespace: "default", name: "x", subresource: .main) { _ in }
            }
        }
    }

    @Test func clusterScopedKindsIgnoreNamespace() async throws {
        try await withStore { store, _ in
            var input = node("n1")
            input.namespace = "junk"
            let created = try await store.create(input, as: .node)
            #expect(created.namespace == nil)
            #expect(try await store.get(.node, namespace: nil, name: "n1") == created)
            let list = try await store.list(.node, namespace: nil)
            #expect(list.items.map(\.name) == ["n1"])
        }
    }

    @Test func updateWithStaleResourceVersionIsConflict() async throws {
        try await withStore { store, _ in
            let created = try await store.create(configMap("a"), as: .configMap)
            var first = created
            first["data"] = ["k": "v2"]
            let updated = try await store.update(first, as: .configMap)
            #expect(updated.resourceVersion == "2")
            var stale = created
            stale["data"] = ["k": "v3"]
            do {
                _ = try await store.update(stale, as: .configMap)
                Issue.record("expected a conflict")
            } catch let error as StatusError {
                #expect(error.reason == .conflict)
                #expect(
                    error.message
                        == "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again"
                )
            }
            // An empty resourceVersion means "unconditional".
            stale.resourceVersion = nil
            let forced = try await store.update(stale, as: .configMap)
            #expect(forced["data"] == ["k": "v3"])
        }
    }

    @Test func updateWithAnotherUIDIsConflict() async throws {
        try await withStore { store, _ in
            var object = try await store.create(configMap("a"), as: .configMap)
            object.uid = "not-the-uid"
            object["data"] = ["k": "x"]
            await expectStatus(.conflict) { _ = try await store.update(object, as: .configMap) }
        }
    }

    @Test func updateKeepsIdentityFields() async throws {
        try await withStore { store, _ in
            let created = try await store.create(configMap("a"), as: .configMap)
            var change = created
            change.uid = nil
            change.creationTimestamp = "1999-01-01T00:00:00Z"
            change.deletionTimestamp = "1999-01-01T00:00:00Z"
            change.labels = ["x": "y"]
            let updated = try await store.update(change, as: .configMap)
            #expect(updated.uid == created.uid)
            #expect(updated.creationTimestamp == created.creationTimestamp)
            #expect(updated.deletionTimestamp == nil)
            #expect(updated.labels == ["x": "y"])
        }
    }

    @Test func generationFollowsSpecChangesOnly() async throws {
        try await withStore { store, _ in
            let created = try await store.create(deployment("d"), as: .deployment)
            #expect(created.generation == 1)

            var labelled = created
            labelled.labels = ["app": "d"]
            let afterLabels = try await store.update(labelled, as: .deployment)
            #expect(afterLabels.generation == 1)
            #expect(afterLabels.resourceVersion == "2")

            var scaled = afterLabels
            scaled.spec = ["replicas": 3]
            let afterSpec = try await store.update(scaled, as: .deployment)
            #expect(afterSpec.generation == 2)

            var withStatus = afterSpec
            withStatus.status = ["replicas": 3]
            let afterStatus = try await store.update(withStatus, as: .deployment, subresource: .status)
            #expect(afterStatus.generation == 2)
            #expect(afterStatus.status == ["replicas": 3])
        }
    }

    @Test func mainUpdateKeepsStatusAndStatusUpdateKeepsSpec() async throws {
        try await withStore { store, _ in
            var created = try await store.create(deployment("d"), as: .deployment)
            created.status = ["replicas": 1]
            let withStatus = try await store.update(created, as: .deployment, subresource: .status)

            var main = withStatus
            main.status = ["replicas": 99]
            main.spec = ["replicas": 5]
            let afterMain = try await store.update(main, as: .deployment)
            #expect(afterMain.status == ["replicas": 1])
            #expect(afterMain.spec == ["replicas": 5])

            var status = afterMain
            status.status = ["replicas": 5]
            status.spec = ["replicas": 7]
            status.labels = ["ignored": "yes"]
            let afterStatus = try await store.update(status, as: .deployment, subresource: .status)
            #expect(afterStatus.status == ["replicas": 5])
            #expect(afterStatus.spec == ["replicas": 5])
            #expect(afterStatus.labels.isEmpty)
            #expect(afterStatus.generation == afterMain.generation)
        }
    }

    @Test func kindsWithoutStatusSubresourceTakeStatusOnMain() async throws {
        try await withStore { store, _ in
            var created = try await store.create(configMap("a"), as: .configMap)
            created.status = ["x": 1]
            let updated = try await store.update(created, as: .configMap)
            #expect(updated.status == ["x": 1])
        }
    }

    @Test func noOpUpdateWritesNothing() async throws {
        try await withStore { store, _ in
            let created = try await store.create(deployment("d"), as: .deployment)
            let events = EventReader(try await store.watch(.deployment, namespace: nil, from: 1))
            let same = try await store.update(created, as: .deployment)
            #expect(same == created)
            var statusOnMain = created
            statusOnMain.status = ["ignored": true]
            #expect(try await store.update(statusOnMain, as: .deployment) == created)
            #expect(
                try await store.update(.deployment, namespace: "default", name: "d", subresource: .main) { _ in }
                    == created)
            #expect(try await store.currentRevision() == 1)
            // The next real change is revision 2, and it is the first event.
            _ = try await store.update(.deployment, namespace: "default", name: "d", subresource: .main) {
                $0.labels = ["a": "b"]
            }
            #expect(try await events.next(1).map(\.revision) == [2])
        }
    }

    @Test func mutateUpdateRunsOnTheCurrentObject() async throws {
        try await withStore { store, _ in
            _ = try await store.create(deployment("d", replicas: 1), as: .deployment)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        _ = try await store.update(.deployment, namespace: "default", name: "d", subresource: .main) {
                            let n = $0.spec?["replicas"]?.intValue ?? 0
                            $0.spec = ["replicas": .int(n + 1)]
                        }
                    }
                }
                try await group.waitForAll()
            }
            let final = try await store.get(.deployment, namespace: "default", name: "d")
            #expect(final.spec == ["replicas": 21])
            #expect(final.generation == 21)
            #expect(final.resourceVersion == "21")
        }
    }

    @Test func mutateStatusChangesOnlyStatus() async throws {
        try await withStore { store, _ in
            _ = try await store.create(deployment("d"), as: .deployment)
            let updated = try await store.update(.deployment, namespace: "default", name: "d", subresource: .status) {
                $0.status = ["ready": true]
                $0.spec = ["replicas": 50]
            }
            #expect(updated.status == ["ready": true])
            #expect(updated.spec == ["replicas": 1])
            #expect(updated.generation == 1)
        }
    }

    @Test func mutateErrorsWriteNothing() async throws {
        try await withStore { store, _ in
            _ = try await store.create(deployment("d"), as: .deployment)
            await expectStatus(.invalid) {
                _ = try await store.update(.deployment, namespace: "default", name: "d", subresource: .main) { _ in
                    throw StatusError.invalid(.deployment, "d", [])
                }
            }
            #expect(try await store.currentRevision() == 1)
            _ = try await store.create(deployment("e"), as: .deployment)
            #expect(try await store.currentRevision() == 2)
        }
    }
}
