import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl get KIND[,KIND...] [NAME...]`: tables, names, JSON or YAML; `-w` streams changes.
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Display one or many objects.",
            discussion: """
                Examples:
                  kctl get pods
                  kctl get deploy,svc -A
                  kctl get deployment/web -o yaml
                  kctl get all -l app=web
                  kctl get pods -w
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "KIND[,KIND...] [NAME...], or KIND/NAME... (kinds: plural, singular, short name or Kind; \"all\").")
        var resources: [String] = []

        @Option(name: .shortAndLong, help: "Output format: wide, yaml, json or name.")
        var output: OutputFormat?

        @Option(name: [.customShort("l"), .long], help: "Label selector, e.g. app=web,tier!=db.")
        var selector: String?

        @Option(name: .customLong("field-selector"), help: "Field selector, e.g. status.phase=Running.")
        var fieldSelector: String?

        @Flag(name: [.customShort("w"), .long], help: "After listing, watch for changes and print them until interrupted.")
        var watch = false

        @Flag(name: .customLong("show-labels"), help: "Show each object's labels as the last column.")
        var showLabels = false

        @Flag(name: .customLong("no-headers"), help: "Leave out the header line of tables.")
        var noHeaders = false

        @Option(name: .customLong("raw"), help: "GET this API path (e.g. /apis/metrics.kctl.dev/v1/samples) and print the body.")
        var raw: String?

        func validate() throws {
            if raw != nil && !resources.isEmpty {
                throw ValidationError("arguments may not be passed when --raw is specified")
            }
            if resources.isEmpty && raw == nil {
                throw ValidationError("you must specify the type of resource to get, e.g. \"kctl get pods\"")
            }
        }

        func run() async throws {
            let io = CommandIO.current
            if let raw {
                let body = try await global.withClient { client in
                    let (status, body) = try await client.raw(method: "GET", path: raw.hasPrefix("/") ? raw : "/" + raw)
                    guard (200..<300).contains(status) else { throw KubeClient.error(status: status, body: body) }
                    return body
                }
                let text = String(decoding: body, as: UTF8.self)
                io.outRaw(text.isEmpty || text.hasSuffix("\n") ? text : text + "\n")
                return
            }
            let (requests, multipleKinds) = try ResourceArgs.parse(resources)
            if watch {
                guard requests.count == 1, requests[0].names.count <= 1, !multipleKinds else {
                    throw CLIError("watch is only supported on a single resource type (and at most one name)")
                }
                try await global.withClient { client in try await watchOne(requests[0], client: client, io: io) }
                return
            }
            let hadErrors = try await global.withClient { client in
                try await show(requests, multipleKinds: multipleKinds, client: client, io: io)
            }
            if hadErrors { throw AlreadyReported() }
        }

        private func namespace(for type: ResourceType) -> String? {
            type.namespaced ? global.listNamespace : nil
        }

        /// Fetches and prints; returns whether some named object was missing (already reported).
        private func show(
            _ requests: [ResourceRequest], multipleKinds: Bool, client: KubeClient, io: CommandIO
        ) async throws -> Bool {
            var sections: [(type: ResourceType, objects: [KubeObject])] = []
            var hadErrors = false
            for request in requests {
                if request.names.isEmpty {
                    let list = try await client.list(
                        request.type, namespace: namespace(for: request.type), labelSelector: selector,
                        fieldSelector: fieldSelector)
                    sections.append((request.type, list.items))
                } else {
                    var objects: [KubeObject] = []
                    for name in request.names {
                        do {
                            let ns = request.type.namespaced ? global.effectiveNamespace : nil
                            objects.append(try await client.get(request.type, namespace: ns, name: name))
                        } catch let error as StatusError where error.reason == .notFound {
                            io.err(lines: ErrorReport.lines(for: error))
                            hadErrors = true
                        }
                    }
                    sections.append((request.type, objects))
                }
            }
            let all = sections.flatMap(\.objects)
            let singleObject = requests.count == 1 && requests[0].names.count == 1 && !multipleKinds
            switch output {
            case .name:
                io.out(lines: sections.flatMap { section in section.objects.map { Printers.qualifiedName(section.type, $0.name) } })
            case .json:
                if singleObject, let only = all.first {
                    io.out(Printers.json(only.value))
                } else if !(singleObject && all.isEmpty) {
                    io.out(Printers.json(Printers.list(all)))
                }
            case .yaml:
                if singleObject, let only = all.first {
                    io.outRaw(Printers.yaml(only.value))
                } else if !(singleObject && all.isEmpty) {
                    io.outRaw(Printers.yaml(Printers.list(all)))
                }
            case .wide, .none:
                var printed = false
                let now = Date()
                for section in sections where !section.objects.isEmpty {
                    if printed { io.out("") }
                    io.out(lines: layout(section.type, multipleKinds: multipleKinds).render(section.objects, now: now))
                    printed = true
                }
                if !printed && !hadErrors { io.err(noResourcesMessage(requests.map(\.type))) }
            }
            return hadErrors
        }

        private func layout(_ type: ResourceType, multipleKinds: Bool) -> TableLayout {
            TableLayout(
                type: type, wide: output == .wide, withNamespace: global.allNamespaces && type.namespaced,
                qualifyNames: multipleKinds, showLabels: showLabels, noHeaders: noHeaders)
        }

        private func noResourcesMessage(_ types: [ResourceType]) -> String {
            if global.allNamespaces || !types.contains(where: \.namespaced) { return "No resources found" }
            return "No resources found in \(global.effectiveNamespace) namespace."
        }

        /// `get -w`: the current table, then one row per change, until interrupted.
        private func watchOne(_ request: ResourceRequest, client: KubeClient, io: CommandIO) async throws {
            let type = request.type
            let ns = namespace(for: type)
            var fields = fieldSelector
            if let name = request.names.first {
                fields = ["metadata.name=\(name)", fieldSelector].compactMap { $0 }.joined(separator: ",")
            }
            let list = try await client.list(type, namespace: ns, labelSelector: selector, fieldSelector: fields)
            let layout = layout(type, multipleKinds: false)
            var widths: [Int] = []
            var headerPrinted = noHeaders
            func emit(_ object: KubeObject) {
                switch output {
                case .name: io.out(Printers.qualifiedName(type, object.name))
                case .json: io.out(Printers.json(object.value))
                case .yaml: io.outRaw("---\n" + Printers.yaml(object.value))
                case .wide, .none:
                    var rows = [layout.cells(object, now: Date())]
                    if !headerPrinted { rows.insert(layout.header(), at: 0); headerPrinted = true }
                    let grown = Printers.columnWidths(rows)
                    widths = (0..<max(widths.count, grown.count)).map {
                        max($0 < widths.count ? widths[$0] : 0, $0 < grown.count ? grown[$0] : 0)
                    }
                    io.out(lines: rows.map { Printers.row(cells: $0, widths: widths) })
                }
            }
            if list.items.isEmpty, output == nil || output == .wide {
                io.err(noResourcesMessage([type]))
            }
            if output == nil || output == .wide, !list.items.isEmpty {
                let rows = [layout.header()] + list.items.map { layout.cells($0, now: Date()) }
                widths = Printers.columnWidths(rows)
                headerPrinted = true
                io.out(lines: rows.dropFirst(noHeaders ? 1 : 0).map { Printers.row(cells: $0, widths: widths) })
            } else {
                for object in list.items { emit(object) }
            }
            if io.isProcess { InterruptHandler.exitQuietlyOnInterrupt() }
            var revision = list.resourceVersion
            while !Task.isCancelled {
                do {
                    let events = client.watch(
                        type, namespace: ns, resourceVersion: revision, labelSelector: selector, fieldSelector: fields)
                    for try await event in events {
                        if let rv = event.object.resourceVersion { revision = rv }
                        if event.type != "BOOKMARK" { emit(event.object) }
                    }
                } catch let error as StatusError where error.code == 410 {
                    // Too old to resume: start again from the current state (rows already shown stay).
                    revision = try await client.list(
                        type, namespace: ns, labelSelector: selector, fieldSelector: fields
                    ).resourceVersion
                }
                // The server ended the stream (timeout or restart): resume shortly after the last event seen.
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

/// Ctrl-C during `get -w` is the normal way to stop: exit 0, as kubectl does.
enum InterruptHandler {
    static func exitQuietlyOnInterrupt() {
        signal(SIGINT) { _ in _exit(0) }
    }
}
