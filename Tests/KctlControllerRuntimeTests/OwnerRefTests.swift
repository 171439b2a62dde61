import KctlControllerRuntime
import KctlModel
import Testing

@Suite struct OwnerRefTests {
    /// The uid shortcuts agree with the parsed references, including references `OwnerRef`
    /// refuses (no kind, name or uid) and controllers after a refused one.
    @Test func uidShortcutsAgreeWithTheParsedReferences() {
        let references: [[JSONValue]] = [
            [],
            [["kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": true]],
            [["kind": "ReplicaSet", "name": "web-1", "uid": "u1"]],
            [
                ["kind": "ReplicaSet", "uid": "no-name", "controller": true],
                ["name": "no-kind", "uid": "u0", "controller": true],
                ["kind": "Deployment", "name": "d", "controller": true],
                ["kind": "Deployment", "name": "d", "uid": "u2"],
                ["kind": "ReplicaSet", "name": "web-2", "uid": "u3", "controller": true],
                ["kind": "ReplicaSet", "name": "web-3", "uid": "u4", "controller": true],
            ],
            [["kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": "yes"], "not an object"],
        ]
        for list in references {
            var object = KubeObject(["apiVersion": "v1", "kind": "Pod"])
            object.name = "p"
            object.ownerReferences = list
            #expect(object.controllerOwnerUID == object.controllerOwner?.uid, "\(list)")
            #expect(object.ownerUIDs == object.owners.map(\.uid), "\(list)")
        }
    }
}
