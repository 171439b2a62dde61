import Foundation
import KctlModel
import KctlStore
import Logging
import Testing

@testable import KctlScheduler

/// The scheduler against a real SQLite store: nodes and pods are objects, the service runs as it
/// does in kctld, and the tests wait (polling with a deadline) for what it writes.
@Suite struct SchedulerServiceTests {
    static let logger = Logger(label: "kctl.scheduler.test")

    /// Runs a scheduler over `store` while `body` runs, then cancels it.
    func withScheduler(_ store: SQLiteStore, _ body: () async throws -> Void) async throws {
        let service = SchedulerService(store: store, logger: Self.logger)
        let task = Task { try await service.run() }
        defer { task.cancel() }
        try await body()
        task.cancel()
        _ = await task.result
    }

    func nodeName(_ store: SQLiteStore, _ name: String) async throws -> String? {
        let pod = try await store.get(.pod, namespace: "default", name: name)
        let node = pod.spec?["nodeName"]?.stringValue ?? ""
        return node.isEmpty ? nil : node
    }

    /// The scheduler's record for a pod, as text.
    func scheduling(_ store: SQLiteStore, _ name: String) async throws -> String? {
        try await store.attachment(Pod.schedulingRecord, of: .pod, namespace: "default", name: name)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// A pod that fits nowhere is tried again whenever a node changes: the same verdict keeps
    /// its record (and the time it was first reached), a different one replaces it.
    @Test func aRepeatedVerdictKeepsItsRecordAndANewOneReplacesIt() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("n1", cpu: "1", zone: "z1"), as: .node)
            _ = try await store.create(podObject("huge", cpu: "8", app: "huge"), as: .pod)
            // Every decision gets a later time than the one before.
            let seconds = Locked(0.0)
            let service = SchedulerService(
                store: store, logger: Self.logger,
                now: { Date(timeIntervalSince1970: seconds.withLock { $0 += 1; return $0 }) })
            let task = Task { try await service.run() }
            defer { task.cancel() }
            try await eventually("the first record") { try await scheduling(store, "huge") != nil }
            let first = try #require(try await scheduling(store, "huge"))

            // A change to the node that frees no room: tried again, the same verdict.
            _ = try await store.update(.node, namespace: nil, name: "n1", subresource: .main) {
                $0.labels["team"] = "a"
            }
            try await eventually("the second attempt") {
                try await events(store, reason: "FailedScheduling").first?["count"]?.intValue == 2
            }
            #expect(try await scheduling(store, "huge") == first)

