import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlCLI

/// Issue 6's end-to-end check through a real kctld: samples pushed with `kctl metrics push`
/// scale a Deployment up at once and, after the (shortened) scale-down window, back down, with
/// a `SuccessfulRescale` event for each step.
@Suite struct AutoscalingEndToEndTests {
    static let manifest = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: worker}
        spec:
          replicas: 1
          selector: {matchLabels: {app: worker}}
          template:
            metadata: {labels: {app: worker}}
            spec:
              containers:
              - name: worker
                command: ["kctl-demo", "sleep"]
                resources: {requests: {cpu: 50m}}
        ---
        apiVersion: autoscaling/v2
        kind: HorizontalPodAutoscaler
        metadata: {name: worker}
        spec:
          scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: worker}
          minReplicas: 1
          maxReplicas: 6
          metrics:
          - type: External
            external:
              metric: {name: queue_depth, selector: {matchLabels: {service: queue}}}
              target: {type: AverageValue, averageValue: "10"}
        """

    @Test func pushedSamplesScaleUpThenDownAfterTheWindow() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 2) { options in
            options.autoscaling.syncPeriod = .milliseconds(200)
            options.autoscaling.downscaleStabilization = .seconds(2)
        }
        defer { Task { await d.stop() } }
        @Sendable func kctl(_ arguments: [String]) async -> CommandResult {
            await KctlCommand.capture(arguments + ["--server", d.url])
        }
        let file = TestFiles.temporaryDirectory() + "/worker.yaml"
        try Self.manifest.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(await kctl(["apply", "-f", file]).exitCode == 0)
        @Sendable func replicas() async throws -> Int64? {
            try await d.client.get(.deployment, namespace: "default", name: "worker").spec?["replicas"]?.intValue
        }
        @Sendable func rescales() async throws -> [String] {
            try await d.client.list(.event, namespace: "default").items
                .filter { $0.value["reason"]?.stringValue == "SuccessfulRescale" }
                .compactMap { $0.value["message"]?.stringValue }
        }

        // 45 queued against 10 per replica: ceil(4.5) = 5 replicas (the default scale-up allows +4).
        let push = await kctl(["metrics", "push", "queue_depth", "45", "--label", "service=queue"])
        #expect(push.exitCode == 0, "\(push)")
        try await eventually(seconds: 20, "scaled up to 5") { try await replicas() == 5 }
        try await eventually(seconds: 10, "the scale-up event") {
            try await rescales().contains("New size: 5; reason: external metric queue_depth(service=queue) above target")
        }
        let hpa = await kctl(["get", "hpa", "worker"])
        #expect(hpa.stdout.contains("queue_depth"), "\(hpa)")

        // Drained to 5: the recommendation is 1, held for the 2 s window, then applied.
        #expect(await kctl(["metrics", "push", "queue_depth", "5", "--label", "service=queue"]).exitCode == 0)
        try await eventually(seconds: 20, "scaled down to 1") { try await replicas() == 1 }
        try await eventually(seconds: 10, "the scale-down event") {
            try await rescales().contains("New size: 1; reason: All metrics below target")
        }
        // At one replica the status shows the whole queue as the per-replica average.
        try await eventually(seconds: 10, "the status at one replica") {
            let status = try await d.client.get(.horizontalPodAutoscaler, namespace: "default", name: "worker").status
            return status?["currentReplicas"]?.intValue == 1
                && status?["currentMetrics"]?.arrayValue?.first?["external"]?["current"]?["averageValue"]?.stringValue == "5"
        }
    }
}
