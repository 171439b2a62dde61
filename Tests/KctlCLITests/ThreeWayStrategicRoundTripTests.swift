import KctlAPIServer
import KctlModel
import Testing

/// The three-way patch kctl computes, applied by the server's `StrategicMergePatch`, over many
/// random last-applied / manifest / live triples: the result has every field of the manifest (in
/// its order), none the previous apply set and the manifest dropped, and everything others added;
/// and applying the same manifest again changes nothing.
@Suite struct ThreeWayStrategicRoundTripTests {
    /// Reproducible from the seed in a failure's message.
    struct Random {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func below(_ n: Int) -> Int { Int(generator.next() % UInt64(n)) }
        mutating func chance() -> Bool { below(2) == 0 }
        /// A random subset of `items` in random order.
        mutating func pick<T>(_ items: [T]) -> [T] {
            var chosen = items.filter { _ in chance() }
            for i in chosen.indices.reversed() where i > 0 { chosen.swapAt(i, below(i + 1)) }
            return chosen
        }
    }

    static let meta = PatchMeta.of(kind: "Deployment")

    static func container(_ name: String, _ r: inout Random) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(name), "image": .string("img:\(r.below(2))"),
            "env": .array(r.pick(["E1", "E2", "E3", "E4"]).map { ["name": .string($0), "value": .string("\(r.below(2))")] }),
            "ports": .array(r.pick([80, 81]).map { ["containerPort": .int(Int64($0))] }),
        ]
        if r.chance() { object["args"] = .array(r.pick(["a", "b", "c"]).map(JSONValue.string)) }
        return .object(object)
    }

    /// A manifest: the `web` container always, sidecars maybe; labels, finalizers and env always
    /// present (maybe empty), so that deleting a whole field never takes others' entries with it.
    static func manifest(_ r: inout Random) -> JSONValue {
        var labels: [String: JSONValue] = [:]
        for key in r.pick(["a", "b", "c", "d"]) { labels[key] = .string("\(r.below(2))") }
        var containers = [container("web", &r)] + r.pick(["side1", "side2"]).map { container($0, &r) }
        for i in containers.indices.reversed() where i > 0 { containers.swapAt(i, r.below(i + 1)) }
        var spec: [String: JSONValue] = ["template": ["spec": ["containers": .array(containers)]]]
        if r.chance() { spec["replicas"] = .int(Int64(1 + r.below(3))) }
        return [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "labels": .object(labels), "finalizers": .array(r.pick(["f1", "f2", "f3"]).map(JSONValue.string))],
            "spec": .object(spec),
        ]
    }

    /// `applied` as the server holds it after others wrote: a label, a finalizer, an env entry in
    /// `web`, and server defaults in every container.
    static func live(after applied: JSONValue) -> JSONValue {
        var live = applied
        live["metadata"]?["labels"]?["other"] = "x"
        live["metadata"]?["finalizers"] = .array((applied["metadata"]?["finalizers"]?.arrayValue ?? []) + ["other-f"])
        live["spec"]?["progressDeadlineSeconds"] = 600
        var containers = applied["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
        for i in containers.indices {
            containers[i]["imagePullPolicy"] = "IfNotPresent"
            if containers[i]["name"] == "web" {
                containers[i]["env"] = .array((containers[i]["env"]?.arrayValue ?? []) + [["name": "OTHER", "value": "o"]])
            }
        }
        live["spec"]?["template"]?["spec"]?["containers"] = .array(containers)
        return live
    }

    /// Whether `whole` has every field of `part`: merging lists element by element (in `part`'s
    /// relative order), other lists equal.
    static func contains(_ whole: JSONValue?, _ part: JSONValue, _ meta: PatchMeta) -> Bool {
        switch part {
        case .object(let fields):
            return fields.allSatisfy { key, value in contains(whole?[key], value, meta.field(key)) }
        case .array(let items):
            guard let wholeItems = whole?.arrayValue else { return items.isEmpty }
            guard meta.mergesLists else { return wholeItems == items }
            guard let key = meta.mergeKey else {
                let positions = items.map { wholeItems.firstIndex(of: $0) }
                return positions.allSatisfy { $0 != nil } && positions.map { $0! } == positions.map { $0! }.sorted()
            }
            var last = -1
            for item in items {
                guard let at = wholeItems.firstIndex(where: { $0[key] == item[key] }), at > last,
                    contains(wholeItems[at], item, meta)
                else { return false }
                last = at
            }
            return true
        default:
            return whole == part
        }
    }

    static func env(_ object: JSONValue, container: String) -> [String] {
        let containers = object["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
        let found = containers.first { $0["name"]?.stringValue == container }
        return (found?["env"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    static func containerNames(_ object: JSONValue) -> [String] {
        (object["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    @Test func appliedPatchesGiveTheManifestAndKeepOthersFields() throws {
        for seed in UInt64(1)...300 {
            var r = Random(state: seed)
            let lastApplied = Self.manifest(&r)
            let manifest = Self.manifest(&r)
            let live = Self.live(after: lastApplied)

            let patch = try ThreeWayStrategicMerge.patch(lastApplied: lastApplied, manifest: manifest, live: live, meta: Self.meta)
            let result = try StrategicMergePatch.apply(patch, to: live, meta: Self.meta)
            let context = Comment(rawValue: "seed \(seed): patch \(patch.serializedString())")

            #expect(Self.contains(result, manifest, Self.meta), context)
            // Others' fields stay.
            #expect(result["metadata"]?["labels"]?["other"] == "x", context)
            #expect(result["metadata"]?["finalizers"]?.arrayValue?.contains("other-f") == true, context)
            #expect(Self.env(result, container: "web").contains("OTHER"), context)
            #expect(result["spec"]?["progressDeadlineSeconds"] == 600, context)
            // What the previous apply set and the manifest dropped is gone.
            for key in (lastApplied["metadata"]?["labels"]?.objectValue ?? [:]).keys where manifest["metadata"]?["labels"]?[key] == nil {
                #expect(result["metadata"]?["labels"]?[key] == nil, context)
            }
            for finalizer in lastApplied["metadata"]?["finalizers"]?.arrayValue ?? [] where manifest["metadata"]?["finalizers"]?.arrayValue?.contains(finalizer) != true {
                #expect(result["metadata"]?["finalizers"]?.arrayValue?.contains(finalizer) == false, context)
            }
            #expect(Set(Self.containerNames(result)) == Set(Self.containerNames(manifest)), context)
            #expect(Self.env(result, container: "web").filter { $0 != "OTHER" } == Self.env(manifest, container: "web"), context)
            if lastApplied["spec"]?["replicas"] != nil && manifest["spec"]?["replicas"] == nil {
                #expect(result["spec"]?["replicas"] == nil, context)
            }

            // The same manifest again changes nothing.
            let again = try ThreeWayStrategicMerge.patch(lastApplied: manifest, manifest: manifest, live: result, meta: Self.meta)
            #expect(try StrategicMergePatch.apply(again, to: result, meta: Self.meta) == result, context)
        }
    }

    /// Without others' additions and server defaults, a second apply's patch is empty.
    @Test func reapplyingOverWhatItWroteIsEmpty() throws {
        for seed in UInt64(1)...100 {
            var r = Random(state: seed)
            let lastApplied = Self.manifest(&r)
            let manifest = Self.manifest(&r)
            let patch = try ThreeWayStrategicMerge.patch(lastApplied: lastApplied, manifest: manifest, live: lastApplied, meta: Self.meta)
            let result = try StrategicMergePatch.apply(patch, to: lastApplied, meta: Self.meta)
            let again = try ThreeWayStrategicMerge.patch(lastApplied: manifest, manifest: manifest, live: result, meta: Self.meta)
            #expect(again == [:], "seed \(seed): \(again.serializedString())")
        }
    }
}
