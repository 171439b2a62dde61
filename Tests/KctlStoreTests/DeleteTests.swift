import KctlModel
import Testing

@testable import KctlStore

@Suite struct DeleteTests {
    @Test func deleteRemovesAndSendsDeletedAtItsRevision() async throws {
        try await withStore { store, _ in
            let created = try await store.create(configMap("a"), as: .configMap)
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 1))
            let result = try await store.delete(.configMap, namespace: "default", name: "a")
            guard case .deleted(let deleted) = result else {
                Issue.record("expected .deleted, got \(result)")
                return
            }
            #expect(deleted.resourceVersion == "2")
            #expect(deleted.uid == created.uid)
            await expectStatus(.notFound) { _ = try await store.get(.configMap, namespace: "default", name: "a") }
            let received = try await events.next(1)
            #expect(received.map(\.type) == [.deleted])
            #expect(received.first?.revision == 2)
            #expect(received.first?.object == deleted)
            // The name is free again.
            let again = try await store.create(configMap("a"), as: .configMap)
            #expect(again.uid != created.uid)
        }
    }

    @Test func finalizersDelayDeletionUntilCleared() async throws {
        try await withStore { store, _ in
            var input = configMap("a")
            input.finalizers = ["example.com/cleanup", "example.com/other"]
            _ = try await store.create(input, as: .configMap)
            let events = EventReader(try await store.watch(.configMap, namespace: "default", from: 1))

            let first = try await store.delete(.configMap, namespace: "default", name: "a")
            guard case .pending(let marked) = first else {
                Issue.record("expected .pending, got \(first)")
                return
            }
            #expect(marked.deletionTimestamp != nil)
            #expect(marked.resourceVersion == "2")

            // A second delete changes nothing.
            let second = try await store.delete(.configMap, namespace: "default", name: "a")
            #expect(second.object == marked)
            #expect(try await store.currentRevision() == 2)

            // Updates cannot clear the deletion timestamp; removing one finalizer keeps the object.
            var partial = marked
            partial.finalizers = ["example.com/other"]
            partial.deletionTimestamp = nil
            let afterPartial = try await store.update(partial, as: .configMap)
            #expect(afterPartial.deletionTimestamp == marked.deletionTimestamp)
            #expect(afterPartial.finalizers == ["example.com/other"])

            // Removing the last one deletes it.
            let removed = try await store.update(.configMap, namespace: "default", name: "a", subresource: .main) {
                $0.finalizers = []
            }
            #expect(removed.resourceVersion == "4")
            await expectStatus(.notFound) { _ = try await store.get(.configMap, namespace: "default", name: "a") }

            let received = try await events.next(3)
            #expect(received.map(\.type) == [.modified, .modified, .deleted])
            #expect(received.map(\.revision) == [2, 3, 4])
        }
    }

    @Test func deletePreconditions() async throws {
        try await withStore { store, _ in
            let created = try await store.create(configMap("a"), as: .configMap)
            await expectStatus(.conflict) {
                _ = try await store.delete(
                    .configMap, namespace: "default", name: "a", preconditions: Preconditions(uid: "other"))
            }
            await expectStatus(.conflict) {
                _ = try await store.delete(
                    .configMap, namespace: "default", name: "a", preconditions: Preconditions(resourceVersion: "99"))
            }
            #expect(try await store.currentRevision() == 1)
            let result = try await store.delete(
                .configMap, namespace: "default", name: "a",
                preconditions: Preconditions(uid: created.uid, resourceVersion: created.resourceVersion))
            #expect(result.object.uid == created.uid)
        }
    }
}
