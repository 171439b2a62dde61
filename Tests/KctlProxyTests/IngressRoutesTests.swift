import KctlModel
import Testing

@testable import KctlProxy

/// An Ingress from `(host, path, pathType, service)` rules, all to the service port `port`.
func ingress(
    _ name: String, namespace: String = "default", created: String = "2025-01-01T00:00:00Z", className: String? = nil,
    defaultService: String? = nil, port: JSONValue = ["number": 80],
    rules: [(host: String?, path: String, type: String, service: String)]
) -> KubeObject {
    var byHost: [String: [JSONValue]] = [:]
    var hosts: [String] = []
    for rule in rules {
        let key = rule.host ?? ""
        if byHost[key] == nil { hosts.append(key) }
        byHost[key, default: []].append([
            "path": .string(rule.path), "pathType": .string(rule.type),
            "backend": ["service": ["name": .string(rule.service), "port": port]],
        ])
    }
    var spec: [String: JSONValue] = [
        "rules": .array(
            hosts.map { host in
                var rule: [String: JSONValue] = ["http": ["paths": .array(byHost[host]!)]]
                if !host.isEmpty { rule["host"] = .string(host) }
                return .object(rule)
            })
    ]
    if let className { spec["ingressClassName"] = .string(className) }
    if let defaultService {
        spec["defaultBackend"] = ["service": ["name": .string(defaultService), "port": ["name": "http"]]]
    }
    return KubeObject([
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": ["name": .string(name), "namespace": .string(namespace), "creationTimestamp": .string(created)],
        "spec": .object(spec),
    ])
}

@Suite struct IngressRoutesTests {
    /// Kubernetes' own path matching examples (networking.k8s.io/v1 Ingress docs), one rule set each.
    @Test(arguments: [
        ("Prefix", "/", "/anything", true),
        ("Prefix", "/foo", "/foo", true),
        ("Prefix", "/foo", "/foo/", true),
        ("Prefix", "/foo/", "/foo", true),
        ("Prefix", "/foo", "/foo/bar", true),
        ("Prefix", "/foo", "/foobar", false),
        ("Prefix", "/aaa/bb", "/aaa/bbb", false),
        ("Prefix", "/aaa/bbb", "/aaa/bbb/ccc", true),
        ("Prefix", "/aaa/bbb/", "/aaa/bbb", true),
        ("Exact", "/foo", "/foo", true),
        ("Exact", "/foo", "/bar", false),
        ("Exact", "/foo", "/foo/", false),
        ("Exact", "/foo/", "/foo", false),
        ("ImplementationSpecific", "/foo", "/foo/bar", true),
        ("ImplementationSpecific", "/foo", "/foobar", false),
    ])
    func pathMatching(type: String, rule: String, request: String, matches: Bool) {
        let routes = IngressRoutes(ingresses: [ingress("a", rules: [(nil, rule, type, "svc")])])
        #expect((routes.route(host: "x", path: request) != nil) == matches)
    }

    @Test func longestMatchWinsAndExactBeatsPrefixAtEqualLength() {
        let routes = IngressRoutes(ingresses: [
            ingress(
                "a",
                rules: [
                    (nil, "/", "Prefix", "root"), (nil, "/api", "Prefix", "api"), (nil, "/api/v2", "Prefix", "v2"),
                    (nil, "/api", "Exact", "api-exact"),
                ])
        ])
        #expect(routes.route(host: "h", path: "/")?.service == "root")
        #expect(routes.route(host: "h", path: "/other")?.service == "root")
        #expect(routes.route(host: "h", path: "/api")?.service == "api-exact")
        #expect(routes.route(host: "h", path: "/api/")?.service == "api")
        #expect(routes.route(host: "h", path: "/api/v1/x")?.service == "api")
        #expect(routes.route(host: "h", path: "/api/v2?watch=1")?.service == "v2")
        #expect(routes.route(host: "h", path: "/api/v2/users")?.service == "v2")
        #expect(routes.route(host: "h", path: "/api/v20")?.service == "api")
    }

