import Foundation
import KctlModel
import Testing

@testable import KctlStore

/// Attachments: data kept with an object for as long as it lives, outside its value, its watch
/// events and the revision counter.
@Suite struct AttachmentTests {
    struct Refused: Error {}

    func note(_ text: String) -> ObjectAttachment { ObjectAttachment(name: "note", value: Array(text.utf8)) }

    func read(_ store: SQLiteStore, _ name: String, attachment: String = "note") async throws -> String? {
        try await store.attachment(attachment, of: .configMap, namespace: "default", name: name)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func anAttachmentIsStoredReplacedAndReadBackWithoutChangingTheObject() async throws {
        try await withStore { store, _ in
            let created = try await store.create(configMap("a"), as: .configMap)
            #expect(try await read(store, "a") == nil)
            try await store.attach(note("first"), to: .configMap, namespace: "default", name: "a")
            try await store.attach(note("second"), to: .configMap, namespace: "default", name: "a")
            try await store.attach(
                ObjectAttachment(name: "other", value: Array("x".utf8)), to: .configMap, namespace: "default", name: "a")
            #expect(try await read(store, "a") == "second")
            #expect(try await read(store, "a", attachment: "other") == "x")
            // No revision, no change to the object's value.
            #expect(try await store.currentRevision() == 1)
            let stored = try await store.get(.configMap, namespace: "default", name: "a")
            #expect(stored == created)
        }
    }

    @Test func aMissingObjectIsNotFoundBothWays() async throws {
        try await withStore { store, _ in
            await #expect(throws: StatusError.self) {
                try await store.attach(note("x"), to: .configMap, namespace: "default", name: "missing")
            }
            do {
                _ = try await read(store, "missing")
                Issue.record("reading an attachment of a missing object succeeded")
            } catch let error as StatusError {
                #expect(error.reason == .notFound)
            }
            #expect(try await store.currentRevision() == 0)
        }
    }

    /// In a batch the attachment goes with its mutation: stored when the mutation succeeds,
    /// even when it changes nothing (no event then), and not when the mutation fails.
    @Test func aMutationStoresItsAttachmentOnlyWhenItSucceeds() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            _ = try await store.create(configMap("b"), as: .configMap)
            _ = try await store.create(configMap("c"), as: .configMap)
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 3))
            let results = await store.write([
                .mutate(.configMap, namespace: "default", name: "a", subresource: .main, attaching: note("changed")) {
                    $0.json["data"] = ["k": "a2"]
                },
                .mutate(.configMap, namespace: "default", name: "b", subresource: .main, attaching: note("same")) { _ in },
                .mutate(.configMap, namespace: "default", name: "c", subresource: .main, attaching: note("refused")) { _ in
                    throw Refused()
                },
                .mutate(.configMap, namespace: "default", name: "gone", subresource: .main, attaching: note("gone")) {
                    _ in
                },
            ])
            #expect(results[0].object?.resourceVersion == "4")
            #expect(results[1].object?.resourceVersion == "2")
            #expect(results[2].error is Refused)
            #expect((results[3].error as? StatusError)?.reason == .notFound)
            #expect(try await read(store, "a") == "changed")
            #expect(try await read(store, "b") == "same")
            #expect(try await read(store, "c") == nil)
            #expect(try await store.currentRevision() == 4)
            // Only a's change made an event, and it does not carry the attachment.
            _ = try await store.create(configMap("d"), as: .configMap)
            let received = try await events.next(2)
            #expect(received.map(\.object.name) == ["a", "d"])
            #expect(!String(decoding: received[0].objectJSON, as: UTF8.self).contains("changed"))
        }
    }

    /// A batch made only of attachments still commits.
    @Test func aBatchWhoseOnlyWriteIsAnUnchangedMutationWithAnAttachmentCommitsIt() async throws {
        try await withStore { store, path in
            _ = try await store.create(configMap("a"), as: .configMap)
            let results = await store.write([
                .mutate(.configMap, namespace: "default", name: "a", subresource: .main, attaching: note("kept")) { _ in }
            ])
            #expect(results[0].error == nil)
            store.close()
            let reopened = try SQLiteStore(path: path)
            defer { reopened.close() }
            #expect(try await read(reopened, "a") == "kept")
        }
    }

    @Test func deletingTheObjectDeletesItsAttachments() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            try await store.attach(note("old life"), to: .configMap, namespace: "default", name: "a")
            _ = try await store.delete(.configMap, namespace: "default", name: "a")
            _ = try await store.create(configMap("a"), as: .configMap)
            #expect(try await read(store, "a") == nil, "a new object of the same name starts with none")
        }
    }

    /// An object held by a finalizer keeps its attachments until it is removed, also when the
    /// write that removes it (clearing the last finalizer) carries an attachment.
    @Test func anObjectBeingDeletedKeepsThemUntilItIsRemoved() async throws {
        try await withStore { store, _ in
            var held = configMap("a")
            held.finalizers = ["example.com/hold"]
            _ = try await store.create(held, as: .configMap)
            try await store.attach(note("while deleting"), to: .configMap, namespace: "default", name: "a")
            _ = try await store.delete(.configMap, namespace: "default", name: "a")
            #expect(try await read(store, "a") == "while deleting")
            let results = await store.write([
                .mutate(.configMap, namespace: "default", name: "a", subresource: .main, attaching: note("too late")) {
                    $0.finalizers = []
                }
            ])
            #expect(results[0].error == nil)
            _ = try await store.create(configMap("a"), as: .configMap)
            #expect(try await read(store, "a") == nil)
        }
    }

    /// A file of version 2 (no `attachments` table) gets one when opened.
    @Test func aFileOfTheSecondLayoutGainsTheTable() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath)
        _ = try await store.create(configMap("a"), as: .configMap)
        store.close()
        let db = try SQLiteConnection(path: dir.dbPath, readOnly: false, busyTimeout: .seconds(5))
        try db.execute("DROP TABLE attachments; PRAGMA user_version = 2")
        db.close()

        let reopened = try SQLiteStore(path: dir.dbPath)
        defer { reopened.close() }
        #expect(try await read(reopened, "a") == nil)
        try await reopened.attach(note("after"), to: .configMap, namespace: "default", name: "a")
        #expect(try await read(reopened, "a") == "after")
        #expect(try await reopened.get(.configMap, namespace: "default", name: "a").name == "a")
    }
}
