import Foundation
import Testing

@testable import KctlModel

@Suite struct EndpointsKindTests {
    static let json = #"""
        {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"users","namespace":"default"},
         "subsets":[{"addresses":[{"ip":"127.1.0.4","nodeName":"node-1",
                                   "targetRef":{"kind":"Pod","namespace":"default","name":"users-a","uid":"u1"}},
                                  {"ip":"127.1.0.5"}],
                     "notReadyAddresses":[{"ip":"127.1.0.6"}],
                     "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]}
        """#

    static func object(_ text: String = json) throws -> KubeObject {
        try KubeObject(data: Array(text.utf8))
    }

    @Test func servedAsEndpointsWithShortNameEp() {
        for name in ["ep", "endpoints", "Endpoints"] { #expect(ResourceType.lookup(name) == .endpoints) }
        #expect(ResourceType.endpoints.collectionPath(namespace: "default") == "/api/v1/namespaces/default/endpoints")
        #expect(ResourceType.forObject(apiVersion: "v1", kind: "Endpoints") == .endpoints)
        #expect(ResourceType.all.contains(.endpoints))
        #expect(Endpoints.resourceType.namespaced)
    }

    @Test func decodesAndRoundTrips() throws {
        let object = try Self.object()
        let endpoints = try Endpoints(object)
        let subset = try #require(endpoints.subsets?.first)
        #expect(subset.addresses?.map(\.ip) == ["127.1.0.4", "127.1.0.5"])
        #expect(subset.addresses?.first?.targetRef?.name == "users-a")
        #expect(subset.addresses?.first?.nodeName == "node-1")
        #expect(subset.notReadyAddresses?.map(\.ip) == ["127.1.0.6"])
        #expect(subset.ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        #expect(endpoints.kubeObject == object)
    }

    @Test func admissionDefaultsProtocolAndDropsEmptySubsets() throws {
        let object = try Self.object(Self.json.replacingOccurrences(of: #","protocol":"TCP""#, with: ""))
        #expect(try Endpoints(object).subsets?.first?.ports?.first?.protocol == nil)
        let admitted = try Endpoints(try Admission.admit(object, as: .endpoints))
        #expect(admitted.subsets?.first?.ports?.first?.protocol == "TCP")

        var empty = try Self.object()
        empty.json["subsets"] = []
        #expect(try Admission.admit(empty, as: .endpoints).json["subsets"] == nil)
    }

    @Test(arguments: [
        (#"[{"ports":[{"port":80}]}]"#, "subsets[0]", "Required value: must specify `addresses` or `notReadyAddresses`"),
        (#"[{"addresses":[{"ip":"nope"}]}]"#, "subsets[0].addresses[0].ip",
         #"Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"#),
        (#"[{"addresses":[{"ip":"127.1.0.1"}],"ports":[{"port":80},{"name":"b","port":81}]}]"#,
         "subsets[0].ports[0].name", "Required value"),
        (#"[{"addresses":[{"ip":"127.1.0.1"}],"ports":[{"port":70000}]}]"#, "subsets[0].ports[0].port",
         "Invalid value: 70000: must be between 1 and 65535, inclusive"),
        (#"[{"notReadyAddresses":[{"ip":"127.1.0.1"}],"ports":[{"port":80,"protocol":"HTTP"}]}]"#,
         "subsets[0].ports[0].protocol", #"Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP""#),
    ])
    func invalidSubsetsNameTheField(subsets: String, field: String, message: String) throws {
        let text = #"{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"x","namespace":"default"},"subsets":"#
            + subsets + "}"
        do {
            _ = try Admission.admit(try Self.object(text), as: .endpoints)
            Issue.record("expected Invalid")
        } catch let error as StatusError {
            #expect(error.code == 422)
            #expect(error.causes.contains { $0.field == field && $0.message == message }, "\(error.causes)")
        }
    }

    // MARK: kubectl get ep

    @Test func tableShowsReadyAddressesAsKubectlDoes() throws {
        #expect(ObjectTable.columns(for: .endpoints).map(\.name) == ["NAME", "ENDPOINTS", "AGE"])
        let cells = ObjectTable.cells(for: try Self.object(), type: .endpoints, now: Date())
        #expect(cells[0] == "users")
        #expect(cells[1] == "127.1.0.4:8080,127.1.0.5:8080")
    }

    @Test func tableCells() throws {
        func text(_ subsets: JSONValue?, port: String? = nil) -> String {
            var value: JSONValue = ["metadata": ["name": "x"]]
            if let subsets { value["subsets"] = subsets }
            return ObjectTable.endpointsText(value, portName: port)
        }
        #expect(text(nil) == "<none>")
        #expect(text([]) == "<none>")
        // Only not-ready addresses: kubectl prints an empty cell.
        #expect(text([["notReadyAddresses": [["ip": "127.1.0.1"]], "ports": [["port": 80]]]]) == "")
        // No ports (headless): bare IPs.
        #expect(text([["addresses": [["ip": "127.1.0.1"], ["ip": "127.1.0.2"]]]]) == "127.1.0.1,127.1.0.2")
        // Every port of every address; more than three are summarized.
        let two: JSONValue = [[
            "addresses": [["ip": "127.1.0.1"], ["ip": "127.1.0.2"]],
            "ports": [["name": "http", "port": 80], ["name": "metrics", "port": 9090]],
        ]]
        #expect(text(two) == "127.1.0.1:80,127.1.0.2:80,127.1.0.1:9090 + 1 more...")
        #expect(text(two, port: "metrics") == "127.1.0.1:9090,127.1.0.2:9090")
        #expect(text([["addresses": [["ip": "::1"]], "ports": [["port": 80]]]]) == "[::1]:80")
    }
}
