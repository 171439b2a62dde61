import Foundation
import KctlAPIServer
import KctlClient
import KctlMetrics
import KctlModel
import KctlStore
import KctlTestSupport
import Logging
import Testing

@testable import KctlCLI

/// `kctl metrics push`, `kctl metrics` and the metrics APIs (`metrics.kctl.dev`,
/// `custom.metrics.k8s.io`, `external.metrics.k8s.io`) against a real API server on a socket
/// with a real `MetricsPipeline` behind it.
@Suite struct MetricsVerbsTests {
    // MARK: push

    @Test func pushAnExternalSampleAndListIt() async throws {
        try await MetricsServer.with { server in
            try await server.namespace("shop")
            let push = await server.kctl(["metrics", "push", "queue_depth", "12", "--label", "service=queue", "-n", "shop"])
            #expect(push.exitCode == 0 && push.stderr.isEmpty, "\(push)")
            #expect(push.stdout == "sample queue_depth=12 recorded (external, service=queue)\n")

            let list = await server.kctl(["metrics", "-n", "shop"])
            #expect(list.exitCode == 0, "\(list)")
            let rows = MetricsServer.rows(list.stdout)
            #expect(rows.first == ["NAME", "TYPE", "TARGET", "VALUE", "AGE", "SOURCE"])
            #expect(rows.count == 2)
            #expect(rows.last.map { Array($0.prefix(4)) + [$0[5]] } == ["queue_depth", "External", "service=queue", "12", "push"])
            #expect(rows.last?[4].hasSuffix("s") == true)
        }
    }

    @Test func pushForAPodOrTheMatchingPods() async throws {
        try await MetricsServer.with { server in
            try await server.pod("web-1", labels: ["app": "web"])
            try await server.pod("web-2", labels: ["app": "web"])
            try await server.pod("db-1", labels: ["app": "db"])
            let one = await server.kctl(["metrics", "push", "messages_per_second", "30", "--pod", "web-1"])
            #expect(one.stdout == "sample messages_per_second=30 recorded (pod web-1)\n", "\(one)")
            let several = await server.kctl(["metrics", "push", "load", "1500m", "--selector", "app=web", "--label", "tier=front"])
            #expect(several.stdout == "sample load=1.5 recorded (pods web-1, web-2, tier=front)\n", "\(several)")

            let rows = MetricsServer.rows(await server.kctl(["metrics", "--no-headers"]).stdout)
            #expect(rows.map { Array($0.prefix(3)) } == [
                ["load", "Pods", "pod/web-1"], ["load", "Pods", "pod/web-2"], ["messages_per_second", "Pods", "pod/web-1"],
            ])
            #expect(rows.map { $0.last } == ["push", "push", "push"])
            #expect(rows.map { $0[3] == "tier=front" ? $0[4] : $0[3] } == ["1.5", "1.5", "30"])

