import KctlModel
import Testing

@testable import KctlStore

@Suite struct ListTests {
    @Test func listIsSortedAndFilteredWithItsRevision() async throws {
        try await withStore { store, _ in
            for (ns, name) in [("b", "y"), ("a", "z"), ("b", "x"), ("a", "a")] {
                _ = try await store.create(configMap(name, namespace: ns), as: .configMap)
            }
            _ = try await store.create(deployment("d", namespace: "a"), as: .deployment)

            let all = try await store.list(.configMap, namespace: nil)
            #expect(all.items.map(\.key) == ["a/a", "a/z", "b/x", "b/y"])
            #expect(all.revision == 5)

            let inB = try await store.list(.configMap, namespace: "b")
            #expect(inB.items.map(\.name) == ["x", "y"])
            #expect(inB.revision == 5)

            #expect(try await store.list(.configMap, namespace: "none").items.isEmpty)
            #expect(try await store.list(.deployment, namespace: nil).items.map(\.name) == ["d"])
        }
    }

    /// Every list sees a snapshot: the items match its revision exactly, while writers run.
    @Test func listIsConsistentUnderConcurrentWrites() async throws {
        try await withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for i in 0..<300 {
                        _ = try await store.create(configMap("cm-\(i)"), as: .configMap)
                    }
                }
                group.addTask {
                    var last: Int64 = 0
                    for _ in 0..<50 {
                        let list = try await store.list(.configMap, namespace: "default")
                        // Only creates happen, one object per revision.
                        #expect(Int64(list.items.count) == list.revision)
                        #expect(list.revision >= last)
                        let newest = list.items.compactMap { Int64($0.resourceVersion ?? "") }.max() ?? 0
                        #expect(newest == list.revision)
                        last = list.revision
                        await Task.yield()
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func concurrentWritersGetUniqueContiguousRevisions() async throws {
        try await withStore { store, _ in
            let revisions = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var mine: [Int64] = []
                        for i in 0..<200 {
                            let created = try await store.create(configMap("w\(writer)-\(i)"), as: .configMap)
                            mine.append(Int64(created.resourceVersion!)!)
                        }
                        return mine
                    }
                }
                var all: [Int64] = []
                for try await part in group { all += part }
                return all
            }
            #expect(revisions.sorted() == Array(1...1600))
            #expect(try await store.list(.configMap, namespace: nil).items.count == 1600)
        }
    }
}
