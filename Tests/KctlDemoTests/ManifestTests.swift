import Foundation
import KctlModel
import Testing

@testable import KctlDemo

/// Every manifest under `Manifests/` decodes and passes kctl's own admission, and every demo
/// container runs a role `kctl-demo` has, probed on /healthz and scraped on its own port.
@Suite struct ManifestTests {
    static var files: [String] {
        let root = Demo.repositoryRoot.appendingPathComponent("Manifests")
        let all =
            FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        return all.filter { ["yaml", "yml"].contains($0.pathExtension) }
            .map { String($0.path.dropFirst(Demo.repositoryRoot.path.count + 1)) }.sorted()
    }

    static func objects(_ path: String) throws -> [KubeObject] {
        let text = try String(contentsOf: Demo.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        return Manifest.decode(text, source: path).compactMap(\.object)
    }

    @Test func everyScenarioIsThere() {
        let files = Set(Self.files)
        for directory in ["chat", "edupro", "shop", "legacy"] {
            #expect(files.contains { $0.hasPrefix("Manifests/\(directory)/") }, "no Manifests/\(directory)")
        }
    }

    @Test(arguments: files)
    func decodesAndIsAdmitted(path: String) throws {
        let text = try String(contentsOf: Demo.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        #expect(text.hasPrefix("# "), "\(path) should say at the top what it is")
        let documents = Manifest.decode(text, source: path)
        #expect(!documents.isEmpty)
        for document in documents {
            #expect(document.error == nil, "\(document.error ?? "")")
            guard var object = document.object else { continue }
            let type = try #require(ResourceType.forObject(apiVersion: object.apiVersion, kind: object.kind))
            if type.namespaced && object.namespace == nil { object.namespace = "default" }
            do {
                _ = try Admission.admit(object, as: type)
            } catch let error as StatusError {
                Issue.record("\(document.source): \(error.message)")
            }
        }
    }

    @Test(arguments: files)
    func demoContainersRunARealRole(path: String) throws {
        for object in try Self.objects(path) where object.kind == "Deployment" {
            let deployment = try Deployment(object)
            let template = try #require(deployment.spec?.template)
            for container in template.spec.containers {
                let command = try #require(container.command)
                #expect(command.first == "kctl-demo", "\(path): \(container.name)")
                let role = try #require(DemoRole(rawValue: command.count > 1 ? command[1] : ""), "\(path): \(command)")
                #expect(role.serves)
                #expect(container.readinessProbe?.httpGet?.path == "/healthz")
                #expect(container.livenessProbe?.httpGet?.path == "/healthz")
                #expect(container.resources?.requests?["cpu"] != nil && container.resources?.requests?["memory"] != nil)
                let port = try #require(container.ports?.first(where: { $0.name == "http" })?.containerPort)
                #expect(Int(port) == role.defaultPort, "\(path): \(role) listens on \(role.defaultPort)")
                let annotations = template.metadata?.annotations ?? [:]
                #expect(annotations["prometheus.io/scrape"] == "true")
                #expect(annotations["prometheus.io/port"] == String(port))
                #expect(annotations["prometheus.io/path"] == "/metrics")
                // No DNS here: other services are reached through the service variables.
                for variable in container.env ?? [] {
                    #expect(!(variable.value ?? "").contains("http://"), "\(path): \(variable.name) names a host")
                }
            }
        }
    }

    @Test func everyServiceSelectsADeploymentOfItsFile() throws {
        for path in Self.files {
            let objects = try Self.objects(path)
            let templates = try objects.filter { $0.kind == "Deployment" }.compactMap {
                try Deployment($0).spec?.template.metadata?.labels
            }
            for object in objects where object.kind == "Service" {
                let selector = try #require(try Service(object).spec?.selector)
                #expect(
                    templates.contains { labels in selector.allSatisfy { labels[$0.key] == $0.value } },
                    "\(path): Service \(object.name) selects no pod template of its file")
            }
        }
    }
}
