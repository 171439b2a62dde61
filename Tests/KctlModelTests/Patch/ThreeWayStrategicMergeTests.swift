import KctlModel
import Testing

/// The three-way strategic merge patch, case by case, with the patches kubectl's
/// `CreateThreeWayMergePatch` sends for the same three documents.
@Suite struct ThreeWayStrategicMergeTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var kind = "Deployment"
        var lastApplied: JSONValue?
        var manifest: JSONValue
        var live: JSONValue
        var patch: JSONValue
        var testDescription: String { name }
    }

    static func deployment(_ podSpec: JSONValue, replicas: Int64 = 2) -> JSONValue {
        ["kind": "Deployment", "spec": ["replicas": .int(replicas), "template": ["spec": podSpec]]]
    }

    static func web(_ env: [JSONValue], image: JSONValue = "web:1") -> JSONValue {
        ["name": "web", "image": image, "env": .array(env)]
    }

    static func env(_ name: String, _ value: String = "v") -> JSONValue { ["name": .string(name), "value": .string(value)] }

    static let cases: [Case] = [
        Case(
            name: "nothing changed, whatever the server and others added",
            lastApplied: deployment(["containers": [web([env("A")])]]),
            manifest: deployment(["containers": [web([env("A")])]]),
            live: [
                "kind": "Deployment", "metadata": ["labels": ["team": "x"]], "status": ["replicas": 2],
                "spec": [
                    "replicas": 2, "progressDeadlineSeconds": 600,
                    "template": ["spec": ["containers": [["name": "web", "image": "web:1", "env": [env("A")], "imagePullPolicy": "IfNotPresent"]]]],
                ],
            ],
            patch: [:]),
        Case(
            name: "a changed scalar is the whole patch",
            lastApplied: deployment(["containers": [web([])]]),
            manifest: deployment(["containers": [web([])]], replicas: 3),
            live: deployment(["containers": [web([])]]),
            patch: ["spec": ["replicas": 3]]),
        Case(
            name: "numbers compare by value",
            lastApplied: deployment(["containers": [web([])]]),
            manifest: ["kind": "Deployment", "spec": ["replicas": 2.0, "template": ["spec": ["containers": [web([])]]]]],
            live: deployment(["containers": [web([])]]),
            patch: [:]),
        Case(
            name: "a map key the previous apply set is deleted, one only others set is kept",
            lastApplied: ["kind": "Deployment", "metadata": ["labels": ["app": "web", "tier": "front"]]],
            manifest: ["kind": "Deployment", "metadata": ["labels": ["app": "web"]]],
            live: ["kind": "Deployment", "metadata": ["labels": ["app": "web", "tier": "front", "team": "x"]]],
            patch: ["metadata": ["labels": ["tier": nil]]]),
        Case(
            name: "a whole field the manifest dropped is deleted",
            lastApplied: ["kind": "Deployment", "spec": ["minReadySeconds": 5, "replicas": 2]],
            manifest: ["kind": "Deployment", "spec": ["replicas": 2]],
            live: ["kind": "Deployment", "spec": ["minReadySeconds": 5, "replicas": 2, "revisionHistoryLimit": 10]],
            patch: ["spec": ["minReadySeconds": nil]]),
        Case(
            name: "without last-applied nothing is deleted",
            manifest: ["kind": "Deployment", "spec": ["replicas": 2]],
            live: ["kind": "Deployment", "spec": ["minReadySeconds": 5, "replicas": 2]],
            patch: [:]),
        Case(
            name: "an env entry dropped from the manifest is deleted by its name",
            lastApplied: deployment(["containers": [web([env("A"), env("B")])]]),
            manifest: deployment(["containers": [web([env("A")])]]),
            live: deployment(["containers": [web([env("A"), env("B")])]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"]],
                            "containers": [["name": "web", "$setElementOrder/env": [["name": "A"]], "env": [["name": "B", "$patch": "delete"]]]],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "an added env entry and a changed value are sent by name, in the manifest's order",
            lastApplied: deployment(["containers": [web([env("A"), env("B")])]]),
            manifest: deployment(["containers": [web([env("C"), env("A", "2"), env("B")])]]),
            live: deployment(["containers": [web([env("A"), env("B")])]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"]],
                            "containers": [
                                [
                                    "name": "web", "$setElementOrder/env": [["name": "C"], ["name": "A"], ["name": "B"]],
                                    "env": [env("C"), env("A", "2")],
                                ]
                            ],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "an entry someone else added makes only an order directive",
            lastApplied: deployment(["containers": [web([env("A")])]]),
            manifest: deployment(["containers": [web([env("A")])]]),
            live: deployment(["containers": [web([env("A"), env("EXTRA")])]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"]],
                            "containers": [["name": "web", "$setElementOrder/env": [["name": "A"]]]],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "a removed container is deleted; a new one is sent whole",
            lastApplied: deployment(["containers": [web([]), ["name": "old", "image": "o"]]]),
            manifest: deployment(["containers": [web([]), ["name": "new", "image": "n"]]]),
            live: deployment(["containers": [web([]), ["name": "old", "image": "o"]]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"], ["name": "new"]],
                            "containers": [["name": "new", "image": "n"], ["name": "old", "$patch": "delete"]],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "an env list the live container lacks is sent whole, without its own order",
            lastApplied: deployment(["containers": [["name": "web", "image": "web:1"]]]),
            manifest: deployment(["containers": [web([env("A")])]]),
            live: deployment(["containers": [["name": "web", "image": "web:1"]]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"]],
                            "containers": [["name": "web", "env": [env("A")]]],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "lists without a merge strategy are replaced whole",
            lastApplied: deployment(["containers": [["name": "web", "args": ["a", "b"]]]]),
            manifest: deployment(["containers": [["name": "web", "args": ["a", "c"]]]]),
            live: deployment(["containers": [["name": "web", "args": ["a", "b"]]]]),
            patch: [
                "spec": [
                    "template": [
                        "spec": [
                            "$setElementOrder/containers": [["name": "web"]],
                            "containers": [["name": "web", "args": ["a", "c"]]],
                        ]
                    ]
                ]
            ]),
        Case(
            name: "finalizers: a dropped one in the parallel deletion list, an added one in the list",
            lastApplied: ["kind": "Deployment", "metadata": ["finalizers": ["a", "b"]]],
            manifest: ["kind": "Deployment", "metadata": ["finalizers": ["a", "c"]]],
            live: ["kind": "Deployment", "metadata": ["finalizers": ["a", "b", "others"]]],
            patch: [
                "metadata": [
                    "finalizers": ["c"], "$deleteFromPrimitiveList/finalizers": ["b"], "$setElementOrder/finalizers": ["a", "c"],
                ]
            ]),
        Case(
            name: "a strategy switched to Recreate retains only its type",
            lastApplied: ["kind": "Deployment", "spec": ["strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1]]]],
            manifest: ["kind": "Deployment", "spec": ["strategy": ["type": "Recreate"]]],
            live: ["kind": "Deployment", "spec": ["strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1, "maxUnavailable": "25%"]]]],
            patch: ["spec": ["strategy": ["$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": nil]]]),
        Case(
            name: "a strategy the server completed is asked to keep only the manifest's keys",
            lastApplied: ["kind": "Deployment", "spec": ["strategy": ["rollingUpdate": ["maxSurge": 1]]]],
            manifest: ["kind": "Deployment", "spec": ["strategy": ["rollingUpdate": ["maxSurge": 1]]]],
            live: ["kind": "Deployment", "spec": ["strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": 1]]]],
            patch: ["spec": ["strategy": ["$retainKeys": ["rollingUpdate"]]]]),
        Case(
            name: "a volume changing its source retains only the new keys",
            kind: "Pod",
            lastApplied: ["kind": "Pod", "spec": ["volumes": [["name": "data", "emptyDir": [:]]]]],
            manifest: ["kind": "Pod", "spec": ["volumes": [["name": "data", "hostPath": ["path": "/d"]]]]],
            live: ["kind": "Pod", "spec": ["volumes": [["name": "data", "emptyDir": [:]]]]],
            patch: [
                "spec": [
                    "$setElementOrder/volumes": [["name": "data"]],
                    "volumes": [["name": "data", "$retainKeys": ["hostPath", "name"], "hostPath": ["path": "/d"], "emptyDir": nil]],
                ]
            ]),
        Case(
            name: "kinds without merge keys patch lists whole",
            kind: "Ingress",
            lastApplied: ["kind": "Ingress", "spec": ["rules": [["host": "a"]]]],
            manifest: ["kind": "Ingress", "spec": ["rules": [["host": "b"]]]],
            live: ["kind": "Ingress", "spec": ["rules": [["host": "a"]]]],
            patch: ["spec": ["rules": [["host": "b"]]]]),
    ]

    @Test(arguments: cases)
    func patch(_ c: Case) throws {
        let patch = try ThreeWayStrategicMerge.patch(lastApplied: c.lastApplied, manifest: c.manifest, live: c.live, meta: .of(kind: c.kind))
        #expect(patch == c.patch, "\(patch.serializedString())")
    }

    @Test func anElementWithoutItsMergeKeyIsRefused() {
        let withoutName = Self.deployment(["containers": [["image": "x"]]])
        #expect(throws: ThreeWayStrategicMerge.Failure.self) {
            try ThreeWayStrategicMerge.patch(
                lastApplied: nil, manifest: withoutName, live: Self.deployment(["containers": [Self.web([])]]), meta: .of(kind: "Deployment"))
        }
    }

    @Test func listsOfListsAreRefused() {
        #expect(throws: ThreeWayStrategicMerge.Failure.self) {
            try ThreeWayStrategicMerge.patch(
                lastApplied: nil, manifest: ["metadata": ["finalizers": [["a"]]]], live: ["metadata": ["finalizers": ["a"]]],
                meta: .of(kind: "Deployment"))
        }
    }
}
