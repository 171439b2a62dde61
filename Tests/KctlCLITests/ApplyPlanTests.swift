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

    @Test func createsWhenMissing() throws {
        guard case .create(let object) = ApplyPlan.decide(manifest: manifest, live: nil) else {
            Issue.record("expected create")
            return
        }
        let annotation = try #require(object.annotations[ApplyPlan.lastAppliedAnnotation])
        #expect(try JSONValue.parse(annotation) == manifest.value)
        #expect(!annotation.contains("\n"))
        #expect(object.spec == manifest.spec)
    }

    @Test func unchangedWhenEveryManifestFieldMatches() {
        guard case .create(let created) = ApplyPlan.decide(manifest: manifest, live: nil) else { return }
        #expect(ApplyPlan.decide(manifest: manifest, live: live(from: created)) == .unchanged)
    }

    @Test func updatesChangedFieldsAndKeepsTheRest() throws {
        guard case .create(let created) = ApplyPlan.decide(manifest: manifest, live: nil) else { return }
        var changed = manifest
        changed.spec?["replicas"] = 5
        guard case .update(let merged) = ApplyPlan.decide(manifest: changed, live: live(from: created)) else {
            Issue.record("expected update")
            return
        }
        #expect(merged.spec?["replicas"] == 5)
        #expect(merged.spec?["progressDeadlineSeconds"] == 600)  // server default kept
        #expect(merged.resourceVersion == "17")  // optimistic concurrency
        #expect(merged.uid == "u-1")
        #expect(merged.status == ["replicas": 2])
        #expect(merged.labels == ["app": "web", "added-by-someone": "yes"])
        let annotation = try #require(merged.annotations[ApplyPlan.lastAppliedAnnotation])
        #expect(try JSONValue.parse(annotation) == changed.value)
    }

    @Test func removesFieldsThePreviousApplySetAndTheManifestDropped() {
        var withEnv = manifest
        withEnv.labels["tier"] = "front"
        withEnv.spec?["minReadySeconds"] = 5
        guard case .create(let created) = ApplyPlan.decide(manifest: withEnv, live: nil) else { return }
        guard case .update(let merged) = ApplyPlan.decide(manifest: manifest, live: live(from: created)) else {
            Issue.record("expected update")
            return
        }
        #expect(merged.labels["tier"] == nil)
        #expect(merged.labels["added-by-someone"] == "yes")  // never applied by us: kept
        #expect(merged.spec?["minReadySeconds"] == nil)
        #expect(merged.spec?["progressDeadlineSeconds"] == 600)
    }

    @Test func objectWithoutAnnotationIsConfiguredOnce() {
        // Created by `kctl create` or another client: the annotation must be added.
        let plain = live(from: manifest)
        guard case .update(let merged) = ApplyPlan.decide(manifest: manifest, live: plain) else {
            Issue.record("expected update")
            return
        }
        #expect(merged.annotations[ApplyPlan.lastAppliedAnnotation] != nil)
        #expect(ApplyPlan.decide(manifest: manifest, live: merged) == .unchanged)
    }

    @Test func subsetRules() {
        #expect(ApplyPlan.isSubset(["a": 1], of: ["a": 1, "b": 2]))
        #expect(!ApplyPlan.isSubset(["a": 1], of: ["a": 2]))
        #expect(ApplyPlan.isSubset(["a": 1], of: ["a": 1.0]))
        #expect(ApplyPlan.isSubset(["a": [:]], of: [:]))
        #expect(ApplyPlan.isSubset(["a": []], of: [:]))
        #expect(ApplyPlan.isSubset([["n": "x"]], of: [["n": "x", "d": 1]]))
        #expect(!ApplyPlan.isSubset([["n": "x"]], of: [["n": "x"], ["n": "y"]]))
        #expect(!ApplyPlan.isSubset(["a": "1"], of: ["a": 1]))
    }

    @Test func mergeReplacesListsAndDeletesNulls() {
        let merged = ApplyPlan.merge(
            live: ["list": [1, 2, 3], "keep": "x", "gone": "y", "map": ["a": 1, "b": 2]],
            previous: ["gone": "y", "map": ["b": 2]],
            manifest: ["list": [9], "map": ["a": 5], "drop": nil])
        #expect(merged == ["list": [9], "keep": "x", "map": ["a": 5]])
    }

    @Test func secretStringDataComparesAsData() {
        let secret = Samples.object([
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "t", "namespace": "default"],
            "type": "Opaque", "stringData": ["token": "abc"],
        ])
        guard case .create(var stored) = ApplyPlan.decide(manifest: secret, live: nil) else { return }
        stored["stringData"] = nil
        stored["data"] = ["token": "YWJj"]
        #expect(ApplyPlan.decide(manifest: secret, live: stored) == .unchanged)
        var changed = secret
        changed["stringData"] = ["token": "xyz"]
        guard case .update(let merged) = ApplyPlan.decide(manifest: changed, live: stored) else {
            Issue.record("expected update")
            return
        }
        #expect(merged["stringData"] == ["token": "xyz"])
    }
}
