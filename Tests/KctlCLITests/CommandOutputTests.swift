import Foundation
import KctlModel
import Testing

@testable import KctlCLI

@Suite struct PrinterTests {
    @Test func tableAlignsWithThreeSpaces() {
        let lines = Printers.table([["NAME", "READY", "AGE"], ["web", "2/3", "5m"], ["messages-api", "1/1", "12s"]])
        #expect(lines == [
            "NAME           READY   AGE",
            "web            2/3     5m",
            "messages-api   1/1     12s",
        ])
    }

    @Test func layoutWithNamespaceQualifiedNamesAndLabels() {
        let layout = TableLayout(type: .deployment, wide: false, withNamespace: true, qualifyNames: true, showLabels: true)
        #expect(layout.header() == ["NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "LABELS"])
        #expect(
            layout.cells(Samples.deployment, now: Samples.now)
                == ["default", "deployment.apps/web", "2/3", "3", "2", "5m", "app=web"])
        let wide = TableLayout(type: .deployment, wide: true, withNamespace: false, qualifyNames: false, showLabels: false)
        #expect(wide.header().suffix(2) == ["CONTAINERS", "SELECTOR"])
    }

    @Test func listWrapper() {
        let list = Printers.list([Samples.pod])
        #expect(list["kind"] == "List")
        #expect(list["apiVersion"] == "v1")
        #expect(list["items"]?.arrayValue?.count == 1)
        #expect(Printers.qualifiedName(.pod, "p") == "pod/p")
        #expect(Printers.qualifiedName(.horizontalPodAutoscaler, "h") == "horizontalpodautoscaler.autoscaling/h")
    }

    @Test func errorLines() {
        let invalid = StatusError.invalid(
            .deployment, "web",
            [.init(reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas")])
        #expect(ErrorReport.lines(for: invalid) == [
            "Error from server (Invalid): Deployment \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
            "  * spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        ])
        #expect(ErrorReport.lines(for: StatusError.notFound(.deployment, "x")) == [
            "Error from server (NotFound): deployments.apps \"x\" not found"
        ])
        #expect(ErrorReport.lines(for: CLIError("boom")) == ["error: boom"])
    }
}

@Suite struct DescribeTests {
    @Test func deploymentDescription() {
        var rs = Samples.object([
            "kind": "ReplicaSet",
            "metadata": [
                "name": "web-7f9", "annotations": ["deployment.kubernetes.io/revision": "2"],
                "ownerReferences": [["kind": "Deployment", "name": "web", "uid": "d-1", "controller": true]],
            ],
            "spec": ["replicas": 3], "status": ["replicas": 3],
        ])
        rs.namespace = "default"
        let event = Samples.object([
            "kind": "Event", "metadata": ["name": "e"], "type": "Normal", "reason": "ScalingReplicaSet",
            "source": ["component": "deployment-controller"], "message": "Scaled up replica set web-7f9 to 3",
            "lastTimestamp": Samples.ago(120),
        ])
        let text = Describer.describe(
            Samples.deployment, type: .deployment, context: DescribeContext(events: [event], related: [rs]),
            now: Samples.now)
        #expect(text.contains("Name:                   web\n"))
        #expect(text.contains("Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n"))
        #expect(text.contains("StrategyType:           RollingUpdate\n"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("NewReplicaSet:") && $0.hasSuffix(" web-7f9 (3/3 replicas created)") })
        #expect(lines.contains { $0.hasPrefix("      cpu:") && $0.hasSuffix(" 100m") })
        #expect(text.contains("      /bin/web\n"))
        #expect(text.contains("Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3"))
        #expect(text.contains("MODE:  prod"))
        #expect(text.contains("Normal  ScalingReplicaSet  2m   deployment-controller  Scaled up replica set web-7f9 to 3"))
    }

    @Test func secretShowsSizesNotValues() {
        let secret = Samples.object([
            "kind": "Secret", "metadata": ["name": "db", "namespace": "default"], "type": "Opaque",
            "data": ["password": "c2VjcmV0LXZhbHVl"],
        ])
        let text = Describer.describe(secret, type: .secret, context: DescribeContext(), now: Samples.now)
        #expect(text.contains("password:  12 bytes"))
        #expect(!text.contains("secret-value"))
        #expect(!text.contains("c2VjcmV0LXZhbHVl"))
        #expect(text.hasSuffix("Events:             <none>\n") || text.contains("Events:"))
    }