            // Another node that is too small as well: a new verdict, a new record.
            _ = try await store.create(nodeObject("n2", cpu: "1", zone: "z1"), as: .node)
            try await eventually("the record of two nodes") {
                try await scheduling(store, "huge")?.contains("\"nodeCount\":2") == true
            }
            task.cancel()
            _ = await task.result
        }
    }

    func condition(_ pod: KubeObject) -> JSONValue? {
        pod.status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "PodScheduled" }
    }

    func events(_ store: SQLiteStore, reason: String) async throws -> [KubeObject] {
        try await store.list(.event, namespace: "default").items.filter { $0["reason"]?.stringValue == reason }
    }

    @Test func bindsPendingPodsSpreadAndKeepsOversizedPodPending() async throws {
        try await withStore { store in
            for (name, zone) in [("node-1", "zone-a"), ("node-2", "zone-a"), ("node-3", "zone-b")] {
                _ = try await store.create(nodeObject(name, zone: zone), as: .node)
            }
            for i in 0..<3 {
                _ = try await store.create(podObject("web-\(i)", app: "web", ownerUID: "rs-web"), as: .pod)
            }
            _ = try await store.create(podObject("huge", cpu: "64", app: "huge"), as: .pod)

            try await withScheduler(store) {
                try await eventually("three web pods bound") {
                    var bound = 0
                    for i in 0..<3 where try await nodeName(store, "web-\(i)") != nil { bound += 1 }
                    return bound == 3
                }
                var nodes: [String] = []
                for i in 0..<3 { nodes.append(try await nodeName(store, "web-\(i)")!) }
                #expect(Set(nodes).count == 3, "spread over the nodes: \(nodes)")

                let web = try await store.get(.pod, namespace: "default", name: "web-0")
                #expect(condition(web)?["status"]?.stringValue == "True")
                #expect(web.annotations[Decision.annotationKey] == nil, "the record is kept outside the pod")
                let annotation = try #require(try await scheduling(store, "web-0"))
                let record = try JSONValue.parse(annotation)
                #expect(record["node"]?.stringValue == nodes[0])
                #expect(record["nodes"]?.arrayValue?.count == 3)
                let explanation = SchedulingExplanation.render(annotation: annotation)
                #expect(explanation.first?.hasPrefix("Scheduled to \(nodes[0])") == true)

                try await eventually("the oversized pod marked unschedulable") {
                    let huge = try await store.get(.pod, namespace: "default", name: "huge")
                    return condition(huge)?["reason"]?.stringValue == "Unschedulable"
                }
                let huge = try await store.get(.pod, namespace: "default", name: "huge")
                #expect(huge.spec?["nodeName"]?.stringValue == nil)
                #expect(condition(huge)?["status"]?.stringValue == "False")
                #expect(condition(huge)?["message"]?.stringValue == "0/3 nodes are available: 3 Insufficient cpu.")
                let pending = SchedulingExplanation.render(annotation: try await scheduling(store, "huge") ?? "")
                #expect(pending.first?.contains("0/3 nodes are available: 3 Insufficient cpu.") == true)

                try await eventually("events recorded") {
                    let scheduled = try await events(store, reason: "Scheduled")
                    let failed = try await events(store, reason: "FailedScheduling")
                    return !scheduled.isEmpty && !failed.isEmpty
                }
                let scheduled = try await events(store, reason: "Scheduled").map { $0["message"]?.stringValue ?? "" }
                #expect(scheduled.contains("Successfully assigned default/web-0 to \(nodes[0])"))
                let failed = try await events(store, reason: "FailedScheduling")
                #expect(failed.first?["type"]?.stringValue == "Warning")
                #expect(failed.first?["message"]?.stringValue == "0/3 nodes are available: 3 Insufficient cpu.")
            }
        }
    }

    @Test func aNodeAddedLaterLetsAPendingPodSchedule() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("small", cpu: "1", zone: "zone-a"), as: .node)
            _ = try await store.create(podObject("batch", cpu: "8", app: "batch"), as: .pod)
            try await withScheduler(store) {
                try await eventually("the pod marked unschedulable") {
                    let pod = try await store.get(.pod, namespace: "default", name: "batch")
                    return condition(pod)?["status"]?.stringValue == "False"
                }
                _ = try await store.create(nodeObject("large", cpu: "16", zone: "zone-b"), as: .node)
                try await eventually("the pod bound to the new node", within: .seconds(10)) {
                    try await nodeName(store, "batch") == "large"
                }
                // The binding and the condition are separate writes.
                try await eventually("PodScheduled turns True") {
                    let pod = try await store.get(.pod, namespace: "default", name: "batch")
                    return condition(pod)?["status"]?.stringValue == "True"
                }
            }
        }
    }

    @Test func aDeletedPodFreesRoomForAPendingOne() async throws {
        try await withStore { store in
            _ = try await store.create(nodeObject("only", cpu: "1", zone: "zone-a"), as: .node)
            _ = try await store.create(podObject("first", cpu: "800m", app: "a"), as: .pod)
            try await withScheduler(store) {
                try await eventually("first bound") { try await nodeName(store, "first") == "only" }
                _ = try await store.create(podObject("second", cpu: "800m", app: "b"), as: .pod)
                try await eventually("second unschedulable") {
                    let pod = try await store.get(.pod, namespace: "default", name: "second")
                    return condition(pod)?["message"]?.stringValue == "0/1 nodes are available: 1 Insufficient cpu."
                }
                // Force-deleted: with no node agent running here, a graceful delete would wait for one.
                _ = try await store.delete(
                    .pod, namespace: "default", name: "first", preconditions: .init(), gracePeriodSeconds: 0)
                try await eventually("second bound once first is gone") { try await nodeName(store, "second") == "only" }
            }
        }
    }

    @Test func backToBackPodsSeeEachOthersRequests() async throws {
        try await withStore { store in
            // Room for exactly four 1-cpu pods; ten arrive at once.
            _ = try await store.create(nodeObject("n1", cpu: "2", zone: "zone-a"), as: .node)
            _ = try await store.create(nodeObject("n2", cpu: "2", zone: "zone-b"), as: .node)
            for i in 0..<10 { _ = try await store.create(podObject("job-\(i)", cpu: "1", app: "job"), as: .pod) }
            try await withScheduler(store) {
                try await eventually("four bound, six unschedulable") {
                    var bound = 0
                    var unschedulable = 0
                    for pod in try await store.list(.pod, namespace: "default").items {
                        if !(pod.spec?["nodeName"]?.stringValue ?? "").isEmpty { bound += 1 }
                        if condition(pod)?["reason"]?.stringValue == "Unschedulable" { unschedulable += 1 }
                    }
                    return bound == 4 && unschedulable == 6
                }
                var perNode: [String: Int] = [:]
                for pod in try await store.list(.pod, namespace: "default").items {
                    if let node = pod.spec?["nodeName"]?.stringValue, !node.isEmpty { perNode[node, default: 0] += 1 }
                }
                #expect(perNode == ["n1": 2, "n2": 2])
            }
        }
    }
}
