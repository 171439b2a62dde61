import KctlModel
import func KctlTestSupport.withTimeout
import Testing

@testable import KctlStore

@Suite struct WatchTests {
    @Test func replaysHistoryThenLive() async throws {
        try await withStore { store, _ in
            for i in 0..<5 { _ = try await store.create(configMap("cm-\(i)"), as: .configMap) }
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 2))
            _ = try await store.create(configMap("live"), as: .configMap)
            let received = try await events.next(4)
            #expect(received.map(\.revision) == [3, 4, 5, 6])
            #expect(received.map(\.type) == [.added, .added, .added, .added])
            #expect(received.last?.object.name == "live")
            #expect(received.first?.resource == .configMap)
        }
    }

    /// Watches opened while four writers run see exactly R+1, R+2, ... in order: no gap, no
    /// duplicate at the boundary between the replayed log and the live feed. The writers keep
    /// going until every watch is open, so each one crosses that boundary under load.
    @Test func exactlyOnceAcrossReplayAndLiveWhileWriting() async throws {
        try await withStore { store, _ in
            let watchers = 6
            let opened = Locked(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 1...watchers {
                    group.addTask {
                        // Wait (without sleeping) until the writers are some way in.
                        while try await store.currentRevision() < Int64(round) * 100 { await Task.yield() }
                        let start = max(0, try await store.currentRevision() - Int64(round * 17))
                        let reader = EventReader(try await store.watch(.configMap, namespace: nil, from: start))
                        opened.withLock { $0 += 1 }
                        let received = try await reader.next(within: .seconds(30)) { $0.object.name == "done" }
                        let last = try #require(received.last?.revision)
                        #expect(received.map(\.revision) == Array((start + 1)...last))
                    }
                }
                try await withThrowingTaskGroup(of: Void.self) { writers in
                    for writer in 0..<4 {
                        writers.addTask {
                            var i = 0
                            while i < 300 || opened.withLock({ $0 }) < watchers {
                                let step = i
                                if step % 3 == 2 {
                                    _ = try await store.update(
                                        .configMap, namespace: "default", name: "w\(writer)-\(step - 1)",
                                        subresource: .main
                                    ) { $0["data"] = ["k": .string("u\(step)")] }
                                } else {
                                    _ = try await store.create(configMap("w\(writer)-\(step)"), as: .configMap)
                                }
                                i += 1
                            }
                        }
                    }
                    try await writers.waitForAll()
                }
                _ = try await store.create(configMap("done"), as: .configMap)
                try await group.waitForAll()
            }
        }
    }

    @Test func filtersByTypeAndNamespace() async throws {
        try await withStore { store, _ in
            let byType = EventReader(try await store.watch(.deployment, namespace: nil, from: 0))
            let byNamespace = EventReader(try await store.watch(.configMap, namespace: "a", from: 0))
            let anyInB = EventReader(try await store.watch(nil, namespace: "b", from: 0))
            let clusterNodes = EventReader(try await store.watch(.node, namespace: "ignored", from: 0))
            let everything = EventReader(try await store.watch(nil, namespace: nil, from: 0))

            _ = try await store.create(configMap("x", namespace: "a"), as: .configMap)  // 1
            _ = try await store.create(configMap("x", namespace: "b"), as: .configMap)  // 2
            _ = try await store.create(deployment("d", namespace: "a"), as: .deployment)  // 3
            _ = try await store.create(node("n"), as: .node)  // 4
            _ = try await store.create(deployment("d", namespace: "b"), as: .deployment)  // 5

            #expect(try await byType.next(2).map(\.revision) == [3, 5])
            #expect(try await byNamespace.next(1).map(\.revision) == [1])
            #expect(try await anyInB.next(2).map(\.revision) == [2, 5])
            #expect(try await clusterNodes.next(1).map(\.revision) == [4])
            let all = try await everything.next(5)
            #expect(all.map(\.revision) == [1, 2, 3, 4, 5])
            #expect(all.map(\.resource) == [.configMap, .configMap, .deployment, .node, .deployment])

            // The same filters apply to the replayed log.
            #expect(try await EventReader(store.watch(.deployment, namespace: "b", from: 0)).next(1).map(\.revision) == [5])
            #expect(try await EventReader(store.watch(nil, namespace: "a", from: 1)).next(1).map(\.revision) == [3])
        }
    }

    @Test func watchFromTheFutureWaits() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 1))
            _ = try await store.create(configMap("b"), as: .configMap)
            #expect(try await events.next(1).map(\.revision) == [2])
            // from beyond the current revision: nothing is replayed; live events still arrive.
            let ahead = EventReader(try await store.watch(.configMap, namespace: nil, from: 10))
            _ = try await store.create(configMap("c"), as: .configMap)
            #expect(try await ahead.next(1).map(\.revision) == [3])
        }
    }

    @Test func expiredAfterCompaction() async throws {
        try await withStore { store, _ in
            for i in 0..<20 { _ = try await store.create(configMap("cm-\(i)"), as: .configMap) }
            try await store.compact(keepLast: 5)
            #expect(try await store.compactedRevision() == 15)
            await expectStatus(.expired) { _ = try await store.watch(.configMap, namespace: nil, from: 3) }
            await expectStatus(.expired) { _ = try await store.watch(nil, namespace: nil, from: 14) }
            let events = EventReader(try await store.watch(.configMap, namespace: nil, from: 15))
            #expect(try await events.next(5).map(\.revision) == [16, 17, 18, 19, 20])
            // A failed watch leaves no watcher behind.
            #expect(store.hub.watcherCount == 1)
        }
    }

    @Test func droppingTheStreamUnregistersTheWatcher() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            let consumer = Task {
                for try await _ in try await store.watch(nil, namespace: nil, from: 0) {}
            }
            try await withTimeout { while store.hub.watcherCount != 1 { await Task.yield() } }
            consumer.cancel()
            try await withTimeout { while store.hub.watcherCount != 0 { await Task.yield() } }
        }
    }

    @Test func aWatcherTooFarBehindIsExpired() async throws {
        try await withStore(options: StoreOptions(maxWatchBacklog: 10)) { store, _ in
            let stream = try await store.watch(.configMap, namespace: nil, from: 0)
            for i in 0..<15 { _ = try await store.create(configMap("cm-\(i)"), as: .configMap) }
            var received = 0
            do {
                for try await _ in stream { received += 1 }
                Issue.record("expected the stream to fail")
            } catch let error as StatusError {
                #expect(error.reason == .expired)
                #expect(error.code == 410)
            }
            #expect(received == 10)
            #expect(store.hub.watcherCount == 0)
        }
    }

    @Test func closeEndsWatches() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath)
        let stream = try await store.watch(nil, namespace: nil, from: 0)
        store.close()
        let events = try await EventReader(stream).next(1)
        #expect(events.isEmpty)
    }
}
