import Foundation
import KctlModel
import KctlTestSupport
import Testing

/// The chat's `messages` replicas share one SQLite history through the `chat-history` hostPath
/// volume. In the end-to-end suite, which is serialized: its daemons' proxies take real loopback
/// addresses.
extension ProcessesEndToEndTests {
    @Test func twoMessagesReplicasShareOneHistory() async throws {
        let d = try await TestDaemon.start(controlLoops: true, nodes: 2, processes: true) { options in
            options.backOffBase = .milliseconds(200)
        }
        do {
            try await checkSharedHistory(d)
        } catch {
            await d.stop()
            throw error
        }
        await d.stop()
    }

    private func checkSharedHistory(_ d: TestDaemon) async throws {
        let apply = await kctl(d, ["apply", "-f", TestFiles.repoRoot + "/Manifests/chat"])
        #expect(apply.exitCode == 0, "\(apply.stderr)")
        try await eventually(seconds: 60, "every chat replica ready") { try await readyPods(d).count == 5 }
        let replicas = try await readyPods(d).filter { $0.metadata.labels?["component"] == "messages" }
        let addresses = replicas.compactMap { $0.status?.podIP.map { "http://\($0):8080" } }
        try #require(addresses.count == 2)

        // Each replica stores one message; each replica then lists both.
        for (index, address) in addresses.enumerated() {
            let text = "stored by replica \(index)"
            try await eventually(seconds: 30, "replica \(index) accepts a message") {
                try await http("POST", address, "/messages", json: #"{"from":"alice","text":"\#(text)"}"#).status == 201
            }
        }
        for (index, address) in addresses.enumerated() {
            let history = try await http("GET", address, "/messages")
            #expect(history.status == 200)
            #expect(history.body.contains("stored by replica 0"), "replica \(index): \(history.body)")
            #expect(history.body.contains("stored by replica 1"), "replica \(index): \(history.body)")
        }
        let file = d.dataDir + "/hostpath/chat-history/messages.sqlite"
        #expect(FileManager.default.fileExists(atPath: file), "the history lives in the data dir's hostpath area")
    }
}
