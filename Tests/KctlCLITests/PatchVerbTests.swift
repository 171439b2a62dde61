import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlCLI

/// `kctl patch` against a real kctld: merge and JSON patches land, a no-op says so, bad input
/// names what is wrong and changes nothing.
@Suite struct PatchVerbTests {
    @Test func mergeAndJSONPatchesLandAndNoChangeIsReported() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        @Sendable func kctl(_ arguments: [String]) async -> CommandResult {
            await KctlCommand.capture(arguments + ["--server", d.url])
        }
        let map = KubeObject([
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings"], "data": ["a": "1"],
        ])
        _ = try await d.client.create(map, as: .configMap, namespace: "default")

        let merged = await kctl(["patch", "configmap/settings", "--type", "merge", "-p", #"{"data":{"b":"2"}}"#])
        #expect(merged.exitCode == 0 && merged.stdout == "configmap/settings patched\n", "\(merged)")
        let again = await kctl(["patch", "cm", "settings", "--type", "merge", "-p", #"{"data":{"b":"2"}}"#])
        #expect(again.stdout == "configmap/settings patched (no change)\n", "\(again)")
        let json = await kctl([
            "patch", "cm/settings", "--type", "json", "-p", #"[{"op":"remove","path":"/data/a"}]"#,
        ])
        #expect(json.exitCode == 0, "\(json)")
        let live = try await d.client.get(.configMap, namespace: "default", name: "settings")
        #expect(live.value["data"] == ["b": "2"])

        let badJSON = await kctl(["patch", "cm/settings", "--type", "merge", "-p", "{data"])
        #expect(badJSON.exitCode != 0 && badJSON.stderr.contains("unable to parse"), "\(badJSON)")
        let badType = await kctl(["patch", "cm/settings", "--type", "yaml", "-p", "{}"])
        #expect(badType.exitCode != 0 && badType.stderr.contains("--type must be one of"), "\(badType)")
        let missing = await kctl(["patch", "cm/nope", "--type", "merge", "-p", "{}"])
        #expect(missing.stderr.contains(#"configmaps "nope" not found"#), "\(missing)")
        #expect(try await d.client.get(.configMap, namespace: "default", name: "settings").value["data"] == ["b": "2"])
    }
}
