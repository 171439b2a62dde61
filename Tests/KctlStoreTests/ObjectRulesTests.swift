import KctlModel
import Testing

@testable import KctlStore

@Suite struct ObjectRulesTests {
    func stored() throws -> KubeObject {
        var object = try ObjectRules.prepareForCreate(deployment("d"), as: .deployment, uid: "u-1", now: "2024-01-01T00:00:00Z")
        ObjectRules.stamp(&object, revision: 7)
        return object
    }

    @Test func createRequiresNameAndNamespace() {
        #expect(throws: StatusError.self) {
            try ObjectRules.prepareForCreate(deployment(""), as: .deployment, uid: "u", now: "t")
        }
        var noNamespace = deployment("d")
        noNamespace.namespace = nil
        #expect(throws: StatusError.self) {
            try ObjectRules.prepareForCreate(noNamespace, as: .deployment, uid: "u", now: "t")
        }
    }

    @Test func createFillsTypeAndMetadata() throws {
        let object = try ObjectRules.prepareForCreate(
            KubeObject(["metadata": ["name": "d", "namespace": "ns", "resourceVersion": "5"]]), as: .deployment,
            uid: "u", now: "t")
        #expect(object.apiVersion == "apps/v1")
        #expect(object.kind == "Deployment")
        #expect(object.resourceVersion == nil)
        #expect(object.generation == 1)
        #expect(object.creationTimestamp == "t")
    }

    @Test func specChangeBumpsGeneration() throws {
        let stored = try stored()
        var incoming = stored
        incoming.spec = ["replicas": 2]
        guard case .write(let result) = try ObjectRules.update(
            stored: stored, incoming: incoming, as: .deployment, subresource: .main, checkVersion: true)
        else { Issue.record("expected a write"); return }
        #expect(result.generation == 2)
        // A new top-level field is a spec change too.
        var extra = stored
        extra["template"] = ["x": 1]
        guard case .write(let withExtra) = try ObjectRules.update(
            stored: stored, incoming: extra, as: .deployment, subresource: .main, checkVersion: true)
        else { Issue.record("expected a write"); return }
        #expect(withExtra.generation == 2)
    }

    @Test func unchangedIsNoWrite() throws {
        let stored = try stored()
        var incoming = stored
        incoming.resourceVersion = ""
        #expect(
            try ObjectRules.update(stored: stored, incoming: incoming, as: .deployment, subresource: .main, checkVersion: true)
                == .unchanged(stored))
    }

    @Test func clearingTheLastFinalizerWhileDeletingRemoves() throws {
        var stored = try stored()
        stored.finalizers = ["f"]
        guard case .mark(let marked) = try ObjectRules.delete(stored: stored, as: .deployment, preconditions: .init(), now: "t")
        else { Issue.record("expected a mark"); return }
        #expect(marked.deletionTimestamp == "t")
        var incoming = marked
        incoming.finalizers = []
        guard case .remove(let removed) = try ObjectRules.update(
            stored: marked, incoming: incoming, as: .deployment, subresource: .main, checkVersion: true)
        else { Issue.record("expected a remove"); return }
        #expect(removed.finalizers.isEmpty)
    }

    @Test func compactionPolicyKeepsCountAndAge() {
        let start = ContinuousClock.now
        var policy = CompactionPolicy(keepRevisions: 10, retention: .seconds(60))
        policy.record(revision: 100, at: start)
        // Too young: nothing.
        #expect(policy.target(current: 200, now: start + .seconds(30)) == 0)
        policy.record(revision: 200, at: start + .seconds(30))
        // The first mark is old enough: up to 100.
        #expect(policy.target(current: 250, now: start + .seconds(61)) == 100)
        // Both marks old: up to 200, unless the count forbids it.
        #expect(policy.target(current: 205, now: start + .seconds(100)) == 195)
        var byCount = CompactionPolicy(keepRevisions: 10, retention: .zero)
        #expect(byCount.target(current: 25, now: start) == 15)
        #expect(byCount.target(current: 5, now: start) == 0)
    }
}
