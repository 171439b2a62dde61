import KctlModel
import KctlControllerRuntime

/// Beyond Kubernetes: a Deployment annotated `kctl.dev/follow-config: "true"` rolls out when the
/// data of the ConfigMaps and Secrets its pod template references changes. The controller puts a
/// hash of that data into the template it hands to the ReplicaSet (never into the user's
/// Deployment), so changed data means a new template hash, hence an ordinary rolling update, and
/// `rollout undo` to an older ReplicaSet brings back the older data's hash with it.
public enum RolloutConfigHash {
    public static let followAnnotation = "kctl.dev/follow-config"
    public static let hashAnnotation = "kctl.dev/config-hash"

    /// The ConfigMaps and Secrets a pod template reads, by name.
    public struct References: Sendable, Hashable {
        public var configMaps: Set<String> = []
        public var secrets: Set<String> = []

        public init(configMaps: Set<String> = [], secrets: Set<String> = []) {
            self.configMaps = configMaps
            self.secrets = secrets
        }

        public var isEmpty: Bool { configMaps.isEmpty && secrets.isEmpty }
    }

    /// Whether the Deployment asked to follow its configuration.
    public static func follows(_ deployment: KubeObject) -> Bool {
        deployment.annotations[followAnnotation] == "true"
    }

    /// Env `valueFrom` and `envFrom` of every container and init container, and `configMap`,
    /// `secret` and `projected` volumes.
    public static func references(in template: JSONValue) -> References {
        var refs = References()
        let spec = template["spec"]
        let containers = (spec?["containers"]?.arrayValue ?? []) + (spec?["initContainers"]?.arrayValue ?? [])
        for container in containers {
            for env in container["env"]?.arrayValue ?? [] {
                if let name = env["valueFrom"]?["configMapKeyRef"]?["name"]?.stringValue { refs.configMaps.insert(name) }
                if let name = env["valueFrom"]?["secretKeyRef"]?["name"]?.stringValue { refs.secrets.insert(name) }
            }
            for source in container["envFrom"]?.arrayValue ?? [] {
                if let name = source["configMapRef"]?["name"]?.stringValue { refs.configMaps.insert(name) }
                if let name = source["secretRef"]?["name"]?.stringValue { refs.secrets.insert(name) }
            }
        }
        for volume in spec?["volumes"]?.arrayValue ?? [] {
            if let name = volume["configMap"]?["name"]?.stringValue { refs.configMaps.insert(name) }
            if let name = volume["secret"]?["secretName"]?.stringValue { refs.secrets.insert(name) }
            for source in volume["projected"]?["sources"]?.arrayValue ?? [] {
                if let name = source["configMap"]?["name"]?.stringValue { refs.configMaps.insert(name) }
                if let name = source["secret"]?["name"]?.stringValue { refs.secrets.insert(name) }
            }
        }
        return refs
    }

    /// A hash of the referenced data (`data`, `binaryData`, `stringData`), a missing object
    /// hashing differently from an empty one; nil when nothing is referenced.
    public static func hash(
        _ refs: References, configMap: (String) -> KubeObject?, secret: (String) -> KubeObject?
    ) -> String? {
        guard !refs.isEmpty else { return nil }
        var hash = FNV64a()
        func add(_ kind: String, _ name: String, _ object: KubeObject?) {
            hash.add(Array("\(kind)/\(name)\u{0}".utf8))
            guard let object else {
                hash.add([0xFF])
                return
            }
            let content: JSONValue = [
                "data": object.json["data"] ?? .null, "binaryData": object.json["binaryData"] ?? .null,
                "stringData": object.json["stringData"] ?? .null,
            ]
            hash.add(content.serialized())
            hash.add([0])
        }
        for name in refs.configMaps.sorted() { add("configmap", name, configMap(name)) }
        for name in refs.secrets.sorted() { add("secret", name, secret(name)) }
        let hex = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The template with `kctl.dev/config-hash` set (or removed, for nil).
    public static func annotate(_ template: JSONValue, hash: String?) -> JSONValue {
        var template = template
        var metadata = template["metadata"]?.objectValue ?? [:]
        var annotations = metadata["annotations"]?.objectValue ?? [:]
        annotations[hashAnnotation] = hash.map { .string($0) }
        metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
        template["metadata"] = .object(metadata)
        return template
    }
}

/// The 64-bit Fowler–Noll–Vo hash, variant 1a.
struct FNV64a {
    private(set) var value: UInt64 = 14_695_981_039_346_656_037

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 1_099_511_628_211
        }
    }
}

extension DeploymentReconciler {
    /// Queues the `kctl.dev/follow-config` Deployments whose template references a ConfigMap or
    /// Secret that changed.
    public static func enqueueFollowers(
        configMaps: Informer, secrets: Informer, from deployments: Informer, into queue: WorkQueue
    ) {
        for (source, isSecret) in [(configMaps, false), (secrets, true)] {
            source.addHandler { event in
                let object = event.object
                for deployment in deployments.list(namespace: object.namespace)
                where RolloutConfigHash.follows(deployment) {
                    let refs = RolloutConfigHash.references(in: deployment.spec?["template"] ?? [:])
                    if (isSecret ? refs.secrets : refs.configMaps).contains(object.name) {
                        queue.add(ObjectKey(deployment))
                    }
                }
            }
        }
    }
}
