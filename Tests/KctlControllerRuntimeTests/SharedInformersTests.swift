import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import func KctlTestSupport.withTimeout
import Testing

@Suite struct SharedInformersTests {
    @Test func oneInformerPerResourceAndNamespace() async throws {
        try await withStore { store in
            let shared = SharedInformers(store: store, logger: .init(label: "test"))
            let configMaps = shared.informer(for: .configMap)
            #expect(shared.informer(for: .configMap) === configMaps)
            #expect(shared.informer(for: .configMap, namespace: "other") !== configMaps)
            let other = shared.informer(for: .configMap, namespace: "other")
            #expect(shared.informer(for: .configMap, namespace: "other") === other)
            // A cluster-scoped kind has no namespace to tell informers apart.
            #expect(shared.informer(for: .node, namespace: "x") === shared.informer(for: .node))
            #expect(shared.count == 3)
            #expect(configMaps.isShared)
            let own = SharedInformers.informer(for: .configMap, from: nil, store: store, logger: .init(label: "test"))
            #expect(!own.isShared)
            let fromShared = SharedInformers.informer(
                for: .configMap, from: shared, store: store, logger: .init(label: "test"))
            #expect(fromShared === configMaps)
        }
    }

    /// Two consumers of one informer each get every change; one stopping (its `run()` cancelled)
    /// does not stop the watch the other still reads.
    @Test func everyConsumerSeesEveryChangeAndStopsAlone() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a"), as: .configMap)
            let shared = SharedInformers(store: store, logger: .init(label: "test"))
            let first = EventLog()
            let second = EventLog()
            shared.informer(for: .configMap).addHandler { first.append("\($0.key)") }
            shared.informer(for: .configMap).addHandler { second.append("\($0.key)") }
            let informer = shared.informer(for: .configMap)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await shared.run() }
                let firstConsumer = Task { try await informer.run() }
                group.addTask { try await informer.run() }
                try await withTimeout(.seconds(10), "sync") { await informer.waitForSync() }
                _ = try await store.create(configMap("b"), as: .configMap)
                try await eventually("b twice") {
                    first.lines.contains("default/b") && second.lines.contains("default/b")
                }

                firstConsumer.cancel()
                try await withTimeout(.seconds(10), "the first consumer's end") { try await firstConsumer.value }
                _ = try await store.create(configMap("c"), as: .configMap)
                try await eventually("c after the first consumer stopped") { second.lines.contains("default/c") }
                group.cancelAll()
            }
            #expect(first.lines.prefix(2) == ["default/a", "default/b"])
            #expect(second.lines == ["default/a", "default/b", "default/c"])
        }
    }

    @Test func anInformerAskedForWhileRunningStarts() async throws {
        try await withStore { store in
            _ = try await store.create(configMap("a", namespace: "late"), as: .configMap)
            let shared = SharedInformers(store: store, logger: .init(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await shared.run() }
                let late = shared.informer(for: .configMap, namespace: "late")
                try await withTimeout(.seconds(10), "sync") { await late.waitForSync() }
                #expect(late.list().map(\.key) == ["late/a"])
                group.cancelAll()
            }
        }
    }
}
