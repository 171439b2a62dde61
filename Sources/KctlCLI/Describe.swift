import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl describe KIND [NAME...]`: a readable account of objects and their recent events.
    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show details of objects, with their events.",
            discussion: """
                Examples:
                  kctl describe deployment web
                  kctl describe pods -l app=web
                  kctl describe svc/web
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND [NAME...], or KIND/NAME...; without names, every object of the kind.")
        var resources: [String] = []

        @Option(name: [.customShort("l"), .long], help: "Describe the objects matching this label selector.")
        var selector: String?

        func validate() throws {
            if resources.isEmpty { throw ValidationError("you must specify the type of resource to describe") }
        }

        func run() async throws {
            let io = CommandIO.current
            let (requests, _) = try ResourceArgs.parse(resources)
            let failed = try await global.withClient { client in
                var failed = false
                var printed = false
                for request in requests {
                    let ns = request.type.namespaced ? global.effectiveNamespace : nil
                    var objects: [KubeObject] = []
                    if request.names.isEmpty {
                        objects = try await client.list(
                            request.type, namespace: request.type.namespaced ? global.listNamespace : nil,
                            labelSelector: selector
                        ).items
                    } else {
                        for name in request.names {
                            do {
                                objects.append(try await client.get(request.type, namespace: ns, name: name))
                            } catch let error as StatusError where !error.isUnreachable {
                                io.err(lines: ErrorReport.lines(for: error))
                                failed = true
                            }
                        }
                    }
                    for object in objects {
                        let context = await gatherContext(object, type: request.type, client: client)
                        if printed { io.out("") }
                        io.outRaw(Describer.describe(object, type: request.type, context: context, now: Date()))
                        printed = true
                    }
                }
                if !printed && !failed { io.err("No resources found in \(global.effectiveNamespace) namespace.") }
                return failed
            }
            if failed { throw AlreadyReported() }
        }

        /// Events and related objects. Failures here only shorten the description.
        private func gatherContext(_ object: KubeObject, type: ResourceType, client: KubeClient) async -> DescribeContext {
            var context = DescribeContext()
            var fields = ["involvedObject.name=\(object.name)", "involvedObject.kind=\(type.kind)"]
            if let ns = object.namespace { fields.insert("involvedObject.namespace=\(ns)", at: 1) }
            context.events = (try? await client.list(
                .event, namespace: object.namespace, fieldSelector: fields.joined(separator: ",")).items) ?? []
            switch type.plural {
            case "deployments":
                context.related = (try? await client.list(.replicaSet, namespace: object.namespace).items) ?? []
            case "nodes":
                context.related = (try? await client.list(
                    .pod, namespace: nil,
                    fieldSelector: "spec.nodeName=\(object.name),status.phase!=Succeeded,status.phase!=Failed").items) ?? []
            case "pods":
                context.scheduling = try? await client.schedulingRecord(namespace: object.namespace, pod: object.name)
            case "services":
                let path = "/api/v1/namespaces/\(object.namespace ?? "default")/endpoints/\(object.name)"
                if let (status, body) = try? await client.raw(method: "GET", path: path), status == 200,
                    let endpoints = try? JSONValue.parse(body)
                {
                    context.endpoints = Self.endpointAddresses(endpoints)
                    context.endpointsObject = endpoints
                }
            default:
                break
            }
            return context
        }

        /// `10.1.0.5:8080` for every ready address and port of an Endpoints object.
        static func endpointAddresses(_ endpoints: JSONValue) -> [String] {
            var result: [String] = []
            for subset in endpoints["subsets"]?.arrayValue ?? [] {
                let ports = (subset["ports"]?.arrayValue ?? []).compactMap { $0["port"]?.intValue }
                for address in subset["addresses"]?.arrayValue ?? [] {
                    guard let ip = address["ip"]?.stringValue else { continue }
                    if ports.isEmpty { result.append(ip) } else { result += ports.map { "\(ip):\($0)" } }
                }
            }
            return result
        }
    }
}