    @Test func serviceAndPod() {
        let service = Describer.describe(
            Samples.service, type: .service, context: DescribeContext(endpoints: ["10.1.0.5:8080"]), now: Samples.now)
        #expect(service.contains("Type:              NodePort"))
        #expect(service.contains("Endpoints:         10.1.0.5:8080"))
        let pod = Describer.describe(Samples.pod, type: .pod, context: DescribeContext(), now: Samples.now)
        #expect(pod.contains("Node:"))
        #expect(pod.contains("node-1"))
        #expect(pod.contains("CrashLoopBackOff"))
        #expect(pod.contains("Restart Count:  2"))
    }
}

@Suite struct InProcessRunTests {
    @Test func unknownKindFailsWithOneLine() async {
        let result = await KctlCommand.capture(["get", "foo", "--server", "http://127.0.0.1:1"])
        #expect(result.exitCode == 1)
        #expect(result.stderr == "error: the server doesn't have a resource type \"foo\"\n")
        #expect(result.stdout.isEmpty)
    }

    @Test func unreachableServer() async {
        let result = await KctlCommand.capture(["get", "pods", "-s", "http://127.0.0.1:1"])
        #expect(result.exitCode == 1)
        #expect(result.stderr == "error: cannot reach kctld at http://127.0.0.1:1: connection refused (is kctld running?)\n")
    }

    @Test func helpGoesToStdout() async {
        let result = await KctlCommand.capture(["get", "--help"])
        #expect(result.exitCode == 0)
        #expect(result.stdout.contains("--field-selector"))
    }

    @Test func applyReportsUnreadableDocumentsAndContinues() async throws {
        let result = await KctlCommand.capture(
            ["apply", "-f", "-", "-s", "http://127.0.0.1:1"], stdin: "{\"kind\": \"Thing\"}")
        #expect(result.exitCode == 1)
        #expect(result.stderr.hasPrefix("error: STDIN"))
    }

    @Test func missingPath() async {
        let result = await KctlCommand.capture(["apply", "-f", "/nonexistent/x.yaml", "-s", "http://127.0.0.1:1"])
        #expect(result.exitCode == 1)
        #expect(result.stderr == "error: the path \"/nonexistent/x.yaml\" does not exist\n")
    }
}

@Suite struct CreateSupportTests {
    @Test func literalsAndFiles() throws {
        let dir = NSTemporaryDirectory() + "kctl-create-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: dir + "/greeting.txt"))
        let entries = try CreateSupport.entries(
            literals: ["user=admin", "url=http://x?a=b"], files: [dir + "/greeting.txt", "renamed=" + dir + "/greeting.txt"])
        #expect(entries["user"] == Array("admin".utf8))
        #expect(entries["url"] == Array("http://x?a=b".utf8))
        #expect(entries["greeting.txt"] == Array("hello".utf8))
        #expect(entries["renamed"] == Array("hello".utf8))
        #expect(throws: CLIError.self) { try CreateSupport.entries(literals: ["a=1", "a=2"], files: []) }
        #expect(throws: CLIError.self) { try CreateSupport.entries(literals: ["novalue"], files: []) }
        #expect(throws: CLIError.self) { try CreateSupport.entries(literals: [], files: ["/nonexistent"]) }
    }
}

@Suite struct ManifestFilesTests {
    @Test func directoriesAreSortedAndFiltered() throws {
        let dir = NSTemporaryDirectory() + "kctl-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["b.yaml", "a.json", "c.txt", "sub/d.yml"] {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        #expect(try ManifestFiles.files(at: dir, recursive: false) == [dir + "/a.json", dir + "/b.yaml"])
        #expect(try ManifestFiles.files(at: dir, recursive: true) == [dir + "/a.json", dir + "/b.yaml", dir + "/sub/d.yml"])
    }

    @Test func failureLinesNameTheSourceOnce() {
        let decoded = Manifest.decode("kind: ConfigMap\n", source: "x.yaml")
        #expect(decoded.count == 1)
        let line = ManifestFiles.failureLine(decoded[0])
        #expect(line.hasPrefix("error: x.yaml"))
        #expect(line.components(separatedBy: "x.yaml").count == 2)
        let bare = ManifestDocument(source: "STDIN", error: "boom")
        #expect(ManifestFiles.failureLine(bare) == "error: STDIN: boom")
    }
}
