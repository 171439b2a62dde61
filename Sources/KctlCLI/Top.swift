import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl top pods|nodes`: CPU and memory in use, from the resource metrics API
    /// (`metrics.k8s.io`, fed by the node agents' samples), printed as kubectl prints them.
    struct Top: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the CPU and memory use of pods or nodes.",
            subcommands: [Pods.self, Nodes.self])
    }
}

/// `--sort-by` choices.
enum TopSortOrder: String, ExpressibleByArgument, CaseIterable, Sendable {
    case cpu, memory
}

extension KctlCommand.Top {
    struct Pods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pods", abstract: "CPU (cores) and memory (bytes) of pods.",
            discussion: """
                Examples:
                  kctl top pods
                  kctl top pods -A -l app=messages --containers
                  kctl top pods --sort-by memory
                """,
            aliases: ["pod", "po"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Only this pod.")
        var name: String?

        @Option(name: [.customShort("l"), .long], help: "Only pods matching this label selector.")
        var selector: String?

        @Flag(help: "One line per container.")
        var containers = false

        @Option(name: .customLong("sort-by"), help: "Sort by cpu or memory, largest first.")
        var sortBy: TopSortOrder?

        @Flag(name: .customLong("no-headers"), help: "Leave out the header line.")
        var noHeaders = false

        func run() async throws {
            let io = CommandIO.current
            let withNamespace = global.allNamespaces && name == nil
            try await global.withClient { client in
                var items: [KubeObject]
                if let name {
                    items = [try await client.podMetrics(namespace: global.effectiveNamespace, name: name)]
                } else {
                    items = try await client.podMetrics(namespace: global.listNamespace, labelSelector: selector)
                    if items.isEmpty {
                        let pods = try await client.list(.pod, namespace: global.listNamespace, labelSelector: selector)
                        if !pods.items.isEmpty { throw CLIError("metrics not available yet") }
                        io.err(global.allNamespaces ? "No resources found" : "No resources found in \(global.effectiveNamespace) namespace.")
                        return
                    }
                }
                if let sortBy {
                    items.sort { TopUsage.pod($0).value(sortBy) > TopUsage.pod($1).value(sortBy) }
                }
                var rows: [[String]] = []
                if !noHeaders {
                    rows.append(
                        (withNamespace ? ["NAMESPACE"] : []) + (containers ? ["POD", "NAME"] : ["NAME"])
                            + ["CPU(cores)", "MEMORY(bytes)"])
                }
                for item in items {
                    let prefix = (withNamespace ? [item.namespace ?? ""] : []) + [item.name]
                    if containers {
                        for container in item["containers"]?.arrayValue ?? [] {
                            let usage = TopUsage(container["usage"])
                            rows.append(prefix + [container["name"]?.stringValue ?? "", usage.cpuText, usage.memoryText])
                        }
                    } else {
                        let usage = TopUsage.pod(item)
                        rows.append(prefix + [usage.cpuText, usage.memoryText])
                    }
                }
                io.out(lines: Printers.table(rows))
            }
        }
    }

    struct Nodes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "nodes",
            abstract: "CPU (cores) and memory (bytes) of nodes, and their share of what each node can allocate.",
            aliases: ["node", "no"])

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Only this node.")
        var name: String?

        @Option(name: [.customShort("l"), .long], help: "Only nodes matching this label selector.")
        var selector: String?

        @Option(name: .customLong("sort-by"), help: "Sort by cpu or memory, largest first.")
        var sortBy: TopSortOrder?

        @Flag(name: .customLong("no-headers"), help: "Leave out the header line.")
        var noHeaders = false

        func run() async throws {
            let io = CommandIO.current
            try await global.withClient { client in
                let nodes: [KubeObject]
                var metrics: [KubeObject]
                if let name {
                    metrics = [try await client.nodeMetrics(name: name)]
                    nodes = [try await client.get(.node, namespace: nil, name: name)]
                } else {
                    nodes = try await client.list(.node, namespace: nil, labelSelector: selector).items
                    let wanted = Set(nodes.map(\.name))
                    metrics = try await client.nodeMetrics(labelSelector: selector).filter { wanted.contains($0.name) }
                    if metrics.isEmpty { throw CLIError("metrics not available yet") }
                }
                if let sortBy {
                    metrics.sort { TopUsage($0["usage"]).value(sortBy) > TopUsage($1["usage"]).value(sortBy) }
                }
                let allocatable = Dictionary(nodes.map { ($0.name, $0.status?["allocatable"]) }, uniquingKeysWith: { a, _ in a })
                var rows: [[String]] = noHeaders ? [] : [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
                for item in metrics {
                    let usage = TopUsage(item["usage"])
                    let capacity = TopUsage(allocatable[item.name] ?? nil)
                    rows.append([
                        item.name, usage.cpuText, TopUsage.percent(usage.cpu.milliValue, of: capacity.cpu.milliValue),
                        usage.memoryText, TopUsage.percent(usage.memory.value, of: capacity.memory.value),
                    ])
                }
                // Nodes without a sample yet, as kubectl lists them.
                let reported = Set(metrics.map(\.name))
                for node in nodes where !reported.contains(node.name) {
                    rows.append([node.name] + Array(repeating: "<unknown>", count: 4))
                }
                io.out(lines: Printers.table(rows))
            }
        }
    }
}

/// One `usage` map (`{cpu, memory}`) read as quantities, printed as kubectl top prints them:
/// CPU in millicores rounded up, memory in whole MiB.
struct TopUsage {
    var cpu: Quantity
    var memory: Quantity

    init(_ usage: JSONValue?) {
        cpu = (usage?["cpu"]?.stringValue).flatMap { try? Quantity($0) } ?? .zero
        memory = (usage?["memory"]?.stringValue).flatMap { try? Quantity($0) } ?? .zero
    }

    /// A pod's usage: the sum over its containers.
    static func pod(_ metrics: KubeObject) -> TopUsage {
        var total = TopUsage(nil)
        for container in metrics["containers"]?.arrayValue ?? [] {
            let usage = TopUsage(container["usage"])
            total.cpu = total.cpu + usage.cpu
            total.memory = total.memory + usage.memory
        }
        return total
    }

    var cpuText: String { "\(cpu.milliValue)m" }
    var memoryText: String { "\(memory.value / (1024 * 1024))Mi" }

    func value(_ order: TopSortOrder) -> Quantity { order == .cpu ? cpu : memory }

    /// `12%`: a share of the node's allocatable amount, truncated as kubectl does.
    static func percent(_ used: Int64, of available: Int64) -> String {
        guard available > 0 else { return "<unknown>" }
        return "\(Int64(Double(used) / Double(available) * 100))%"
    }
}