            // One metric by name (the default subcommand takes it).
            let named = MetricsServer.rows(await server.kctl(["metrics", "messages_per_second", "--no-headers"]).stdout)
            #expect(named.map(\.first) == ["messages_per_second"])
        }
    }

    @Test func pushErrorsNameTheField() async throws {
        try await MetricsServer.with { server in
            try await server.pod("web-1", labels: ["app": "web"])
            let missingPod = await server.kctl(["metrics", "push", "m", "1", "--pod", "nope"])
            #expect(missingPod.exitCode == 1)
            #expect(
                missingPod.stderr.hasPrefix(
                    "Error from server (Invalid): sample \"m\" is invalid: pod: Invalid value: \"nope\": no such pod in namespace default\n"),
                "\(missingPod)")
            let noMatch = await server.kctl(["metrics", "push", "m", "1", "--selector", "app=cache"])
            #expect(noMatch.exitCode == 1 && noMatch.stderr.contains("selector: Invalid value: \"app=cache\": no pod in namespace default matches"))
            let badName = await server.kctl(["metrics", "push", "9lives", "1"])
            #expect(badName.exitCode == 1 && badName.stderr.contains("  * name: Invalid value: \"9lives\": a metric name must consist of"))
            let badLabel = await server.kctl(["metrics", "push", "m", "1", "--label", "bad key=x"])
            #expect(badLabel.exitCode == 1 && badLabel.stderr.contains("  * labels: Invalid value: \"bad key\""), "\(badLabel)")
            let noNamespace = await server.kctl(["metrics", "push", "m", "1", "-n", "nowhere"])
            #expect(noNamespace.stderr == "Error from server (NotFound): namespaces \"nowhere\" not found\n")

            // Checked before anything is sent.
            let badValue = await server.kctl(["metrics", "push", "m", "lots"])
            #expect(badValue.exitCode == 1 && badValue.stderr.contains("invalid value \"lots\""))
            let both = await server.kctl(["metrics", "push", "m", "1", "--pod", "a", "--selector", "app=web"])
            #expect(both.exitCode == 1 && both.stderr.contains("--pod and --selector cannot be used together"))
            let label = await server.kctl(["metrics", "push", "m", "1", "--label", "novalue"])
            #expect(label.exitCode == 1 && label.stderr.contains("expected KEY=VALUE"))
            #expect(MetricsServer.rows(await server.kctl(["metrics", "--no-headers"]).stdout).isEmpty)
        }
    }

    /// Bodies kctl never sends, straight to the API.
    @Test func theAPIChecksEveryFieldOfAPush() async throws {
        try await MetricsServer.with { server in
            try await server.pod("web-1", labels: ["app": "web"])
            let path = "/apis/metrics.kctl.dev/v1/namespaces/default/samples"
            func post(_ body: String) async throws -> (status: Int, error: StatusError?) {
                let (status, bytes) = try await server.client.raw(method: "POST", path: path, body: Array(body.utf8))
                return (status, status >= 300 ? KubeClient.error(status: status, body: bytes) : nil)
            }
            #expect(try await post(#"{"name":"m","value":"NaN"}"#).error?.causes.map(\.field) == ["value"])
            // A number no double holds is refused as the body is read, as Go's decoder does.
            let huge = try await post(#"{"name":"m","value":1e999}"#).error
            #expect(huge?.reason == .badRequest)
            #expect(huge?.message.contains("number '1e999' is out of range") == true, "\(huge?.message ?? "")")
            #expect(try await post(#"{"name":"m"}"#).error?.causes.map(\.reason) == ["FieldValueRequired"])
            let many = try await post(#"{"name":"","value":true,"pod":"web-1","selector":"app=web","labels":{"k":1},"extra":0}"#)
            #expect(many.status == 422)
            #expect(many.error?.causes.map(\.field) == ["extra", "name", "value", "selector", "labels.k"])
            #expect(try await post(#"{"name":"m","value":1,"selector":" "}"#).error?.causes.map(\.field) == ["selector"])
            #expect(try await post(#"{"name":"m","value":1,"selector":"app in ("}"#).error?.causes.map(\.field) == ["selector"])
            #expect(try await post("[1]").error?.reason == .badRequest)
            #expect(try await post("{").error?.reason == .badRequest)
            let created = try await post(#"{"name":"m","value":"250m","labels":{"queue":"orders"}}"#)
            #expect(created.status == 201)
            let (status, _) = try await server.client.raw(method: "DELETE", path: path)
            #expect(status == 405)
        }
    }

    // MARK: list

    @Test func listAcrossNamespacesAndWhenEmpty() async throws {
        try await MetricsServer.with(resources: [
            PodUsage(
                namespace: "default", name: "web-1", timestamp: Date(), window: .seconds(10),
                containers: [ContainerUsage(name: "main", cpuCores: 0.25, memoryBytes: 64 << 20)])
        ]) { server in
            try await server.namespace("shop")
            try await server.pod("web-1")
            let empty = await server.kctl(["metrics", "-n", "shop"])
            #expect(empty.exitCode == 0 && empty.stdout.isEmpty)
            #expect(empty.stderr == "No metric samples found in shop namespace.\n")

            _ = await server.kctl(["metrics", "push", "queue_depth", "4", "-n", "shop"])
            let all = MetricsServer.rows(await server.kctl(["metrics", "-A"]).stdout)
            #expect(all.first == ["NAMESPACE", "NAME", "TYPE", "TARGET", "VALUE", "AGE", "SOURCE"])
            #expect(all.dropFirst().map { Array($0.prefix(5)) + [$0[6]] } == [
                ["default", "cpu", "Resource", "pod/web-1", "250m", "agent"],
                ["default", "memory", "Resource", "pod/web-1", "64Mi", "agent"],
                ["shop", "queue_depth", "External", "<none>", "4", "push"],
            ])
            let none = await server.kctl(["metrics", "nothing", "-A"])
            #expect(none.stderr == "No metric samples found\n")
        }
    }

    // MARK: the Kubernetes metrics APIs

    @Test func customMetricsAsTheHPAReadsThem() async throws {
        try await MetricsServer.with { server in
            try await server.pod("web-1", labels: ["app": "web"])
            try await server.pod("web-2", labels: ["app": "web"])
            try await server.pod("db-1", labels: ["app": "db"])
            _ = await server.kctl(["metrics", "push", "messages_per_second", "30", "--pod", "web-1"])
            _ = await server.kctl(["metrics", "push", "messages_per_second", "1.5", "--pod", "web-2"])
            _ = await server.kctl(["metrics", "push", "messages_per_second", "99", "--pod", "db-1"])

            let base = "/apis/custom.metrics.k8s.io/v1beta2/namespaces/default/pods"
            let list = try await server.rawJSON("\(base)/*/messages_per_second?labelSelector=app%3Dweb")
            #expect(list["kind"] == "MetricValueList" && list["apiVersion"] == "custom.metrics.k8s.io/v1beta2")
            let items = list["items"]?.arrayValue ?? []
            #expect(items.map { $0["describedObject"]?["name"]?.stringValue } == ["web-1", "web-2"])
            #expect(items.map { $0["value"]?.stringValue } == ["30", "1500m"])
            #expect(items.allSatisfy {
                $0["describedObject"]?["kind"] == "Pod" && $0["metric"]?["name"] == "messages_per_second"
                    && Timestamp.parse($0["timestamp"]?.stringValue ?? "") != nil
            })
            let all = try await server.rawJSON("\(base)/*/messages_per_second")
            #expect(all["items"]?.arrayValue?.count == 3)

            let one = try await server.rawJSON("\(base)/web-2/messages_per_second")
            #expect(one["items"]?.arrayValue?.map { $0["value"]?.stringValue } == ["1500m"])
            let missing = await server.kctl(["get", "--raw", "\(base)/web-2/queue_depth"])
            #expect(missing.exitCode == 1)
            #expect(missing.stderr == "Error from server (NotFound): the server could not find the metric queue_depth for pods web-2\n")

            let resources = try await server.rawJSON("/apis/custom.metrics.k8s.io/v1beta2")
            #expect(resources["resources"]?.arrayValue?.map { $0["name"]?.stringValue } == ["pods/messages_per_second"])
            let groups = try await server.rawJSON("/apis")
            let names = (groups["groups"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(names.contains("custom.metrics.k8s.io") && names.contains("external.metrics.k8s.io"))
            #expect(!names.contains("metrics.kctl.dev"))
        }
    }

    @Test func externalMetricsAsTheHPAReadsThem() async throws {
        try await MetricsServer.with { server in
            try await server.namespace("shop")
            _ = await server.kctl(["metrics", "push", "queue_depth", "12", "--label", "service=queue", "-n", "shop"])
            _ = await server.kctl(["metrics", "push", "queue_depth", "0.25", "--label", "service=other", "-n", "shop"])
            let path = "/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/queue_depth"
            let selected = try await server.rawJSON(path + "?labelSelector=service%3Dqueue")
            #expect(selected["kind"] == "ExternalMetricValueList")
            #expect(selected["apiVersion"] == "external.metrics.k8s.io/v1beta1")
            let items = selected["items"]?.arrayValue ?? []
            #expect(items.count == 1)
            #expect(items.first?["metricName"] == "queue_depth" && items.first?["value"] == "12")
            #expect(items.first?["metricLabels"] == ["service": "queue"])
            let all = try await server.rawJSON(path)
            #expect(all["items"]?.arrayValue?.map { $0["value"]?.stringValue } == ["250m", "12"])
            #expect(try await server.rawJSON(path.replacingOccurrences(of: "/shop/", with: "/default/"))["items"] == [])
            let resources = try await server.rawJSON("/apis/external.metrics.k8s.io/v1beta1")
            #expect(resources["resources"]?.arrayValue?.map { $0["name"]?.stringValue } == ["queue_depth"])

            let samples = try await server.rawJSON("/apis/metrics.kctl.dev/v1/samples")
            #expect(samples["kind"] == "MetricSampleList")
            #expect(samples["items"]?.arrayValue?.map { $0["value"]?.doubleValue } == [0.25, 12])
            #expect(samples["items"]?.arrayValue?.first?["source"] == "push")

            let unknown = await server.kctl(["get", "--raw", "/apis/external.metrics.k8s.io/v1beta1/queue_depth"])
            #expect(unknown.exitCode == 1 && unknown.stderr.hasPrefix("Error from server (NotFound)"))
        }
    }

    @Test func withoutAPipelineTheEndpointsSaySo() async throws {
        try await MetricsServer.with(pipeline: false) { server in
            let list = await server.kctl(["metrics"])
            #expect(list.exitCode == 1)
            #expect(list.stderr == "Error from server (ServiceUnavailable): the server is currently unable to handle the request (no metrics pipeline runs)\n")
            let push = await server.kctl(["metrics", "push", "m", "1"])
            #expect(push.stderr.hasPrefix("Error from server (ServiceUnavailable)"))
            let groups = try await server.rawJSON("/apis")
            #expect(!(groups["groups"]?.arrayValue ?? []).contains { $0["name"] == "custom.metrics.k8s.io" })
        }
    }

    @Test func getRawPrintsTheBody() async throws {
        try await MetricsServer.with { server in
            let health = await server.kctl(["get", "--raw", "/healthz"])
            #expect(health.exitCode == 0 && health.stdout == "ok\n")
            let both = await server.kctl(["get", "pods", "--raw", "/healthz"])
            #expect(both.exitCode == 1 && both.stderr.contains("arguments may not be passed when --raw is specified"))
        }
    }
}

