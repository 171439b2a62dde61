import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import class KctlTestSupport.BlockingExecutor
import func KctlTestSupport.withTimeout
import Testing

@Suite struct InformerTests {
    /// Runs an informer over `store` while `body` runs.
    func withInformer(
        _ store: SQLiteStore, _ resource: ResourceType = .configMap, namespace: String? = nil,
        setUp: (Informer) -> Void = { _ in }, _ body: @escaping @Sendable (Informer) async throws -> Void
    ) async throws {
        let informer = Informer(store: store, resource: resource, namespace: namespace)
        setUp(informer)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await informer.run() }
            try await withTimeout(.seconds(10), "sync") { await informer.waitForSync() }
            try await body(informer)
            group.cancelAll()
        }
    }

    @Test func listsThenWatchesIntoTheCache() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a", labels: ["app": "web"]), as: .configMap)
            _ = try await store.create(configMap("b", namespace: "other"), as: .configMap)
            let log = EventLog()
            try await withInformer(store, setUp: { informer in
                informer.addHandler { event in
                    switch event {
                    case .added(let o): log.append("added \(o.key)")
                    case .updated(let old, let new):
                        log.append("updated \(new.key) \(old.json["data"]?["value"]?.stringValue ?? "")->\(new.json["data"]?["value"]?.stringValue ?? "")")
                    case .deleted(let o): log.append("deleted \(o.key)")
                    }
                }
            }) { informer in
                #expect(informer.hasSynced)
                #expect(informer.list().map(\.key) == ["default/a", "other/b"])
                #expect(informer.list(namespace: "other").map(\.name) == ["b"])
                #expect(informer.get(namespace: "default", name: "a")?.labels == ["app": "web"])

                _ = try await store.create(configMap("c", labels: ["app": "web"]), as: .configMap)
                _ = try await store.update(.configMap, namespace: "default", name: "a", subresource: .main) {
                    $0.json["data"] = ["value": "y"]
                }
                _ = try await store.delete(.configMap, namespace: "other", name: "b")
                try await eventually("the changes in the cache") {
                    informer.list().map(\.key) == ["default/a", "default/c"]
                        && informer.get(namespace: "default", name: "a")?.json["data"]?["value"] == "y"
                }
                let selector = LabelSelector(matchLabels: ["app": "web"])
                #expect(informer.list(namespace: "default", selector: selector).map(\.name) == ["a", "c"])
                #expect(informer.revision == (try await store.currentRevision()))
            }
            #expect(
                log.lines == [
                    "added default/a", "added other/b", "added default/c", "updated default/a x->y", "deleted other/b",
                ])
        }
    }

    @Test func oneNamespaceOnly() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a"), as: .configMap)
            _ = try await store.create(configMap("b", namespace: "other"), as: .configMap)
            try await withInformer(store, namespace: "other") { informer in
                #expect(informer.list().map(\.key) == ["other/b"])
                _ = try await store.create(configMap("c"), as: .configMap)
                _ = try await store.create(configMap("d", namespace: "other"), as: .configMap)
                try await eventually("d") { informer.get(namespace: "other", name: "d") != nil }
                #expect(informer.list().map(\.key) == ["other/b", "other/d"])
            }
        }
    }

    @Test func indexesFollowChanges() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a", labels: ["team": "x"]), as: .configMap)
            try await withInformer(store, setUp: { informer in
                informer.addIndex("team") { [$0.labels["team"] ?? ""] }
            }) { informer in
                #expect(informer.list(index: "team", value: "x").map(\.name) == ["a"])
                _ = try await store.create(configMap("b", labels: ["team": "x"]), as: .configMap)
                _ = try await store.update(.configMap, namespace: "default", name: "a", subresource: .main) {
                    $0.labels = ["team": "y"]
                }
                try await eventually("the index to follow") {
                    informer.list(index: "team", value: "x").map(\.name) == ["b"]
                        && informer.list(index: "team", value: "y").map(\.name) == ["a"]
                }
            }
        }
    }

    @Test func restartRelistsAndEmitsOnlyTheDifference() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("keep"), as: .configMap)
            _ = try await store.create(configMap("change"), as: .configMap)
            _ = try await store.create(configMap("remove"), as: .configMap)
            let log = EventLog()
            let informer = Informer(store: store, resource: .configMap)
            informer.addHandler { event in
                switch event {
                case .added(let o): log.append("added \(o.name)")
                case .updated(_, let new): log.append("updated \(new.name)")
                case .deleted(let o): log.append("deleted \(o.name)")
                }
            }
            // Sync once, then stop, change the store behind the informer's back and compact the
            // log so that watching from the old revision is Gone.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await withTimeout { await informer.waitForSync() }
                group.cancelAll()
            }
            #expect(log.lines == ["added change", "added keep", "added remove"])
            _ = try await store.update(.configMap, namespace: "default", name: "change", subresource: .main) {
                $0.json["data"] = ["value": "new"]
            }
            _ = try await store.delete(.configMap, namespace: "default", name: "remove")
            _ = try await store.create(configMap("new"), as: .configMap)
            try await store.compact(keepLast: 0)

            // Running again resumes the cache it has; the relist after Gone emits only the differences.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await informer.run() }
                try await eventually("the relist") { informer.list().map(\.name) == ["change", "keep", "new"] }
                group.cancelAll()
            }
            #expect(
                log.lines == [
                    "added change", "added keep", "added remove", "updated change", "added new", "deleted remove",
                ])
            #expect(informer.get(namespace: "default", name: "change")?.json["data"]?["value"] == "new")
        }
    }

    @Test func watchThatFallsBehindIsGoneAndTheInformerRelists() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kctl-rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A watch more than 2 events behind is ended with Expired (410).
        let store = try SQLiteStore(
            path: dir.appendingPathComponent("state.db").path, options: StoreOptions(maxWatchBacklog: 2))
        defer { store.close() }
        let log = EventLog()
        let informer = Informer(store: store, resource: .configMap)
        let gate = EventLog()
        let release = DispatchSemaphore(value: 0)
        informer.addHandler { event in
            if case .added(let o) = event { log.append(o.name) }
            // Hold up the first event until the writes below have overflowed the watch.
            if gate.lines.isEmpty {
                gate.append("held")
                _ = release.wait(timeout: .now() + 10)
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The handler blocks its thread on purpose: not one of the cooperative pool's.
            group.addTask(executorPreference: BlockingExecutor()) { try await informer.run() }
            try await withTimeout { await informer.waitForSync() }
            _ = try await store.create(configMap("first"), as: .configMap)
            try await eventually("the handler to hold") { !gate.lines.isEmpty }
            for i in 0..<10 { _ = try await store.create(configMap("c\(i)"), as: .configMap) }
            release.signal()
            try await eventually("all objects after the relist") { informer.count == 11 }
            group.cancelAll()
        }
        // Every object was announced exactly once, whether by the watch or by the relist.
        #expect(log.lines.sorted() == (["first"] + (0..<10).map { "c\($0)" }).sorted())
    }

    @Test func watchExpiryWhileRunningRelists() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a"), as: .configMap)
            try await withInformer(store) { informer in
                // A watcher that was behind the compacted revision sees Expired on its next watch;
                // here a fresh informer started from revision 0 after compaction must still list.
                try await store.compact(keepLast: 0)
                let second = Informer(store: store, resource: .configMap)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await second.run() }
                    try await withTimeout { await second.waitForSync() }
                    #expect(second.list().map(\.name) == ["a"])
                    _ = try await store.create(configMap("b"), as: .configMap)
                    try await eventually("b in both") {
                        second.get(namespace: "default", name: "b") != nil
                            && informer.get(namespace: "default", name: "b") != nil
                    }
                    group.cancelAll()
                }
            }
        }
    }

    @Test func clusterScopedKinds() async throws {
        try await withStore { store in
            var node = KubeObject(["apiVersion": "v1", "kind": "Node"])
            node.name = "n1"
            _ = try await store.create(node, as: .node)
            try await withInformer(store, .node) { informer in
                #expect(informer.get(namespace: nil, name: "n1") != nil)
                #expect(informer.get(namespace: "ignored", name: "n1") != nil)
                #expect(informer.keys() == [ObjectKey(namespace: nil, name: "n1")])
            }
        }
    }
}
