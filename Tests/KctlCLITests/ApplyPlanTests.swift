import KctlAPIServer
import KctlModel
import Testing

@testable import KctlCLI

@Suite struct ApplyPlanTests {
    let manifest = Samples.object([
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"]],
        "spec": [
            "replicas": 2, "selector": ["matchLabels": ["app": "web"]],
            "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "web", "command": ["/web"]]]]],
        ],
    ])

    /// What the server would hold after creating `manifest`: defaults, server metadata, status.
    func live(from object: KubeObject, replicas: Int64? = nil) -> KubeObject {
        var live = object
        live.uid = "u-1"
        live.resourceVersion = "17"
        live.creationTimestamp = "2024-05-01T10:00:00Z"
        live.labels["added-by-someone"] = "yes"
        var spec = live.spec!
        spec["progressDeadlineSeconds"] = 600
        if let replicas { spec["replicas"] = .int(replicas) }
        var template = spec["template"]!
        template["spec"]?["containers"] = [["name": "web", "command": ["/web"], "terminationMessagePath": "/dev/termination-log"]]
        spec["template"] = template
        live.spec = spec
        live.status = ["replicas": 2]
        return live
    }

    /// The object the server stores after the decision's patch, as kctld applies it.
    func patched(_ decision: ApplyPlan.Decision, _ live: KubeObject) throws -> KubeObject? {
        guard case .patch(let patch, _) = decision else { return nil }
        return try KubeObject(json: StrategicMergePatch.apply(patch, to: live.value, meta: .of(kind: live.kind)))
    }

    @Test func createsWhenMissing() throws {
        guard case .create(let object) = try ApplyPlan.decide(manifest: manifest, live: nil) else {
            Issue.record("expected create")
            return
        }
        let annotation = try #require(object.annotations[ApplyPlan.lastAppliedAnnotation])
        // As kubectl writes it: an empty annotations map left behind, one final newline.
        var expected = manifest
        expected.metadata["annotations"] = [:]
        #expect(try JSONValue.parse(annotation) == expected.value)
        #expect(annotation.firstIndex(of: "\n") == annotation.index(before: annotation.endIndex))
        #expect(object.spec == manifest.spec)
    }

    @Test func unchangedWhenEveryManifestFieldMatches() throws {
        guard case .create(let created) = try ApplyPlan.decide(manifest: manifest, live: nil) else { return }
        #expect(try ApplyPlan.decide(manifest: manifest, live: live(from: created)) == .unchanged)
    }

    @Test func updatesChangedFieldsAndKeepsTheRest() throws {
        guard case .create(let created) = try ApplyPlan.decide(manifest: manifest, live: nil) else { return }
        var changed = manifest
        changed.spec?["replicas"] = 5
        let decision = try ApplyPlan.decide(manifest: changed, live: live(from: created))
        guard case .patch(let patch, _) = decision, let merged = try patched(decision, live(from: created)) else {
            Issue.record("expected a patch")
            return
        }
        // Only what changed is sent: replicas and the annotation.
        #expect(patch["spec"] == ["replicas": 5])
        #expect(patch["metadata"]?["annotations"]?.objectValue?.keys.sorted() == [ApplyPlan.lastAppliedAnnotation])
        #expect(patch.objectValue?.keys.sorted() == ["metadata", "spec"])
        #expect(merged.spec?["replicas"] == 5)
        #expect(merged.spec?["progressDeadlineSeconds"] == 600)  // server default kept
        #expect(merged.resourceVersion == "17")  // optimistic concurrency
        #expect(merged.uid == "u-1")
        #expect(merged.status == ["replicas": 2])
        #expect(merged.labels == ["app": "web", "added-by-someone": "yes"])
        let annotation = try #require(merged.annotations[ApplyPlan.lastAppliedAnnotation])
        #expect(try JSONValue.parse(annotation)["spec"] == changed.spec)
    }

    @Test func removesFieldsThePreviousApplySetAndTheManifestDropped() throws {
        var withEnv = manifest
        withEnv.labels["tier"] = "front"
        withEnv.spec?["minReadySeconds"] = 5
        guard case .create(let created) = try ApplyPlan.decide(manifest: withEnv, live: nil) else { return }
        let decision = try ApplyPlan.decide(manifest: manifest, live: live(from: created))
        guard case .patch(let patch, _) = decision, let merged = try patched(decision, live(from: created)) else {
            Issue.record("expected a patch")
            return
        }
        #expect(patch["metadata"]?["labels"] == ["tier": nil])
        #expect(patch["spec"] == ["minReadySeconds": nil])
        #expect(merged.labels["tier"] == nil)
        #expect(merged.labels["added-by-someone"] == "yes")  // never applied by us: kept
        #expect(merged.spec?["minReadySeconds"] == nil)
        #expect(merged.spec?["progressDeadlineSeconds"] == 600)
    }

