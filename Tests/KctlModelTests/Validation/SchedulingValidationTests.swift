import Foundation
import Testing

@testable import KctlModel

/// Affinity and topology spread are kept as JSON in the model; their operators are still checked.
@Suite struct SchedulingValidationTests {
    static func pod(_ spec: [String: JSONValue]) -> KubeObject {
        var full: [String: JSONValue] = ["containers": [["name": "main", "command": ["sleep", "1"]]]]
        for (k, v) in spec { full[k] = v }
        return KubeObject(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"], "spec": .object(full)])
    }

    @Test func unknownAffinityOperatorIsRejectedWithItsPath() {
        let causes = AdmissionTests.causes {
            _ = try Admission.admit(
                Self.pod([
                    "affinity": [
                        "nodeAffinity": [
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                "nodeSelectorTerms": [["matchExpressions": [["key": "zone", "operator": "Near", "values": ["a"]]]]]
                            ]
                        ]
                    ]
                ]), as: .pod)
        }
        let field = "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator"
        #expect(causes.map(\.field) == [field])
        #expect(causes.first?.reason == "FieldValueNotSupported")
    }

    @Test func operatorsNeedTheRightValues() {
        let causes = AdmissionTests.causes {
            _ = try Admission.admit(
                Self.pod([
                    "affinity": [
                        "nodeAffinity": [
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                "nodeSelectorTerms": [[
                                    "matchExpressions": [
                                        ["key": "zone", "operator": "In"],
                                        ["key": "disk", "operator": "Exists", "values": ["ssd"]],
                                        ["key": "cores", "operator": "Gt", "values": ["many"]],
                                    ]
                                ]]
                            ]
                        ]
                    ]
                ]), as: .pod)
        }
        #expect(causes.count == 3)
    }

    @Test func spreadConstraintsAreChecked() {
        let causes = AdmissionTests.causes {
            _ = try Admission.admit(
                Self.pod(["topologySpreadConstraints": [["maxSkew": 0, "topologyKey": "", "whenUnsatisfiable": "Maybe"]]]),
                as: .pod)
        }
        #expect(Set(causes.map(\.field)) == [
            "spec.topologySpreadConstraints[0].maxSkew", "spec.topologySpreadConstraints[0].topologyKey",
            "spec.topologySpreadConstraints[0].whenUnsatisfiable",
        ])
    }

    @Test func validAffinityPasses() throws {
        _ = try Admission.admit(
            Self.pod([
                "affinity": [
                    "nodeAffinity": [
                        "requiredDuringSchedulingIgnoredDuringExecution": [
                            "nodeSelectorTerms": [["matchExpressions": [["key": "zone", "operator": "In", "values": ["a"]]]]]
                        ]
                    ]
                ],
                "topologySpreadConstraints": [["maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"]],
            ]), as: .pod)
    }
}
