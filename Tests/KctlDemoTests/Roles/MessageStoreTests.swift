import Foundation
import Testing

@testable import KctlDemo

/// Several `messages` replicas share one SQLite file (the chat's hostPath volume): connections
/// opened at once, writing at once, each reading what the others wrote.
@Suite struct MessageStoreTests {
    @Test func storesOnOneFileOpenAndWriteConcurrentlyAndSeeEachOther() async throws {
        let directory = try Demo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("messages.sqlite").path
        let replicas = 4
        let perReplica = 50
        // Opened together: the first connections race to create the file and switch it to WAL.
        let stores = try await withThrowingTaskGroup(of: MessageStore.self) { group in
            for _ in 0..<replicas { group.addTask { try MessageStore(path: path) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    for n in 0..<perReplica { _ = try store.add(from: "replica-\(index)", text: "m\(n)") }
                }
            }
            try await group.waitForAll()
        }
        for store in stores {
            #expect(try store.count() == replicas * perReplica)
            let senders = Set(try store.recent(limit: replicas * perReplica).map(\.from))
            #expect(senders.count == replicas)
        }
        let mode = try stores[0].database.query("PRAGMA journal_mode").first?.first?.string
        #expect(mode == "wal")
    }
}
