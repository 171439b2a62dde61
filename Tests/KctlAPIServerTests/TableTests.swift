import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import KctlAPIServer
import KctlModel
import KctlTestSupport
import Testing

/// Server-side `Table` answers: what kubectl's `get` asks for and prints.
@Suite struct TableTests {
    static let kubectlAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

    // MARK: Negotiation

    @Test func acceptChoosesTheFirstServedRepresentation() throws {
        let none = Query(nil)
        #expect(try ReadFormat.negotiate(accept: nil, query: none) == .json)
        #expect(try ReadFormat.negotiate(accept: "application/json, */*", query: none) == .json)
        #expect(try ReadFormat.negotiate(accept: "application/vnd.kubernetes.protobuf, */*", query: none) == .json)
        #expect(
            try ReadFormat.negotiate(accept: Self.kubectlAccept, query: none)
                == .table(apiVersion: "meta.k8s.io/v1", include: .metadata))
        #expect(
            try ReadFormat.negotiate(accept: "application/json;as=Table;v=v1beta1;g=meta.k8s.io", query: Query("includeObject=Object"))
                == .table(apiVersion: "meta.k8s.io/v1beta1", include: .object))
        // A Table of another group, or partial metadata, is not served: the next entry decides.
        #expect(
            try ReadFormat.negotiate(accept: "application/json;as=Table;v=v1;g=example.com, application/json", query: none) == .json)
    }

    @Test func onlyUnservedRepresentationsAreNotAcceptable() {
        #expect(throws: StatusError.self) {
            try ReadFormat.negotiate(accept: "application/vnd.kubernetes.protobuf", query: Query(nil))
        }
        #expect(throws: StatusError.self) {
            try ReadFormat.negotiate(accept: "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io", query: Query(nil))
        }
        #expect(throws: StatusError.self) {
            try ReadFormat.negotiate(accept: Self.kubectlAccept, query: Query("includeObject=Everything"))
        }
    }

    // MARK: Building tables

    static let now = Timestamp.parse("2024-05-01T12:00:00Z")!

    static let pod = try! KubeObject(json: [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "web-1", "namespace": "shop", "labels": ["app": "web"], "creationTimestamp": "2024-05-01T11:55:00Z"],
        "spec": ["nodeName": "node-1", "containers": [["name": "a"], ["name": "b"]]],
        "status": [
            "phase": "Running", "podIP": "127.1.0.7",
            "containerStatuses": [
                ["name": "a", "ready": true, "restartCount": 0, "state": ["running": [:]]],
                ["name": "b", "ready": false, "restartCount": 2, "state": ["running": [:]]],
            ],
        ],
    ])

    @Test func podTableHasKubectlsColumnsWithWideOnesAtPriorityOne() throws {
        let table = TableResponse.table(.pod, [Self.pod], apiVersion: "meta.k8s.io/v1", include: .metadata, revision: "42", now: Self.now)
        #expect(table["kind"] == "Table")
        #expect(table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"]?["resourceVersion"] == "42")
        let columns = try #require(table["columnDefinitions"]?.arrayValue)
        #expect(columns.map { $0["name"]?.stringValue ?? "" } == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"])
        #expect(columns.map { $0["priority"]?.intValue ?? -1 } == [0, 0, 0, 0, 0, 1, 1])
        #expect(columns[0]["format"] == "name")
        #expect(columns.allSatisfy { !($0["description"]?.stringValue ?? "").isEmpty })
        let row = try #require(table["rows"]?.arrayValue?.first)
        #expect(row["cells"] == ["web-1", "1/2", "Running", "2", "5m", "127.1.0.7", "node-1"])
        // The row's object is PartialObjectMetadata: kubectl reads NAMESPACE and LABELS from it.
        #expect(row["object"]?["kind"] == "PartialObjectMetadata")
        #expect(row["object"]?["metadata"]?["namespace"] == "shop")
        #expect(row["object"]?["metadata"]?["labels"]?["app"] == "web")
        #expect(row["object"]?["spec"] == nil)
    }

    @Test func integerColumnsAreNumbersAndIncludeObjectIsHonoured() throws {
        let secret = try KubeObject(json: [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "creationTimestamp": "2024-05-01T11:59:00Z"],
            "type": "Opaque", "data": ["a": "Yg==", "b": "Yw=="],
        ])
        let full = TableResponse.table(.secret, [secret], apiVersion: "meta.k8s.io/v1", include: .object, revision: nil, now: Self.now)
        let row = try #require(full["rows"]?.arrayValue?.first)
        #expect(row["cells"] == ["s", "Opaque", .int(2), "60s"])
        #expect(row["object"] == secret.value)
        let bare = TableResponse.table(.secret, [secret], apiVersion: "meta.k8s.io/v1", include: .none, revision: nil, now: Self.now)
        #expect(bare["rows"]?.arrayValue?.first?["object"] == nil)
    }

    @Test func everyServedKindHasNameFirstOrEventsColumns() {
        for type in ResourceType.all {
            let names = ObjectTable.columns(for: type).map(\.name)
            if type == .event {
                #expect(names.first == "LAST SEEN")
            } else {
                #expect(names.first == "NAME", "\(type.plural)")
                #expect(names.contains("AGE"), "\(type.plural)")
            }
        }
    }

    // MARK: Over HTTP

    @Test func listGetAndWatchAnswerTablesWhenAsked() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        _ = try await d.client.create(
            KubeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"], "data": ["a": "1", "b": "2"]]),
            as: .configMap, namespace: "default")

        let list = try await Self.get(d, "/api/v1/namespaces/default/configmaps?limit=500", accept: Self.kubectlAccept)
        #expect(list["kind"] == "Table")
        #expect(list["rows"]?.arrayValue?.map { $0["cells"]?.arrayValue?.prefix(2).map { $0 } ?? [] } == [["c", .int(2)]])
        #expect(list["metadata"]?["resourceVersion"]?.stringValue != nil)

        let one = try await Self.get(d, "/api/v1/namespaces/default/configmaps/c", accept: Self.kubectlAccept)
        #expect(one["kind"] == "Table")
        #expect(one["rows"]?.arrayValue?.count == 1)

        let plain = try await Self.get(d, "/api/v1/namespaces/default/configmaps/c", accept: "application/json")
        #expect(plain["kind"] == "ConfigMap")

        // A watch from "0" starts with the current objects; each event's object is a one-row Table.
        let watched = try await Self.raw(
            d, "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0&timeoutSeconds=1", accept: Self.kubectlAccept)
        let events = try watched.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.map { try JSONValue.parse(Array($0)) }
        #expect(events.count == 1)
        #expect(events.first?["type"] == "ADDED")
        #expect(events.first?["object"]?["kind"] == "Table")
        #expect(events.first?["object"]?["rows"]?.arrayValue?.first?["cells"]?.arrayValue?.first == "c")
    }

    static func raw(_ d: TestDaemon, _ path: String, accept: String) async throws -> [UInt8] {
        var request = URLRequest(url: URL(string: d.url + path)!)
        request.setValue(accept, forHTTPHeaderField: "Accept")
        let (data, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        return Array(data)
    }

    static func get(_ d: TestDaemon, _ path: String, accept: String) async throws -> JSONValue {
        try JSONValue.parse(try await raw(d, path, accept: accept))
    }
}
