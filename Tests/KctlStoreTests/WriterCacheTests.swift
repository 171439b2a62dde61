import KctlModel
import Testing

@testable import KctlStore

/// The writer's cache of committed objects, the raw list, events' bytes and ticking watches.
@Suite struct WriterCacheTests {
    @Test func cacheStaysWithinCapacityAndForgetsRemovedKeys() {
        var cache = CurrentObjects(capacity: 3)
        let keys = (0..<10).map { ObjectKey(.configMap, namespace: "default", name: "c\($0)") }
        for key in keys { cache.insert(key, KubeObject(["metadata": .object(["name": .string(key.name)])])) }
        #expect(cache.count == 3)
        let kept = keys.filter { cache[$0] != nil }
        #expect(kept.count == 3)
        #expect(kept.allSatisfy { cache[$0]?.name == $0.name })
        cache.remove(kept[0])
        #expect(cache.count == 2)
        #expect(cache[kept[0]] == nil)
        #expect(cache[kept[1]] != nil && cache[kept[2]] != nil)
        #expect(CurrentObjects(capacity: 0).count == 0)
    }

    /// Updates and deletes go through the cache, also when it is smaller than the working set,
    /// and what they return and store matches the file after a reopen.
    @Test func writesThroughASmallCacheMatchTheFile() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath, options: StoreOptions(writerCacheSize: 2))
        for i in 0..<5 { _ = try await store.create(configMap("c\(i)"), as: .configMap) }
        for i in 0..<5 {
            var next = configMap("c\(i)")
            next["data"] = ["v": .string("updated-\(i)")]
            let updated = try await store.update(next, as: .configMap)
            #expect(updated.generation == 2)
        }
        _ = try await store.delete(.configMap, namespace: "default", name: "c0")
        let written = try await store.list(.configMap, namespace: "default").items
        store.close()
        let reopened = try SQLiteStore(path: dir.dbPath)
        defer { reopened.close() }
        #expect(try await reopened.list(.configMap, namespace: "default").items == written)
        #expect(written.map { $0["data"]?["v"]?.stringValue } == (1..<5).map { "updated-\($0)" })
    }

    /// New Events stay out of the cache: a burst of them would evict what controllers update next.
    @Test func newEventsTakeNoPlaceInTheCache() async throws {
        let dir = try TempDir()
        let store = try SQLiteStore(path: dir.dbPath, options: StoreOptions(writerCacheSize: 10))
        defer { store.close() }
        for i in 0..<2 { _ = try await store.create(configMap("c\(i)"), as: .configMap) }
        for i in 0..<5 {
            let event = KubeObject([
                "apiVersion": "v1", "kind": "Event", "metadata": ["name": .string("e\(i)"), "namespace": "default"],
                "reason": "Tested", "count": 1,
            ])
            _ = try await store.create(event, as: .event)
        }
        #expect(store.writer.cachedKeys == 2)
        // An event changed later (a repeat's count) is read from the file, then kept.
        let repeated = try await store.update(.event, namespace: "default", name: "e3", subresource: .main) {
            $0["count"] = 2
        }
        #expect(repeated["count"] == 2)
        #expect(try await store.get(.event, namespace: "default", name: "e3")["count"] == 2)
        #expect(store.writer.cachedKeys == 3)
    }

    @Test func rawListIsTheStoredBytesOfList() async throws {
        try await withStore { store, _ in
            for name in ["b", "a", "c"] { _ = try await store.create(configMap(name), as: .configMap) }
            let parsed = try await store.list(.configMap, namespace: "default")
            let raw = try await store.listJSON(.configMap, namespace: "default")
            #expect(raw.revision == parsed.revision)
            #expect(raw.items == parsed.items.map { $0.serialized() })
        }
    }

    @Test func eventsCarryTheCommittedBytes() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            _ = try await store.delete(.configMap, namespace: "default", name: "a")
            var seen = 0
            for try await event in try await store.watch(.configMap, namespace: nil, from: 0) {
                #expect(event.objectJSON == event.object.serialized())
                seen += 1
                if seen == 2 { break }
            }
        }
    }

    @Test func tickingWatchDeliversEventsAndTicksInOrder() async throws {
        try await withStore { store, _ in
            _ = try await store.create(configMap("a"), as: .configMap)
            let watch = try await store.tickingWatch(.configMap, namespace: "default", from: 0)
            watch.tick()
            _ = try await store.create(configMap("b"), as: .configMap)
            watch.finish()
            var seen: [String] = []
            for try await event in watch.events { seen.append(event.map { "\($0.type.rawValue) \($0.object.name)" } ?? "tick") }
            #expect(seen == ["ADDED a", "tick", "ADDED b"])
            #expect(store.hub.watcherCount == 0)
        }
    }
}
