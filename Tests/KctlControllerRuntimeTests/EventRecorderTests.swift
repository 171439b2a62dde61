import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging
import func KctlTestSupport.withTimeout
import Testing

@Suite struct EventRecorderTests {
    func deployment(_ store: SQLiteStore) async throws -> KubeObject {
        var object = KubeObject(["apiVersion": "apps/v1", "kind": "Deployment", "spec": [:]])
        object.name = "messages"
        object.namespace = "default"
        return try await store.create(object, as: .deployment)
    }

    @Test func recordsAndAggregatesRepeats() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let recorder = EventRecorder(
                store: store, component: "deployment-controller", logger: Logger(label: "test"), now: { clock.date })
            let object = try await deployment(store)
            await recorder.normal(object, reason: "ScalingReplicaSet", message: "Scaled up replica set messages-7d9f from 0 to 2")
            clock.advance(by: .seconds(10))
            await recorder.normal(object, reason: "ScalingReplicaSet", message: "Scaled up replica set messages-7d9f from 0 to 2")
            await recorder.warning(object, reason: "FailedCreate", message: "quota")

            let events = try await store.list(.event, namespace: "default").items
            #expect(events.count == 2)
            let scaling = try #require(events.first { $0.json["reason"] == "ScalingReplicaSet" })
            #expect(scaling.name.hasPrefix("messages."))
            #expect(scaling.json["count"] == 2)
            #expect(scaling.json["type"] == "Normal")
            #expect(scaling.json["firstTimestamp"] == .string(Timestamp.format(Date(timeIntervalSince1970: 1_700_000_000))))
            #expect(scaling.json["lastTimestamp"] == .string(Timestamp.format(Date(timeIntervalSince1970: 1_700_000_010))))
            #expect(scaling.json["source"]?["component"] == "deployment-controller")
            #expect(scaling.json["reportingComponent"] == "deployment-controller")
            let involved = try #require(scaling.json["involvedObject"])
            #expect(involved["kind"] == "Deployment")
            #expect(involved["name"] == "messages")
            #expect(involved["namespace"] == "default")
            #expect(involved["apiVersion"] == "apps/v1")
            #expect(involved["uid"]?.stringValue == object.uid)
            // The typed kind reads what was written.
            let typed = try Event(scaling)
            #expect(typed.count == 2)
            let warning = try #require(events.first { $0.json["reason"] == "FailedCreate" })
            #expect(warning.json["type"] == "Warning")
            #expect(warning.json["count"] == 1)
        }
    }

    /// Beyond `cacheLimit` distinct events the oldest are forgotten: a repeat of one starts a
    /// new Event, a repeat of a remembered one is aggregated. Many rounds past the limit.
    @Test func forgetsTheOldestBeyondTheCacheLimit() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "test", logger: Logger(label: "test"), cacheLimit: 3)
            let object = try await deployment(store)
            for round in 0..<10 {
                await recorder.normal(object, reason: "R", message: "m\(round)")
            }
            await recorder.normal(object, reason: "R", message: "m0")  // forgotten: a new Event
            await recorder.normal(object, reason: "R", message: "m9")  // remembered: aggregated
            let events = try await store.list(.event, namespace: "default").items
            #expect(events.count == 11)
            #expect(events.filter { $0.json["message"] == "m0" }.map { $0.json["count"] } == [1, 1])
            #expect(events.filter { $0.json["message"] == "m9" }.map { $0.json["count"] } == [2])
        }
    }

    @Test func aRepeatAfterTheEventWasDeletedStartsANewOne() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "test", logger: Logger(label: "test"))
            let object = try await deployment(store)
            await recorder.normal(object, reason: "R", message: "m")
            let first = try #require(try await store.list(.event, namespace: "default").items.first)
            _ = try await store.delete(.event, namespace: "default", name: first.name)
            await recorder.normal(object, reason: "R", message: "m")
            let events = try await store.list(.event, namespace: "default").items
            #expect(events.count == 1)
            #expect(events.first?.json["count"] == 1)
        }
    }

    @Test func clusterScopedObjectsGetEventsInDefault() async throws {
        try await withStore { store in
            let recorder = EventRecorder(store: store, component: "node-controller", logger: Logger(label: "test"))
            var node = KubeObject(["apiVersion": "v1", "kind": "Node"])
            node.name = "n1"
            node = try await store.create(node, as: .node)
            await recorder.normal(node, reason: "NodeReady", message: "Node n1 status is now: NodeReady")
            let events = try await store.list(.event, namespace: "default").items
            #expect(events.map { $0.json["involvedObject"]?["namespace"] } == [nil])
            #expect(events.first?.name.hasPrefix("n1.") == true)
        }
    }

    @Test func expiryDeletesEventsOlderThanTheTTL() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let recorder = EventRecorder(store: store, component: "test", logger: Logger(label: "test"), now: { clock.date })
            let object = try await deployment(store)
            await recorder.normal(object, reason: "Old", message: "m")
            clock.advance(by: .seconds(1800))
            await recorder.normal(object, reason: "Young", message: "m")
            let expiry = EventExpiry(
                store: store, options: .init(ttl: .seconds(3600), interval: .seconds(60)), logger: Logger(label: "test"),
                clock: clock, now: { clock.date })
            #expect(await expiry.expire() == 0)
            clock.advance(by: .seconds(1801))
            #expect(await expiry.expire() == 1)
            let left = try await store.list(.event, namespace: nil).items
            #expect(left.map { $0.json["reason"] } == ["Young"])
        }
    }

    @Test func expiryRunsOnItsInterval() async throws {
        try await withStore { store in
            let clock = ManualClock()
            let recorder = EventRecorder(store: store, component: "test", logger: Logger(label: "test"), now: { clock.date })
            await recorder.normal(try await deployment(store), reason: "Old", message: "m")
            let expiry = EventExpiry(
                store: store, options: .init(ttl: .seconds(60), interval: .seconds(30)), logger: Logger(label: "test"),
                clock: clock, now: { clock.date })
            let task = Task { try await expiry.run() }
            await clock.waitForSleepers(1)
            clock.advance(by: .seconds(61))
            try await eventually("the event to expire") { try await store.list(.event, namespace: nil).items.isEmpty }
            task.cancel()
            try await withTimeout { try await task.value }
        }
    }
}
