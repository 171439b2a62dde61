import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlCLI

@Suite struct ApplyOrderTests {
    @Test func dependenciesFirstStableWithinAKindUnknownKindsLast() {
        let input: [(kind: String?, name: String)] = [
            ("Ingress", "chat"), ("Deployment", "messages"), ("Widget", "w"), ("Service", "messages"),
            ("Deployment", "users"), ("ConfigMap", "config"), (nil, "broken"), ("Service", "users"),
            ("Secret", "token"), ("HorizontalPodAutoscaler", "messages"), ("Namespace", "chat"), ("Pod", "debug"),
            ("ReplicaSet", "rs"),
        ]
        let applied = ApplyOrder.forApply(input, kind: \.kind).map { "\($0.kind ?? "-")/\($0.name)" }
        #expect(
            applied == [
                "-/broken", "Namespace/chat", "Secret/token", "ConfigMap/config", "Service/messages", "Service/users",
                "Pod/debug", "ReplicaSet/rs", "Deployment/messages", "Deployment/users",
                "HorizontalPodAutoscaler/messages", "Ingress/chat", "Widget/w",
            ])
        let deleted = ApplyOrder.forDelete(input, kind: \.kind).map { "\($0.kind ?? "-")/\($0.name)" }
        #expect(
            deleted == [
                "-/broken", "Widget/w", "Ingress/chat", "HorizontalPodAutoscaler/messages", "Deployment/messages",
                "Deployment/users", "ReplicaSet/rs", "Pod/debug", "Service/messages", "Service/users",
                "ConfigMap/config", "Secret/token", "Namespace/chat",
            ])
        #expect(ApplyOrder.rank(of: "ResourceQuota") < ApplyOrder.rank(of: "ServiceAccount"))
        #expect(ApplyOrder.rank(of: "PersistentVolumeClaim") < ApplyOrder.rank(of: "Service"))
    }

    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec: {containers: [{name: web, image: none, command: [sleep, "100"]}]}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
        spec:
          defaultBackend: {service: {name: web, port: {number: 80}}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec:
          selector: {app: web}
          ports: [{port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: web}
        data: {A: b}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: extra}
        """

    @Test func applyAndDeleteFollowTheOrder() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let apply = await KctlCommand.capture(["apply", "-f", "-", "--server", d.url], stdin: Self.manifest)
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        #expect(
            apply.stdout.split(separator: "\n") == [
                "namespace/extra created", "configmap/web created", "service/web created",
                "deployment.apps/web created", "ingress.networking.k8s.io/web created",
            ])
        let delete = await KctlCommand.capture(
            ["delete", "-f", "-", "--wait=false", "--server", d.url], stdin: Self.manifest)
        #expect(delete.exitCode == 0, "\(delete.stderr)")
        #expect(
            delete.stdout.split(separator: "\n") == [
                #"ingress.networking.k8s.io "web" deleted"#, #"deployment.apps "web" deleted"#,
                #"service "web" deleted"#, #"configmap "web" deleted"#, #"namespace "extra" deleted"#,
            ])
    }
}

@Suite struct ServiceDescribeTests {
    static let service = try! KubeObject(json: [
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": "users", "namespace": "default", "creationTimestamp": "2024-01-01T00:00:00Z"],
        "spec": [
            "type": "NodePort", "selector": ["app": "users"], "clusterIP": "127.2.0.3", "clusterIPs": ["127.2.0.3"],
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
            "externalTrafficPolicy": "Cluster", "internalTrafficPolicy": "Cluster",
            "ports": [
                ["name": "http", "port": 80, "targetPort": 8080, "nodePort": 30080, "protocol": "TCP"],
                ["name": "metrics", "port": 9100, "targetPort": "metrics", "nodePort": 30081, "protocol": "TCP"],
            ],
        ],
    ])

    static let endpoints: JSONValue = [
        "apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "users", "namespace": "default"],
        "subsets": [
            [
                "addresses": [["ip": "127.1.0.4"], ["ip": "127.1.0.5"]],
                "notReadyAddresses": [["ip": "127.1.0.6"]],
                "ports": [["name": "http", "port": 8080, "protocol": "TCP"], ["name": "metrics", "port": 9100, "protocol": "TCP"]],
            ]
        ],
    ]

    static func lines(_ context: DescribeContext) -> [String] {
        Describer.describe(service, type: .service, context: context, now: Date())
            .split(separator: "\n").map { $0.replacingOccurrences(of: #" {2,}"#, with: "  ", options: .regularExpression) }
    }

    @Test func showsAddressesAndEndpointsPerPortAsKubectlDoes() {
        var context = DescribeContext()
        context.endpointsObject = Self.endpoints
        let lines = Self.lines(context)
        let expected = [
            "Selector:  app=users", "Type:  NodePort", "IP Family Policy:  SingleStack", "IP Families:  IPv4",
            "IP:  127.2.0.3", "IPs:  127.2.0.3",
            "Port:  http  80/TCP", "TargetPort:  8080/TCP", "NodePort:  http  30080/TCP",
            "Endpoints:  127.1.0.4:8080,127.1.0.5:8080",
            "Port:  metrics  9100/TCP", "TargetPort:  metrics/TCP", "NodePort:  metrics  30081/TCP",
            "Endpoints:  127.1.0.4:9100,127.1.0.5:9100",
            "Session Affinity:  None", "External Traffic Policy:  Cluster", "Internal Traffic Policy:  Cluster",
        ]
        let start = lines.firstIndex(of: "Selector:  app=users") ?? 0
        #expect(Array(lines[start..<min(lines.count, start + expected.count)]) == expected, "\(lines)")
    }

    @Test func withoutEndpointsItSaysNone() {
        #expect(Self.lines(DescribeContext()).filter { $0.hasPrefix("Endpoints:") } == ["Endpoints:  <none>", "Endpoints:  <none>"])
    }

    @Test func describeReadsTheEndpointsObjectFromTheServer() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        var service = Self.service
        for key in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] { service.spec?[key] = nil }
        service.creationTimestamp = nil
        _ = try await d.client.create(service, as: .service, namespace: "default")
        _ = try await d.client.create(try KubeObject(json: Self.endpoints), as: .endpoints, namespace: "default")
        let result = await KctlCommand.capture(["describe", "svc", "users", "--server", d.url])
        #expect(result.exitCode == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map {
            $0.replacingOccurrences(of: #" {2,}"#, with: "  ", options: .regularExpression)
        }
        #expect(lines.contains("IP:  127.2.0.1"))
        #expect(lines.contains("Endpoints:  127.1.0.4:8080,127.1.0.5:8080"))
        #expect(lines.contains("Endpoints:  127.1.0.4:9100,127.1.0.5:9100"))

        let get = await KctlCommand.capture(["get", "ep", "--server", d.url])
        #expect(get.stdout.split(separator: "\n").first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "ENDPOINTS", "AGE"])
        #expect(get.stdout.contains("127.1.0.4:8080,127.1.0.5:8080,127.1.0.4:9100 + 1 more..."), "\(get.stdout)")
    }
}
