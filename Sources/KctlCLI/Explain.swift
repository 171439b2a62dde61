import ArgumentParser
import Foundation
import KctlClient
import KctlModel
import KctlScheduler

extension KctlCommand {
    /// `kctl explain pod NAME`: why a pod is where it is, or why it is still pending: the
    /// scheduler's latest decision, node by node (the filter that failed, or the scores).
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain the scheduler's latest decision for a pod: every node's filter result or scores.",
            discussion: """
                Examples:
                  kctl explain pod messages-7d9f6c-abcde
                  kctl explain pod/huge
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "pod NAME, or pod/NAME.")
        var target: [String] = []

        func validate() throws {
            guard (1...2).contains(target.count) else { throw ValidationError("usage: kctl explain pod NAME") }
        }

        func run() async throws {
            let io = CommandIO.current
            let parts = target.count == 2 ? target : target[0].split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, ResourceType.lookup(parts[0]) == .pod else {
                throw CLIError("only pods can be explained: kctl explain pod NAME")
            }
            let name = parts[1]
            try await global.withClient { client in
                let pod = try await client.get(.pod, namespace: global.effectiveNamespace, name: name)
                io.out("Pod \(global.effectiveNamespace)/\(name):")
                // Pods stored by an older kctld keep the record in an annotation.
                let stored = try await client.schedulingRecord(namespace: global.effectiveNamespace, pod: name)
                guard let record = stored ?? pod.annotations[Decision.annotationKey] else {
                    let node = pod.spec?["nodeName"]?.stringValue ?? ""
                    io.out(node.isEmpty ? "  not looked at by the scheduler yet" : "  bound to \(node) without a scheduling record (bound directly)")
                    return
                }
                for line in SchedulingExplanation.render(annotation: record) { io.out("  " + line) }
            }
        }
    }
}
