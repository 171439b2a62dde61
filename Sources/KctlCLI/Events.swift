import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl events [-w]`: the reconciliation log. Every decision a controller, the scheduler or
    /// a node agent takes is a v1 Event; this prints them oldest first and, with `-w`, streams
    /// new ones as they happen.
    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the reconciliation log (Events), oldest first; -w streams new ones.",
            discussion: """
                Examples:
                  kctl events
                  kctl events -w
                  kctl events -A --for deployment/messages
                """)

        @OptionGroup var global: GlobalOptions

        @Flag(name: [.customShort("w"), .long], help: "After listing, print new events as they happen until interrupted.")
        var watch = false

        @Option(name: .customLong("for"), help: "Only events about this object, as KIND/NAME (e.g. pod/web-abc12).")
        var forObject: String?

        @Option(name: .customLong("types"), help: "Only events of these types, comma-separated (Normal,Warning).")
        var types: String?

        func run() async throws {
            let io = CommandIO.current
            var fields: [String] = []
            if let forObject {
                let parts = forObject.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, let type = ResourceType.lookup(parts[0]) else {
                    throw CLIError("--for: expected KIND/NAME, e.g. deployment/messages")
                }
                fields.append("involvedObject.kind=\(type.kind)")
                fields.append("involvedObject.name=\(parts[1])")
            }
            let wanted = types.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
            try await global.withClient { client in
                let ns = global.listNamespace
                let fieldSelector = fields.isEmpty ? nil : fields.joined(separator: ",")
                let list = try await client.list(.event, namespace: ns, fieldSelector: fieldSelector)
                let events: [KubeObject] = list.items.filter { wanted == nil || wanted!.contains(EventLine.type($0)) }
                    .sorted { EventLine.order($0) < EventLine.order($1) }
                if events.isEmpty && !watch {
                    io.err(global.allNamespaces ? "No events found." : "No events found in \(global.effectiveNamespace) namespace.")
                    return
                }
                var widths = EventLine.widths(withNamespace: global.allNamespaces)
                // Size the columns to what is listed (lines streamed later keep these widths or grow them).
                for event in events { _ = EventLine.render(event, widths: &widths, withNamespace: global.allNamespaces) }
                io.out(EventLine.header(widths: widths, withNamespace: global.allNamespaces))
                for event in events {
                    io.out(EventLine.render(event, widths: &widths, withNamespace: global.allNamespaces))
                }
                guard watch else { return }
                if io.isProcess { InterruptHandler.exitQuietlyOnInterrupt() }
                var revision = list.resourceVersion
                while !Task.isCancelled {
                    do {
                        let stream = client.watch(.event, namespace: ns, resourceVersion: revision, fieldSelector: fieldSelector)
                        for try await change in stream where change.type == "ADDED" || change.type == "MODIFIED" {
                            if let rv = change.object.resourceVersion { revision = rv }
                            guard wanted == nil || wanted!.contains(EventLine.type(change.object)) else { continue }
                            io.out(EventLine.render(change.object, widths: &widths, withNamespace: global.allNamespaces))
                        }
                    } catch let error as StatusError where error.code == 410 {
                        revision = try await client.list(.event, namespace: ns, fieldSelector: fieldSelector).resourceVersion
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }
}

/// One event as a log line: `LAST SEEN  TYPE  REASON  OBJECT  MESSAGE`, columns kept aligned
/// as new, longer lines arrive.
enum EventLine {
    static func type(_ e: KubeObject) -> String { e["type"]?.stringValue ?? "Normal" }

    static func time(_ e: KubeObject) -> String {
        e["lastTimestamp"]?.stringValue ?? e["eventTime"]?.stringValue ?? e.creationTimestamp ?? ""
    }

    /// Starting widths: the headers, and room for the usual reasons and objects so that a
    /// streamed log stays aligned.
    /// Oldest first; events of the same second in the order they were written.
    static func order(_ e: KubeObject) -> (String, Int64) {
        (time(e), Int64(e.resourceVersion ?? "") ?? 0)
    }

    static func widths(withNamespace: Bool) -> [Int] { (withNamespace ? [9] : []) + [9, 7, 17, 30] }

    static func header(widths: [Int], withNamespace: Bool) -> String {
        let names = (withNamespace ? ["NAMESPACE"] : []) + ["LAST SEEN", "TYPE", "REASON", "OBJECT"]
        return pad(names, widths) + "MESSAGE"
    }

    static func render(_ e: KubeObject, widths: inout [Int], withNamespace: Bool) -> String {
        let involved = e["involvedObject"]
        let kind = involved?["kind"]?.stringValue?.lowercased() ?? ""
        let object = "\(kind)/\(involved?["name"]?.stringValue ?? "")"
        let age = Timestamp.parse(time(e)).map { Age.format(Date().timeIntervalSince($0)) } ?? "<unknown>"
        let count = e["count"]?.intValue ?? 1
        let seen = count > 1 ? "\(age) (x\(count))" : age
        let cells = (withNamespace ? [e.namespace ?? ""] : []) + [seen, type(e), e["reason"]?.stringValue ?? "", object]
        for (i, cell) in cells.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        return pad(cells, widths) + (e["message"]?.stringValue ?? "")
    }

    private static func pad(_ cells: [String], _ widths: [Int]) -> String {
        zip(cells, widths).map { $0.padding(toLength: $1 + 3, withPad: " ", startingAt: 0) }.joined()
    }
}
