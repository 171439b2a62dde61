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

    /// Replicas starting together on a new file each switch it to WAL; two connections doing that
    /// at once used to fail one of them with "database is locked" (each held a shared lock while
    /// waiting for the exclusive one). Eight threads open each of 30 new files at the same moment.
    @Test func connectionsOpeningANewFileAtOnceAllSucceed() throws {
        let directory = try Demo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let failures = Locked<[String]>([])
        for trial in 0..<30 {
            let path = directory.appendingPathComponent("race-\(trial).sqlite").path
            let threads = 8
            let ready = DispatchSemaphore(value: 0)
            let go = DispatchSemaphore(value: 0)
            let done = DispatchGroup()
            for _ in 0..<threads {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    ready.signal()
                    go.wait()
                    do { _ = try MessageStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
                }
            }
            for _ in 0..<threads { ready.wait() }
            for _ in 0..<threads { go.signal() }
            done.wait()
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
    }
}