    @Test func objectWithoutAnnotationIsConfiguredOnce() throws {
        // Created by `kctl create` or another client: the annotation must be added.
        let plain = live(from: manifest)
        let decision = try ApplyPlan.decide(manifest: manifest, live: plain)
        guard case .patch(let patch, _) = decision, let merged = try patched(decision, plain) else {
            Issue.record("expected a patch")
            return
        }
        #expect(patch.objectValue?.keys.sorted() == ["metadata"])
        #expect(merged.annotations[ApplyPlan.lastAppliedAnnotation] != nil)
        #expect(try ApplyPlan.decide(manifest: manifest, live: merged) == .unchanged)
    }

    /// An env entry another client added survives a re-apply; one the manifest dropped goes.
    @Test func listsWithMergeKeysArePatchedByElement() throws {
        var withEnv = manifest
        withEnv.spec?["template"]?["spec"]?["containers"] = [["name": "web", "command": ["/web"], "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]]]]
        guard case .create(let created) = try ApplyPlan.decide(manifest: withEnv, live: nil) else { return }
        var current = live(from: created)
        current.spec?["template"]?["spec"]?["containers"] = [
            ["name": "web", "command": ["/web"], "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"], ["name": "EXTRA", "value": "x"]]]
        ]
        var dropped = withEnv
        dropped.spec?["template"]?["spec"]?["containers"] = [["name": "web", "command": ["/web"], "env": [["name": "A", "value": "1"]]]]
        let decision = try ApplyPlan.decide(manifest: dropped, live: current)
        let merged = try #require(try patched(decision, current))
        let env = merged.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first?["env"]
        #expect(env == [["name": "A", "value": "1"], ["name": "EXTRA", "value": "x"]])
    }

    @Test func aContainerWithoutItsMergeKeyIsRefused() throws {
        guard case .create(let created) = try ApplyPlan.decide(manifest: manifest, live: nil) else { return }
        var nameless = manifest
        nameless.spec?["template"]?["spec"]?["containers"] = [["image": "x"]]
        #expect(throws: ThreeWayStrategicMerge.Failure.self) { try ApplyPlan.decide(manifest: nameless, live: live(from: created)) }
    }

    @Test func lastAppliedEscapesAsGoDoes() {
        var object = manifest
        object.annotations["note"] = "a<b && c>d"
        #expect(ApplyPlan.lastApplied(of: object).contains(#""note":"a\u003cb \u0026\u0026 c\u003ed""#))
    }

    /// The byte-by-byte escaping gives what escaping each Unicode scalar gave.
    @Test func lastAppliedMatchesScalarEscaping() {
        func byScalars(_ manifest: KubeObject) -> String {
            var text = ""
            for character in ApplyPlan.annotated(manifest, with: nil).value.serializedString().unicodeScalars {
                switch character {
                case "<": text += "\\u003c"
                case ">": text += "\\u003e"
                case "&": text += "\\u0026"
                case "\u{2028}": text += "\\u2028"
                case "\u{2029}": text += "\\u2029"
                default: text.unicodeScalars.append(character)
                }
            }
            return text + "\n"
        }
        for note in ["", "plain", "a<b && c>d", "line\u{2028}sep\u{2029}para", "é ü \u{2027}\u{202A} 🙂 <\u{2028}>", "\u{E2}\u{80}"] {
            var object = manifest
            object.annotations["note"] = note
            #expect(ApplyPlan.lastApplied(of: object) == byScalars(object), "\(note.debugDescription)")
        }
        #expect(ApplyPlan.lastApplied(of: manifest) == byScalars(manifest))
    }

    @Test func mergeReplacesListsAndDeletesNulls() {
        let merged = ApplyPlan.merge(
            live: ["list": [1, 2, 3], "keep": "x", "gone": "y", "map": ["a": 1, "b": 2]],
            previous: ["gone": "y", "map": ["b": 2]],
            manifest: ["list": [9], "map": ["a": 5], "drop": nil])
        #expect(merged == ["list": [9], "keep": "x", "map": ["a": 5]])
    }

    @Test func secretStringDataComparesAsData() throws {
        let secret = Samples.object([
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "t", "namespace": "default"],
            "type": "Opaque", "stringData": ["token": "abc"],
        ])
        guard case .create(var stored) = try ApplyPlan.decide(manifest: secret, live: nil) else { return }
        stored["stringData"] = nil
        stored["data"] = ["token": "YWJj"]
        #expect(try ApplyPlan.decide(manifest: secret, live: stored) == .unchanged)
        var changed = secret
        changed["stringData"] = ["token": "xyz"]
        guard case .patch(let patch, _) = try ApplyPlan.decide(manifest: changed, live: stored) else {
            Issue.record("expected a patch")
            return
        }
        #expect(patch["data"] == ["token": "eHl6"])
    }
}