// MARK: - A server with a metrics pipeline

/// A real APIServer on an ephemeral loopback port over a temporary SQLite store, with a
/// `MetricsPipeline` (not running its scrape loop: pushes and reads need none) as its samples.
struct MetricsServer: Sendable {
    let url: String
    let store: SQLiteStore
    let client: KubeClient

    static func with(
        pipeline: Bool = true, resources: [PodUsage]? = nil, _ body: @escaping @Sendable (MetricsServer) async throws -> Void
    ) async throws {
        try await withTestAPIServer(label: "metrics-verbs-test") { store, logger in
            let metrics = pipeline
                ? MetricsPipeline(store: store, resources: resources.map(FixedUsage.init), logger: logger) : nil
            return APIServer(store: store, logger: logger, metricSamples: metrics)
        } _: { url, store, _ in
            let server = MetricsServer(url: url, store: store, client: try KubeClient(server: url))
            do {
                try await server.namespace("default")
                try await body(server)
            } catch {
                try? await server.client.shutdown()
                throw error
            }
            try? await server.client.shutdown()
        }
    }

    func kctl(_ arguments: [String]) async -> CommandResult {
        await KctlCommand.capture(arguments + ["--server", url])
    }

    /// `kctl get --raw PATH`, decoded.
    func rawJSON(_ path: String) async throws -> JSONValue {
        let result = await kctl(["get", "--raw", path])
        guard result.exitCode == 0 else { throw TestFailure("get --raw \(path): \(result.stderr)") }
        return try JSONValue.parse(result.stdout)
    }

    func namespace(_ name: String) async throws {
        _ = try await store.create(KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]), as: .namespace)
    }

    func pod(_ name: String, labels: [String: String] = [:]) async throws {
        var meta: [String: JSONValue] = ["name": .string(name), "namespace": "default"]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues { .string($0) }) }
        _ = try await store.create(
            KubeObject([
                "apiVersion": "v1", "kind": "Pod", "metadata": .object(meta),
                "spec": ["containers": [["name": "main", "command": ["sleep", "100"]]]],
                "status": ["phase": "Running"],
            ]), as: .pod)
    }

    /// A table's rows split into cells (cells never contain blanks here).
    static func rows(_ output: String) -> [[String]] {
        output.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    }

    struct FixedUsage: ResourceMetricsSource {
        let samples: [PodUsage]
        init(_ samples: [PodUsage]) { self.samples = samples }
        func pods() async -> [PodUsage] { samples }
        func nodes() async -> [NodeUsage] { [] }
    }
}
