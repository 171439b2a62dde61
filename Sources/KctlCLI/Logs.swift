import ArgumentParser
import Foundation
import KctlClient
import KctlModel

extension KctlCommand {
    /// `kctl logs POD [-c C] [-f] [--tail N] [--previous]`: a container's output, as the node
    /// agent captured it, printed byte for byte. A deployment or replica set stands for its
    /// first pod, chosen as kubectl chooses it.
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the logs of a container in a pod (or in the first pod of a deployment or replica set).",
            discussion: """
                Examples:
                  kctl logs messages-7d9f6c-abcde
                  kctl logs -f deploy/messages --tail 20
                  kctl logs web-1 -c sidecar --previous
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "POD, pod/NAME, deploy/NAME or rs/NAME, optionally followed by a container name.")
        var arguments: [String] = []

        @Option(name: [.customShort("c"), .long], help: "The container (default: the pod's default container, else its first).")
        var container: String?

        @Flag(name: [.customShort("f"), .long], help: "Keep streaming the log as it is written.")
        var follow = false

        @Option(help: "Only the last N lines (-1: all).")
        var tail: Int = -1

        @Flag(name: [.customShort("p"), .long], help: "The log of the container's previous, terminated instance.")
        var previous = false

        @Option(name: .customLong("limit-bytes"), help: "Stop after this many bytes.")
        var limitBytes: Int?

        func validate() throws {
            guard (1...2).contains(arguments.count) else {
                throw ValidationError("expected POD or TYPE/NAME: kctl logs POD [-c CONTAINER]")
            }
            if arguments.count == 2 && container != nil {
                throw ValidationError("only one of -c or an inline container name is allowed")
            }
            if tail < -1 { throw ValidationError("--tail must be -1 (all) or more") }
            if let limitBytes, limitBytes <= 0 { throw ValidationError("--limit-bytes must be greater than 0") }
        }

        func run() async throws {
            let io = CommandIO.current
            let namespace = global.effectiveNamespace
            try await global.withClient { client in
                let pod = try await Self.pod(for: arguments[0], namespace: namespace, client: client, io: io)
                let chosen = container ?? arguments.dropFirst().first ?? Self.defaultContainer(of: pod, io: io)
                if let chosen, !Self.containerNames(of: pod).contains(chosen) {
                    throw CLIError("container \(chosen) is not valid for pod \(pod.name)")
                }
                let options = PodLogOptions(
                    container: chosen, follow: follow, tailLines: tail >= 0 ? tail : nil, limitBytes: limitBytes,
                    previous: previous)
                if follow && io.isProcess { InterruptHandler.exitQuietlyOnInterrupt() }
                var output = RawOutput(io: io)
                for try await chunk in client.logs(namespace: namespace, pod: pod.name, options: options) {
                    output.write(chunk)
                }
                output.finish()
            }
        }

        /// The pod a target names: the pod itself, or a deployment's or replica set's first pod.
        static func pod(for target: String, namespace: String, client: KubeClient, io: CommandIO) async throws -> KubeObject {
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return try await client.get(.pod, namespace: namespace, name: target) }
            let type = try ResourceType.resolve(parts[0])
            switch type {
            case .pod:
                return try await client.get(.pod, namespace: namespace, name: parts[1])
            case .deployment, .replicaSet:
                let owner = try await client.get(type, namespace: namespace, name: parts[1])
                let selector = try owner.spec?["selector"]?.decode(LabelSelector.self) ?? LabelSelector()
                guard !selector.isEmpty else {
                    throw CLIError("\(Printers.qualifiedName(type, parts[1])) has no pod selector")
                }
                let pods = try await client.list(.pod, namespace: namespace, labelSelector: selector.stringForm).items
                guard let first = pods.sorted(by: PodOrder.forLogs).first else {
                    throw CLIError("no pods found for \(Printers.qualifiedName(type, parts[1]))")
                }
                if pods.count > 1 { io.err("Found \(pods.count) pods, using pod/\(first.name)") }
                return first
            default:
                throw CLIError("cannot get the logs from \(type.groupResource): only pods, deployments and replica sets have logs")
            }
        }

        static func containerNames(of pod: KubeObject) -> [String] {
            ["containers", "initContainers"].flatMap { key in
                (pod.spec?[key]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            }
        }

        /// kubectl's choice: the `kubectl.kubernetes.io/default-container` annotation, else the
        /// first container, saying so when there was a choice.
        static func defaultContainer(of pod: KubeObject, io: CommandIO) -> String? {
            let containers = (pod.spec?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            let initContainers = (pod.spec?["initContainers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            if let wanted = pod.annotations["kubectl.kubernetes.io/default-container"], !wanted.isEmpty {
                if containers.contains(wanted) || initContainers.contains(wanted) { return wanted }
                io.err("Default container name \"\(wanted)\" not found in pod \(pod.name)")
            }
            guard let first = containers.first else { return nil }
            if containers.count > 1 || !initContainers.isEmpty {
                let all = containers + initContainers.map { "\($0) (init)" }
                io.err("Defaulted container \"\(first)\" out of: \(all.joined(separator: ", "))")
            }
            return first
        }
    }
}

/// Which pod of several kubectl reads logs from: bound before unbound, running before pending,
/// ready before not, more restarts first, then the oldest.
enum PodOrder {
    static func forLogs(_ a: KubeObject, _ b: KubeObject) -> Bool {
        func key(_ pod: KubeObject) -> (Int, Int, Int, Int64, String) {
            let bound = (pod.spec?["nodeName"]?.stringValue ?? "").isEmpty ? 1 : 0
            let phase: Int
            switch pod.status?["phase"]?.stringValue {
            case "Running": phase = 0
            case "Pending": phase = 2
            default: phase = 1
            }
            let ready = (pod.status?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            } ? 0 : 1
            let restarts = (pod.status?["containerStatuses"]?.arrayValue ?? []).reduce(Int64(0)) {
                max($0, $1["restartCount"]?.intValue ?? 0)
            }
            // A missing timestamp sorts last, as kubectl's order does.
            return (bound, phase, ready, -restarts, pod.creationTimestamp ?? "~")
        }
        return key(a) < key(b)
    }
}

/// Writes log bytes as they come: straight to the process's stdout, or, in process (tests),
/// as text, holding back a UTF-8 sequence cut between two chunks.
struct RawOutput {
    let io: CommandIO
    private var pending: [UInt8] = []

    init(io: CommandIO) { self.io = io }

    mutating func write(_ bytes: [UInt8]) {
        if io.isProcess {
            do {
                try FileHandle.standardOutput.write(contentsOf: Data(bytes))
            } catch {
                exit(0)  // the reader went away (`kctl logs POD | head`)
            }
            return
        }
        pending += bytes
        let cut = Self.completePrefix(pending)
        if cut > 0 {
            io.outRaw(String(decoding: pending[..<cut], as: UTF8.self))
            pending.removeFirst(cut)
        }
    }

    mutating func finish() {
        if !pending.isEmpty { io.outRaw(String(decoding: pending, as: UTF8.self)) }
        pending = []
    }

    /// The length of `bytes` without a trailing, incomplete UTF-8 sequence.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        var start = bytes.count
        // Find the start of the last sequence (at most 3 continuation bytes back).
        while start > 0, bytes.count - start < 4, bytes[start - 1] & 0xC0 == 0x80 { start -= 1 }
        guard start > 0 else { return bytes.count }
        let lead = bytes[start - 1]
        let needed: Int
        switch lead {
        case 0xC0...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF7: needed = 4
        default: return bytes.count
        }
        return bytes.count - (start - 1) < needed ? start - 1 : bytes.count
    }
}
