import Foundation
import KctlModel
import KctlTestSupport
import Testing

/// The real kubectl against a real kctld: `get` in its forms.
@Suite(.requiresKubectl)
struct KubectlGetTests {
    @Test func versionAndNamespacesAnswer() async throws {
        let d = try await TestDaemon.start()
        let k = try #require(Kubectl(d))
        defer { k.cleanup() }
        let result = try await k.run(["get", "namespaces"])
        await d.stop()
        #expect(result.succeeded, "\(result)")
        #expect(result.stdout.contains("default"), "\(result)")
    }
}
