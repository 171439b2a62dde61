import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlAPIServer

/// The API over real HTTP on randomly edited requests (fixed seeds): paths, query strings
/// (selectors, limits, continue tokens, deletion options) and bodies (JSON, patches, protobuf).
/// Every request that reaches the server gets an answer, and the server goes on serving: bad
/// input must never take kctld down.
@Suite struct APIFuzzTests {
    static let requests: [(method: String, path: String, body: String?, contentType: String?)] = [
        ("POST", "/api/v1/namespaces/default/configmaps",
         #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm","labels":{"app":"web"}},"data":{"a":"1"}}"#,
         "application/json"),
        ("GET", "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb,tier+in+(a,b)&fieldSelector=metadata.name!%3Dx&limit=5&continue=eyJ2IjoxfQ",
         nil, nil),
        ("PATCH", "/api/v1/namespaces/default/configmaps/cm", #"{"data":{"b":"2"},"metadata":{"labels":{"app":null}}}"#,
         "application/merge-patch+json"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/cm", #"[{"op":"add","path":"/data/c","value":"3"}]"#,
         "application/json-patch+json"),
        ("POST", "/apis/apps/v1/namespaces/default/deployments?dryRun=All&fieldManager=kubectl",
         #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}"#,
         "application/json"),
        ("DELETE", "/api/v1/namespaces/default/configmaps/cm?propagationPolicy=Orphan&gracePeriodSeconds=0", nil, nil),
        ("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale?resourceVersion=0&timeoutSeconds=1", nil, nil),
    ]

    static let rounds = 40

    @Test func editedRequestsAreAnsweredAndTheServerKeepsServing() async throws {
        try await withTestAPIServer(label: "api-fuzz-test") { store, logger in
            APIServer(store: store, logger: logger)
        } _: { url, store, _ in
            _ = try await store.create(
                KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "default"]]), as: .namespace)
            let client = try KubeClient(server: url)
            var random = ByteMutator(seed: 0x6170_6921, telling: "/?&=%,!()+{}[]\":0123456789-")
            var answered = 0
            for (index, request) in Self.requests.enumerated() {
                let paths = random.variants(of: request.path, count: Self.rounds)
                let bodies = request.body.map { random.variants(of: $0, count: Self.rounds) }
                for round in 0..<Self.rounds {
                    // The path is edited on even rounds and the body on odd ones, so that each
                    // still reaches its handler often.
                    let editPath = round.isMultiple(of: 2) || bodies == nil
                    let path = editPath ? String(decoding: paths[round], as: UTF8.self) : request.path
                    let body = editPath ? request.body.map { Array($0.utf8) } : bodies?[round]
                    // A path the client cannot even send (not a URL) never reaches the server.
                    guard
                        let (status, _) = try? await client.raw(
                            method: request.method, path: path, body: body, contentType: request.contentType)
                    else { continue }
                    #expect((200..<600).contains(status), "request \(index): \(path)")
                    answered += 1
                }
            }
            #expect(answered > 150)
            let (status, _) = try await client.raw(method: "GET", path: "/api/v1/namespaces/default")
            #expect(status == 200)
            try? await client.shutdown()
        }
    }
}
