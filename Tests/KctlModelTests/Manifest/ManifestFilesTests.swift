import Foundation
import Testing

@testable import KctlModel

/// Every file under `Manifests/` decodes and passes admission, as the API server would run it.
@Suite struct ManifestFilesTests {
    static var repositoryRoot: URL {
        // Tests/KctlModelTests/Manifest/ManifestFilesTests.swift -> the repository root.
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static var manifestFiles: [URL] {
        let root = repositoryRoot.appendingPathComponent("Manifests")
        guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }
            .filter { ["yaml", "yml", "json"].contains($0.pathExtension) }
            .sorted { $0.path < $1.path }
    }

    static func relative(_ url: URL) -> String {
        String(url.path.dropFirst(repositoryRoot.path.count + 1))
    }

    @Test func manifestsExist() {
        let names = Set(Self.manifestFiles.map(Self.relative))
        for expected in [
            "Manifests/chat/secret.yaml", "Manifests/chat/configmap.yaml", "Manifests/chat/users.yaml",
            "Manifests/chat/messages.yaml", "Manifests/chat/notifications.yaml", "Manifests/chat/ingress.yaml",
            "Manifests/chat/hpa.yaml", "Manifests/edupro/10-auth.yaml", "Manifests/edupro/20-course.yaml",
            "Manifests/edupro/30-ingress.yaml", "Manifests/nodes.yaml",
        ] {
            #expect(names.contains(expected), "missing \(expected)")
        }
    }

    @Test(arguments: manifestFiles.map(relative))
    func decodesAndAdmits(path: String) throws {
        let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let documents = Manifest.decode(text, source: path)
        #expect(!documents.isEmpty)
        for document in documents {
            #expect(document.error == nil, "\(document.error ?? "")")
            guard var object = document.object else { continue }
            let type = try #require(ResourceType.forObject(apiVersion: object.apiVersion, kind: object.kind))
            if type.namespaced && object.namespace == nil { object.namespace = "default" }
            do {
                let admitted = try Admission.admit(object, as: type)
                // Admission is idempotent: admitting the result changes nothing.
                #expect(try Admission.admit(admitted, as: type) == admitted)
                // YAML output re-reads as the same object.
                #expect(Manifest.decode(Manifest.yaml(admitted.value), source: "again").first?.object == admitted)
            } catch let error as StatusError {
                Issue.record("\(document.source): \(error.message)")
            }
        }
    }

    @Test func chatDeploymentsAreWhatTheDemoNeeds() throws {
        for name in ["users", "messages", "notifications"] {
            let path = "Manifests/chat/\(name).yaml"
            let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
            let objects = Manifest.decode(text, source: path).compactMap(\.object)
            let deployment = try Deployment(#require(objects.first { $0.kind == "Deployment" }))
            let service = try Service(#require(objects.first { $0.kind == "Service" }))
            let container = try #require(deployment.spec?.template.spec.containers.first)
            #expect(container.command == ["kctl-demo", "chat-\(name)"])
            #expect(container.ports?.first?.name == "http" && container.ports?.first?.containerPort == 8080)
            #expect(container.resources?.requests?["cpu"] == (try Quantity("100m")))
            #expect(container.readinessProbe?.httpGet?.path == "/healthz")
            #expect(deployment.spec?.template.metadata?.annotations?["prometheus.io/scrape"] == "true")
            #expect(service.spec?.ports?.first?.port == 80 && service.spec?.ports?.first?.targetPort == "http")
            #expect(service.spec?.selector == ["app": "chat", "component": name])
        }
    }
}
