import Foundation
@testable import KctlAPIServer
import KctlModel
import KctlTestSupport
import Testing

/// The OpenAPI v3 documents: what kubectl's default validation looks for.
@Suite struct OpenAPITests {
    @Test func indexListsEveryServedGroupVersionWithAHashedURL() throws {
        let paths = try #require(OpenAPI.index()["paths"]?.objectValue)
        var expected: Set<String> = ["api/v1"]
        for type in ResourceType.all where !type.group.isEmpty { expected.insert("apis/\(type.group)/\(type.version)") }
        #expect(Set(paths.keys) == expected)
        for (key, entry) in paths {
            let url = try #require(entry["serverRelativeURL"]?.stringValue)
            #expect(url.hasPrefix("/openapi/v3/\(key)?hash="))
        }
    }

    /// kubectl finds the kind's PATCH operation by its GVK and looks for `fieldValidation` in
    /// query parameters; the first PATCH with the GVK decides, so every one must have it.
    @Test func everyKindsPatchOperationsCarryTheGVKAndFieldValidation() throws {
        for type in ResourceType.all {
            let key = type.group.isEmpty ? "api/\(type.version)" : "apis/\(type.group)/\(type.version)"
            let document = try JSONValue.parse(try #require(OpenAPI.documents[key]).bytes)
            let paths = try #require(document["paths"]?.objectValue)
            let patches = paths.values.compactMap { $0["patch"] }.filter {
                $0["x-kubernetes-group-version-kind"] == [
                    "group": .string(type.group), "version": .string(type.version), "kind": .string(type.kind),
                ]
            }
            #expect(!patches.isEmpty, "\(type.kind) has no PATCH operation")
            for patch in patches {
                let query = (patch["parameters"]?.arrayValue ?? []).filter { $0["in"] == "query" }.compactMap { $0["name"]?.stringValue }
                #expect(query.contains("fieldValidation"), "\(type.kind)")
                let content = patch["requestBody"]?["content"]?.objectValue ?? [:]
                #expect(content["application/strategic-merge-patch+json"] != nil)
            }
            let item = type.namespaced
                ? "/\(key)/namespaces/{namespace}/\(type.plural)/{name}" : "/\(key)/\(type.plural)/{name}"
            #expect(paths[item]?["patch"] != nil, "\(item)")
            #expect(paths[item]?["put"]?["x-kubernetes-group-version-kind"] != nil)
            let collection = String(item.dropLast("/{name}".count))
            #expect(paths[collection]?["post"]?["x-kubernetes-group-version-kind"] != nil, "\(collection)")
            // No schemas for kinds: kubectl then computes strategic merge patches from its built-in types.
            let schemas = document["components"]?["schemas"]?.objectValue ?? [:]
            #expect(schemas.values.allSatisfy { $0["x-kubernetes-group-version-kind"] == nil })
        }
    }

    @Test func servedOverHTTP() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let (status, body) = try await d.client.raw(method: "GET", path: "/openapi/v3")
        #expect(status == 200)
        let index = try JSONValue.parse(body)
        let url = try #require(index["paths"]?["apis/apps/v1"]?["serverRelativeURL"]?.stringValue)
        let (docStatus, docBody) = try await d.client.raw(method: "GET", path: url)
        #expect(docStatus == 200)
        #expect(try JSONValue.parse(docBody)["openapi"] == "3.0.0")
        #expect(try await d.client.raw(method: "GET", path: "/openapi/v3/apis/batch/v1").status == 404)
        #expect(try await d.client.raw(method: "GET", path: "/openapi/v2").status == 404)
    }
}