    @Test func hostsExactThenWildcardThenAny() {
        let routes = IngressRoutes(ingresses: [
            ingress(
                "a",
                rules: [
                    ("foo.example.com", "/", "Prefix", "exact"), ("*.example.com", "/", "Prefix", "wildcard"),
                    ("*.example.com", "/only-wild", "Prefix", "wild-path"), (nil, "/shared", "Prefix", "any"),
                ])
        ])
        #expect(routes.route(host: "foo.example.com", path: "/x")?.service == "exact")
        #expect(routes.route(host: "FOO.Example.com:6480", path: "/x")?.service == "exact")
        #expect(routes.route(host: "bar.example.com", path: "/x")?.service == "wildcard")
        #expect(routes.route(host: "bar.example.com", path: "/only-wild/1")?.service == "wild-path")
        // The wildcard covers exactly one label.
        #expect(routes.route(host: "a.bar.example.com", path: "/x") == nil)
        #expect(routes.route(host: "example.com", path: "/x") == nil)
        // A host's rules without a matching path fall through to less specific hosts.
        #expect(routes.route(host: "other.org", path: "/shared/1")?.service == "any")
        #expect(routes.route(host: "other.org", path: "/x") == nil)
    }

    @Test func defaultBackendCatchesTheRest() {
        let routes = IngressRoutes(ingresses: [
            ingress("a", defaultService: "fallback", rules: [("foo.com", "/app", "Prefix", "app")])
        ])
        #expect(routes.route(host: "foo.com", path: "/app")?.service == "app")
        let fallback = routes.route(host: "foo.com", path: "/elsewhere")
        #expect(fallback?.service == "fallback")
        #expect(fallback?.port == .name("http"))
        #expect(routes.route(host: "bar.com", path: "/app")?.service == "fallback")
    }

    @Test func oldestIngressWinsAConflictAndTheConflictIsReported() {
        let newer = ingress("newer", created: "2025-02-01T00:00:00Z", rules: [(nil, "/shop", "Prefix", "new-shop")])
        let older = ingress("older", created: "2025-01-01T00:00:00Z", rules: [(nil, "/shop", "Prefix", "old-shop")])
        let routes = IngressRoutes(ingresses: [newer, older])
        #expect(routes.route(host: "h", path: "/shop")?.service == "old-shop")
        #expect(routes.route(host: "h", path: "/shop")?.ingress == "default/older")
        #expect(routes.problems.count == 1)
        #expect(routes.problems.first?.contains("default/newer") == true)
        #expect(routes.problems.first?.contains("default/older") == true)
        // The same path with another type, or on another host, is no conflict.
        let exact = ingress("exact", created: "2025-03-01T00:00:00Z", rules: [(nil, "/shop", "Exact", "exact-shop")])
        let hosted = ingress("hosted", created: "2025-03-01T00:00:00Z", rules: [("a.com", "/shop", "Prefix", "a-shop")])
        let merged = IngressRoutes(ingresses: [newer, older, exact, hosted])
        #expect(merged.problems.count == 1)
        #expect(merged.route(host: "h", path: "/shop")?.service == "exact-shop")
        #expect(merged.route(host: "a.com", path: "/shop/x")?.service == "a-shop")
    }

    @Test func backendsLiveInTheIngressNamespace() {
        let routes = IngressRoutes(ingresses: [ingress("a", namespace: "team", rules: [(nil, "/", "Prefix", "web")])])
        let backend = routes.route(host: "h", path: "/")
        #expect(
            backend == IngressRoutes.Backend(namespace: "team", service: "web", port: .number(80), ingress: "team/a"))
        #expect(backend?.serviceKey == "team/web")
    }

    @Test func otherIngressClassesAreSkipped() {
        let routes = IngressRoutes(ingresses: [
            ingress("nginx", className: "nginx", rules: [(nil, "/a", "Prefix", "a")]),
            ingress("ours", className: "kctl", rules: [(nil, "/b", "Prefix", "b")]),
        ])
        #expect(routes.route(host: "h", path: "/a") == nil)
        #expect(routes.route(host: "h", path: "/b")?.service == "b")
        #expect(routes.problems.count == 1)
    }

    @Test func requestTargetsAreReducedToTheirPath() {
        #expect(IngressRoutes.requestPath("/a/b?c=d#e") == "/a/b")
        #expect(IngressRoutes.requestPath("http://host:1/x/y?z") == "/x/y")
        #expect(IngressRoutes.requestPath("http://host") == "/")
        #expect(IngressRoutes.requestPath("") == "/")
        #expect(IngressRoutes.normalizedHost("[::1]:6480") == "[::1]")
        #expect(IngressRoutes.normalizedHost("Chat.Local.:80") == "chat.local")
    }

    @Test func anEmptyTableRoutesNothing() {
        #expect(IngressRoutes().route(host: "h", path: "/") == nil)
        #expect(IngressRoutes(ingresses: []).isEmpty)
    }
}
