import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl cordon NODE`: no new pods are scheduled on the node; those on it stay.
    struct Cordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark nodes unschedulable.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The nodes to cordon.")
        var nodes: [String] = []

        @Option(name: [.customShort("l"), .long], help: "Cordon every node matching this label selector.")
        var selector: String?

        func validate() throws {
            if nodes.isEmpty && selector == nil { throw ValidationError("expected NODE or -l SELECTOR") }
        }

        func run() async throws {
            try await NodeScheduling.set(unschedulable: true, nodes: nodes, selector: selector, global: global)
        }
    }

    /// `kctl uncordon NODE`: the node takes new pods again.
    struct Uncordon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark nodes schedulable again.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The nodes to uncordon.")
        var nodes: [String] = []

        @Option(name: [.customShort("l"), .long], help: "Uncordon every node matching this label selector.")
        var selector: String?

        func validate() throws {
            if nodes.isEmpty && selector == nil { throw ValidationError("expected NODE or -l SELECTOR") }
        }

        func run() async throws {
            try await NodeScheduling.set(unschedulable: false, nodes: nodes, selector: selector, global: global)
        }
    }

    /// `kctl drain NODE`: cordon it, then evict every pod on it (their controllers replace them
    /// elsewhere) and wait until they are gone, as `kubectl drain` does.
    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cordon a node and evict its pods, waiting until they are gone.",
            discussion: """
                Pods with no controller (nothing would replace them), with emptyDir data, or managed by a
                DaemonSet stop the drain unless --force, --delete-emptydir-data or --ignore-daemonsets says
                otherwise. Examples:
                  kctl drain node-2 --ignore-daemonsets
                  kctl drain node-2 --force --grace-period 0 --timeout 60s
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The node to drain.")
        var node: String

        @Flag(name: .customLong("ignore-daemonsets"), help: "Leave DaemonSet-managed pods in place instead of failing.")
        var ignoreDaemonSets = false

        @Flag(help: "Also evict pods that no controller manages (they are not replaced).")
        var force = false

        @Option(name: .customLong("grace-period"), help: "Seconds each pod gets to stop (-1: the pod's own setting).")
        var gracePeriod: Int = -1

        @Option(help: "Give up after this long (e.g. 60s, 5m; 0: wait forever).")
        var timeout: String = "0s"

        @Flag(name: .customLong("delete-emptydir-data"), help: "Also evict pods with emptyDir volumes (their data is lost).")
        var deleteEmptyDirData = false

        @Option(name: .customLong("pod-selector"), help: "Only evict pods matching this label selector.")
        var podSelector: String?

        func validate() throws {
            if gracePeriod < -1 { throw ValidationError("--grace-period must be -1 or more") }
            guard DrainTimeout.parse(timeout) != nil else {
                throw ValidationError("--timeout: invalid duration \"\(timeout)\" (use e.g. 90s, 5m, 1h)")
            }
        }

        func run() async throws {
            let io = CommandIO.current
            let limit = DrainTimeout.parse(timeout) ?? .zero
            try await global.withClient { client in
                try await NodeScheduling.set(unschedulable: true, nodes: [node], selector: nil, global: global, client: client)
                let pods = try await client.list(
                    .pod, namespace: nil, labelSelector: podSelector, fieldSelector: "spec.nodeName=\(node)"
                ).items
                let plan = DrainPlan(
                    pods: pods, force: force, ignoreDaemonSets: ignoreDaemonSets, deleteEmptyDirData: deleteEmptyDirData)
                if let failure = plan.failure {
                    Self.reportFailure(node: node, message: failure, io: io)
                    throw AlreadyReported()
                }
                if let warning = plan.warning { io.err("Warning: \(warning)") }
                let deadline = limit > .zero ? ContinuousClock.now + limit : nil
                do {
                    try await evict(plan.evict, client: client, deadline: deadline, io: io)
                } catch let error as DrainTimedOut {
                    // kubectl's report: the first pod that did not go, then every pod still there.
                    let first = error.pending.first
                    let message = "error when waiting for pod \"\(first?.name ?? "")\" in namespace \"\(first?.namespace ?? "default")\" to terminate: context deadline exceeded"
                    io.err("There are pending pods in node \"\(node)\" when an error occurred: \(message)")
                    for pod in error.pending { io.err("pod/\(pod.name)") }
                    Self.reportFailure(node: node, message: message, io: io)
                    throw AlreadyReported()
                }
                io.out("node/\(node) drained")
            }
        }

        /// Evicts every pod, then prints `pod/NAME evicted` as each one goes.
        private func evict(_ pods: [KubeObject], client: KubeClient, deadline: ContinuousClock.Instant?, io: CommandIO) async throws {
            var evicted: [KubeObject] = []
            for pod in pods {
                let namespace = pod.namespace ?? "default"
                io.out("evicting pod \(namespace)/\(pod.name)")
                do {
                    try await client.evict(
                        namespace: namespace, pod: pod.name, gracePeriodSeconds: gracePeriod >= 0 ? Int64(gracePeriod) : nil)
                } catch let error as StatusError where error.reason == .notFound {
                    // Already gone.
                }
                evicted.append(pod)
            }
            try await withThrowingTaskGroup(of: String.self) { group in
                for pod in evicted {
                    group.addTask {
                        try await NodeScheduling.waitUntilGone(pod, client: client, deadline: deadline)
                        return pod.key
                    }
                }
                var waiting = evicted
                do {
                    while let key = try await group.next() {
                        waiting.removeAll { $0.key == key }
                        io.out("pod/\(key.split(separator: "/").last ?? "") evicted")
                    }
                } catch is DrainTimedOut {
                    group.cancelAll()
                    throw DrainTimedOut(pending: waiting)
                }
            }
        }

        /// kubectl's lines for a drain that stopped (stderr), ending with the reason again.
        static func reportFailure(node: String, message: String, io: CommandIO) {
            io.err("error: unable to drain node \"\(node)\" due to error: \(message), continuing command...")
            io.err("There are pending nodes to be drained:")
            io.err(" \(node)")
            io.err(message)
        }
    }

    /// `kctl node stop|start NAME`: simulate a node failure and its recovery (kctl's own admin API).
    struct Node: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop or start a simulated node, to rehearse a node failure.",
            subcommands: [Stop.self, Start.self])

        struct Stop: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Stop a node: its agent stops heartbeating and its pods' processes die.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: "The nodes to stop.")
            var nodes: [String]

            func run() async throws {
                let io = CommandIO.current
                try await global.withClient { client in
                    for node in nodes {
                        try await client.stopNode(node)
                        io.out("node/\(node) stopped")
                    }
                }
            }
        }

        struct Start: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Start a stopped node again.")

            @OptionGroup var global: GlobalOptions

            @Argument(help: "The nodes to start.")
            var nodes: [String]

            func run() async throws {
                let io = CommandIO.current
                try await global.withClient { client in
                    for node in nodes {
                        try await client.startNode(node)
                        io.out("node/\(node) started")
                    }
                }
            }
        }
    }
}

/// Cordon and uncordon: `spec.unschedulable` on each node, reported as kubectl does.
enum NodeScheduling {
    static func set(
        unschedulable: Bool, nodes: [String], selector: String?, global: GlobalOptions, client: KubeClient? = nil
    ) async throws {
        if let client {
            try await set(unschedulable: unschedulable, nodes: nodes, selector: selector, client: client)
        } else {
            try await global.withClient { try await set(unschedulable: unschedulable, nodes: nodes, selector: selector, client: $0) }
        }
    }

    private static func set(unschedulable: Bool, nodes: [String], selector: String?, client: KubeClient) async throws {
        let io = CommandIO.current
        var targets: [KubeObject] = []
        for name in nodes { targets.append(try await client.get(.node, namespace: nil, name: name)) }
        if let selector { targets += try await client.list(.node, namespace: nil, labelSelector: selector).items }
        let verb = unschedulable ? "cordoned" : "uncordoned"
        for node in targets {
            if (node.spec?["unschedulable"]?.boolValue ?? false) == unschedulable {
                io.out("node/\(node.name) already \(verb)")
                continue
            }
            _ = try await client.patch(
                .node, namespace: nil, name: node.name, patch: ["spec": ["unschedulable": unschedulable ? true : nil]])
            io.out("node/\(node.name) \(verb)")
        }
    }

    /// Polls until the pod is gone (or replaced by a new one of the same name).
    static func waitUntilGone(_ pod: KubeObject, client: KubeClient, deadline: ContinuousClock.Instant?) async throws {
        while true {
            do {
                let current = try await client.get(.pod, namespace: pod.namespace, name: pod.name)
                if current.uid != pod.uid { return }
            } catch let error as StatusError where error.reason == .notFound {
                return
            }
            if let deadline, ContinuousClock.now >= deadline { throw DrainTimedOut(pending: [pod]) }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// The drain's `--timeout` passed with these pods still there.
struct DrainTimedOut: Error {
    var pending: [KubeObject]
}

/// Which pods a drain evicts, and what stops it, decided as kubectl's drain filters decide:
/// mirror pods are skipped; DaemonSet pods, pods with emptyDir volumes and pods with no
/// controller fail the drain unless a flag allows them. Finished pods always go.
struct DrainPlan {
    var evict: [KubeObject] = []
    /// Why the drain cannot go on, in kubectl's words; nil when it can.
    var failure: String?
    /// What a flag allowed, for a `Warning:` line.
    var warning: String?

    init(pods: [KubeObject], force: Bool, ignoreDaemonSets: Bool, deleteEmptyDirData: Bool) {
        var errors: [(message: String, pods: [String])] = []
        var warnings: [(message: String, pods: [String])] = []
        func add(_ list: inout [(message: String, pods: [String])], _ message: String, _ pod: String) {
            if let i = list.firstIndex(where: { $0.message == message }) {
                list[i].pods.append(pod)
            } else {
                list.append((message, [pod]))
            }
        }
        for pod in pods {
            let key = "\(pod.namespace ?? "default")/\(pod.name)"
            let phase = pod.status?["phase"]?.stringValue ?? ""
            let finished = phase == "Succeeded" || phase == "Failed"
            let controller = pod.ownerReferences.first { $0["controller"]?.boolValue == true }
            let volumes = pod.spec?["volumes"]?.arrayValue ?? []
            var decision: (delete: Bool, error: String?, warning: String?) = (true, nil, nil)
            if controller?["kind"]?.stringValue == "DaemonSet", !finished {
                decision = ignoreDaemonSets
                    ? (false, nil, "ignoring DaemonSet-managed Pods")
                    : (false, "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)", nil)
            } else if pod.annotations["kubernetes.io/config.mirror"] != nil {
                decision = (false, nil, nil)
            } else {
                if volumes.contains(where: { $0["emptyDir"] != nil }), !finished {
                    decision = deleteEmptyDirData
                        ? (true, nil, "deleting Pods with local storage")
                        : (false, "Pods with local storage (use --delete-emptydir-data to override)", nil)
                }
                // As in kubectl, this last filter's verdict replaces an earlier warning.
                if decision.delete {
                    if controller != nil || finished {
                        decision = (true, nil, nil)
                    } else {
                        decision = force
                            ? (true, nil, "deleting Pods that declare no controller")
                            : (false, "cannot delete Pods that declare no controller (use --force to override)", nil)
                    }
                }
            }
            if let error = decision.error { add(&errors, error, key) }
            if let warning = decision.warning { add(&warnings, warning, key) }
            if decision.delete { evict.append(pod) }
        }
        let failures = errors.map { "cannot delete \($0.message): \($0.pods.joined(separator: ", "))" }
        if failures.count == 1 { failure = failures[0] }
        if failures.count > 1 { failure = "[" + failures.joined(separator: ", ") + "]" }
        if !warnings.isEmpty { warning = warnings.map { "\($0.message): \($0.pods.joined(separator: ", "))" }.joined(separator: "; ") }
    }
}

/// `--timeout` values as kubectl takes them: Go durations (`90s`, `5m`, `1h30m`, `500ms`), or
/// a bare number of seconds.
enum DrainTimeout {
    static func parse(_ text: String) -> Duration? {
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        return GoDuration.parse(text)
    }
}
