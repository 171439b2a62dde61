import KctlModel
import KctlStore
import Logging

/// The Node objects of simulated machines: what `kctld --nodes N` creates.
///
/// Each node has the labels a real kubelet sets (`kubernetes.io/hostname`, `kubernetes.io/os`,
/// `kubernetes.io/arch`, `topology.kubernetes.io/zone`) plus `node.kctl.dev/simulated: "true"`,
/// equal capacity and allocatable, and an InternalIP on loopback (`127.0.1.1` for `node-1`; pods
/// get addresses from `127.1.0.0/16`, which node addresses never reach).
///
///     let nodes = SimulatedNodes.make(count: 3)   // node-1 zone-a, node-2 zone-b, node-3 zone-c
public enum SimulatedNodes {
    /// Marks nodes created by kctl itself.
    public static let simulatedLabel = "node.kctl.dev/simulated"
    /// `node.kctl.dev/agent: external` on a Node means its agent runs elsewhere: kctld starts none.
    public static let agentLabel = "node.kctl.dev/agent"
    public static let externalAgent = "external"
    public static let kubeletVersion = "v1.32.0-kctl"

    /// v1 Node objects `node-1` ... `node-<count>`, spread round-robin over `zones`.
    public static func make(
        count: Int, zones: [String] = ["zone-a", "zone-b", "zone-c"], cpu: String = "4", memory: String = "8Gi",
        pods: Int = 110
    ) -> [KubeObject] {
        guard count > 0 else { return [] }
        let zones = zones.isEmpty ? ["zone-a"] : zones
        return (1...count).map { index in
            node(index: index, zone: zones[(index - 1) % zones.count], cpu: cpu, memory: memory, pods: pods)
        }
    }

    /// The Node `node-<index>` in `zone`.
    public static func node(index: Int, zone: String, cpu: String = "4", memory: String = "8Gi", pods: Int = 110)
        -> KubeObject
    {
        let name = "node-\(index)"
        let resources: JSONValue = ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(String(pods))]
        return KubeObject([
            "apiVersion": "v1", "kind": "Node",
            "metadata": [
                "name": .string(name),
                "labels": [
                    "kubernetes.io/hostname": .string(name),
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": .string(architecture),
                    "topology.kubernetes.io/region": "local",
                    "topology.kubernetes.io/zone": .string(zone),
                    simulatedLabel: "true",
                ],
            ],
            "spec": [:],
            "status": [
                "capacity": resources,
                "allocatable": resources,
                "addresses": [
                    ["type": "InternalIP", "address": .string(address(index: index))],
                    ["type": "Hostname", "address": .string(name)],
                ],
                "nodeInfo": nodeInfo,
            ],
        ])
    }

    /// Creates the nodes of `make(count:)` that do not exist yet; existing ones are left as they are.
    /// Returns the names it created.
    @discardableResult
    public static func ensure(store: any Store, count: Int, logger: Logger) async throws -> [String] {
        let existing = Set(try await store.list(.node, namespace: nil).items.map(\.name))
        var created: [String] = []
        for node in make(count: count) where !existing.contains(node.name) {
            do {
                _ = try await store.create(node, as: .node)
                created.append(node.name)
            } catch let error as StatusError where error.reason == .alreadyExists {
                continue  // created by someone else meanwhile: theirs stands
            }
        }
        if !created.isEmpty { logger.info("nodes: created \(created.count) simulated node(s): \(summary(created))") }
        return created
    }

    /// The loopback InternalIP of `node-<index>`: `127.0.1.1` ... `127.0.1.254`, then `127.0.2.1`, ...
    /// (254 per /24 so that no node gets a network or broadcast-looking address).
    public static func address(index: Int) -> String {
        let i = max(index, 1) - 1
        return "127.0.\(1 + (i / 254) % 255).\(i % 254 + 1)"
    }

    /// An address for a Node that names none (one applied from a manifest): `node-<n>` gets
    /// `address(index: n)`, any other name a stable address derived from the name.
    public static func address(forNodeNamed name: String) -> String {
        if name.hasPrefix("node-"), let index = Int(name.dropFirst(5)), index > 0 { return address(index: index) }
        // FNV-1a: stable across runs, unlike Hasher.
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return address(index: Int(hash % (254 * 255)) + 1)
    }

    /// What the agent reports about its "machine": the host's OS and architecture.
    public static var nodeInfo: JSONValue {
        [
            "kubeletVersion": .string(kubeletVersion), "kubeProxyVersion": .string(kubeletVersion),
            "operatingSystem": "linux", "architecture": .string(architecture), "osImage": "kctl simulated node",
            "containerRuntimeVersion": "kctl://process",
        ]
    }

    /// `amd64` or `arm64`, as Kubernetes spells GOARCH.
    public static var architecture: String {
        #if arch(x86_64)
            return "amd64"
        #elseif arch(arm64)
            return "arm64"
        #else
            return "unknown"
        #endif
    }

    private static func summary(_ names: [String]) -> String {
        names.count <= 5 ? names.joined(separator: ", ") : "\(names[0]) ... \(names[names.count - 1])"
    }
}
