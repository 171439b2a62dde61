import Foundation
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlCLI

/// `kctl apply` sends the documents of one kind several at a time: every line still comes out in
/// file order, a failing document does not stop the others, and kinds still go in install order
/// (a Namespace exists before the objects in it).
@Suite(.timeLimit(.minutes(2))) struct ApplyConcurrencyTests {
    @Test func linesKeepFileOrderAndKindsKeepInstallOrder() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        var documents: [String] = []
        var expected: [String] = ["namespace/batch created"]
        for i in 0..<40 {
            if i == 17 {
                documents.append("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: BAD, namespace: batch}\ndata: {k: v}")
                continue
            }
            documents.append("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-\(i), namespace: batch}\ndata: {k: \"\(i)\"}")
            expected.append("configmap/cm-\(i) created")
        }
        // Listed last, applied first: the ConfigMaps need it.
        documents.append("apiVersion: v1\nkind: Namespace\nmetadata: {name: batch}")
        let path = TestFiles.temporaryDirectory() + "/batch.yaml"
        try documents.joined(separator: "\n---\n").write(toFile: path, atomically: true, encoding: .utf8)

        let first = await KctlCommand.capture(["apply", "-f", path, "--server", d.url])
        #expect(first.exitCode == 1)
        #expect(first.stdout.split(separator: "\n").map(String.init) == expected)
        #expect(first.stderr.contains("ConfigMap \"BAD\" is invalid"), "\(first.stderr)")
        let stored = try await d.client.list(.configMap, namespace: "batch").items
        #expect(stored.count == 39)

        // Again: everything unchanged, still in file order.
        let again = await KctlCommand.capture(["apply", "-f", path, "--server", d.url])
        #expect(
            again.stdout.split(separator: "\n").map(String.init)
                == expected.map { $0.replacingOccurrences(of: " created", with: " unchanged") })

        // Forty ConfigMaps are read with one list, not a GET each. What the list says decides
        // each line: one changed in the file, one deleted on the server, one changed there in a
        // field the manifest does not set.
        documents[3] = documents[3].replacingOccurrences(of: "data: {k: \"3\"}", with: "data: {k: \"three\"}")
        try documents.joined(separator: "\n---\n").write(toFile: path, atomically: true, encoding: .utf8)
        try await d.client.delete(.configMap, namespace: "batch", name: "cm-5")
        _ = try await d.client.patch(.configMap, namespace: "batch", name: "cm-7", patch: ["metadata": ["labels": ["edited": "yes"]]])
        let third = await KctlCommand.capture(["apply", "-f", path, "--server", d.url])
        let lines = third.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("configmap/cm-3 configured"), "\(lines)")
        #expect(lines.contains("configmap/cm-5 created"), "\(lines)")
        #expect(lines.contains("configmap/cm-7 unchanged"), "\(lines)")
        #expect(lines.filter { $0.hasSuffix(" unchanged") }.count == 38, "\(lines)")  // the Namespace and 37 ConfigMaps
        #expect(try await d.client.get(.configMap, namespace: "batch", name: "cm-3")["data"]?["k"] == "three")
        #expect(try await d.client.get(.configMap, namespace: "batch", name: "cm-7").labels["edited"] == "yes")
    }

    /// A list that went stale before a document's turn: the object it saw is gone, so the patch
    /// answers NotFound, and apply reads it again and creates it.
    @Test func anObjectDeletedAfterTheListIsCreated() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let path = TestFiles.temporaryDirectory() + "/one.yaml"
        try "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: gone}\ndata: {k: new}".write(toFile: path, atomically: true, encoding: .utf8)
        let command = try KctlCommand.Apply.parse(["-f", path, "--server", d.url])
        let document = try #require(try ManifestFiles.documents(paths: [path], recursive: false, io: CommandIO.current).first?.object)

        // Applied once with an older value, listed, then deleted by someone else.
        var older = document
        older["data"] = ["k": "old"]
        _ = try await command.apply(older, client: d.client)
        var known = KctlCommand.Apply.LiveObjects()
        known.add(try await d.client.list(.configMap, namespace: "default").items, of: .configMap, namespace: "default")
        try await d.client.delete(.configMap, namespace: "default", name: "gone")

        let applied = try await command.apply(document, client: d.client, known: known)
        #expect(applied.line == "configmap/gone created")
        #expect(try await d.client.get(.configMap, namespace: "default", name: "gone")["data"]?["k"] == "new")
    }

    @Test func anUnreachableServerStopsTheApply() async throws {
        let path = TestFiles.temporaryDirectory() + "/two.yaml"
        try """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: a}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: b}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = await KctlCommand.capture(["apply", "-f", path, "--server", "http://127.0.0.1:1"])
        #expect(result.exitCode != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("127.0.0.1:1"), "\(result.stderr)")
    }
}
