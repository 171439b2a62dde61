import Foundation
import Testing

@testable import KctlModel

@Suite struct AdmissionTests {
    static func deployment(_ mutate: (inout JSONValue) -> Void = { _ in }) -> KubeObject {
        var json: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": [
                        "containers": [
                            [
                                "name": "web", "image": "nginx:1.25", "command": ["kctl-demo", "web"],
                                "ports": [["name": "http", "containerPort": 8080]],
                                "readinessProbe": ["httpGet": ["port": "http"]],
                            ]
                        ]
                    ],
                ],
            ],
        ]
        mutate(&json)
        return KubeObject(json.objectValue!)
    }

    static func causes(_ body: () throws -> Void) -> [StatusError.Cause] {
        do {
            try body()
            return []
        } catch let error as StatusError {
            return error.causes
        } catch {
            return [StatusError.Cause(reason: "unexpected", message: "\(error)", field: "")]
        }
    }

    @Test func deploymentDefaults() throws {
        let admitted = try Admission.admit(Self.deployment(), as: .deployment)
        let d = try Deployment(admitted)
        #expect(d.spec?.replicas == 1)
        #expect(d.spec?.strategy?.type == "RollingUpdate")
        #expect(d.spec?.strategy?.rollingUpdate?.maxSurge == "25%")
        #expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable == "25%")
        #expect(d.spec?.revisionHistoryLimit == 10)
        #expect(d.spec?.progressDeadlineSeconds == 600)
        let pod = try #require(d.spec?.template.spec)
        #expect(pod.restartPolicy == "Always")
        #expect(pod.terminationGracePeriodSeconds == 30)
        #expect(pod.dnsPolicy == "ClusterFirst")
        #expect(pod.schedulerName == "default-scheduler")
        let container = pod.containers[0]
        #expect(container.ports?[0].protocol == "TCP")
        #expect(container.imagePullPolicy == "IfNotPresent")
        let probe = try #require(container.readinessProbe)
        #expect(probe.periodSeconds == 10 && probe.timeoutSeconds == 1)
        #expect(probe.successThreshold == 1 && probe.failureThreshold == 3)
        #expect(probe.httpGet?.scheme == "HTTP" && probe.httpGet?.path == "/")
        #expect(admitted.apiVersion == "apps/v1" && admitted.kind == "Deployment")
        // Defaulting is idempotent.
        #expect(try Admission.admit(admitted, as: .deployment) == admitted)
    }

    @Test func missingTypeMetaIsFilledIn() throws {
        var object = Self.deployment()
        object.json["apiVersion"] = nil
        object.json["kind"] = nil
        let admitted = try Admission.admit(object, as: .deployment)
        #expect(admitted.kind == "Deployment")
    }

    @Test func wrongTypeMetaIsRejected() {
        var object = Self.deployment()
        object.json["kind"] = "Service"
        #expect(throws: StatusError.self) { try Admission.admit(object, as: .deployment) }
        object.json["kind"] = "Deployment"
        object.json["apiVersion"] = "apps/v2"
        do {
            _ = try Admission.admit(object, as: .deployment)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.code == 400)
            #expect(error.message.contains("apps/v2"))
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func unknownFieldsRejectedWithPath() throws {
        let object = Self.deployment {
            $0["spec"]?["replicaz"] = 3
            $0["spec"]?["template"]?["spec"]?["containers"] = [["name": "a", "portz": [1]]]
            $0["metadata"]?["lables"] = ["a": "b"]
            $0["spec"]?["paused"] = .null
        }
        do {
            _ = try Admission.admit(object, as: .deployment)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.code == 422)
            let fields = error.causes.filter { $0.reason == "UnknownField" }.map(\.field)
            #expect(fields.contains("spec.replicaz"))
            #expect(fields.contains("spec.template.spec.containers[0].portz"))
            #expect(fields.contains("metadata.lables"))
            #expect(error.causes.contains { $0.message == #"unknown field "spec.replicaz""# })
        }
        // Not strict: dropped silently.
        let admitted = try Admission.admit(
            Self.deployment { $0["spec"]?["replicaz"] = 3 }, as: .deployment, strict: false)
        #expect(admitted.spec?["replicaz"] == nil)
    }

    @Test func freeFormFieldsAreNotUnknown() throws {
        let object = Self.deployment {
            $0["metadata"]?["managedFields"] = [["manager": "kubectl", "fieldsV1": ["f:spec": [:]]]]
            $0["spec"]?["template"]?["spec"]?["affinity"] = ["nodeAffinity": ["whatever": true]]
        }
        let admitted = try Admission.admit(object, as: .deployment)
        #expect(admitted.metadata["managedFields"] != nil)
    }

    @Test func typeMismatchHasFieldPath() {
        let causes = Self.causes {
            _ = try Admission.admit(Self.deployment { $0["spec"]?["replicas"] = "three" }, as: .deployment)
        }
        #expect(causes.count == 1)
        #expect(causes.first?.field == "spec.replicas")
        #expect(causes.first?.reason == "FieldValueTypeInvalid")
        #expect(causes.first?.message == #"Invalid value: "three": spec.replicas in body must be of type integer: "string""#)
        let nested = Self.causes {
            _ = try Admission.admit(
                Self.deployment {
                    $0["spec"]?["template"]?["spec"]?["containers"] = [["name": "a", "ports": [["containerPort": "80"]]]]
                }, as: .deployment)
        }
        #expect(nested.first?.field == "spec.template.spec.containers[0].ports[0].containerPort")
    }

    @Test func collectsAllCauses() {
        let causes = Self.causes {
            _ = try Admission.admit(
                Self.deployment {
                    $0["spec"]?["replicas"] = -1
                    $0["spec"]?["template"]?["spec"]?["restartPolicy"] = "Never"
                    $0["spec"]?["template"]?["spec"]?["containers"] = [
                        ["name": "Web", "ports": [["containerPort": 70000, "name": "a-very-long-port-name"]]],
                        ["name": "dup", "livenessProbe": ["periodSeconds": 3]],
                        ["name": "dup", "readinessProbe": ["exec": ["command": ["true"]], "tcpSocket": ["port": 80]]],
                    ]
                }, as: .deployment)
        }
        let byField = Dictionary(causes.map { ($0.field, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byField["spec.replicas"]?.message == "Invalid value: -1: must be greater than or equal to 0")
        #expect(byField["spec.template.spec.restartPolicy"]?.message == #"Unsupported value: "Never": supported values: "Always""#)
        #expect(byField["spec.template.spec.containers[0].name"]?.reason == "FieldValueInvalid")
        #expect(
            byField["spec.template.spec.containers[0].ports[0].containerPort"]?.message
                == "Invalid value: 70000: must be between 1 and 65535, inclusive")
        #expect(byField["spec.template.spec.containers[0].ports[0].name"] != nil)
        #expect(byField["spec.template.spec.containers[2].name"]?.reason == "FieldValueDuplicate")
        #expect(byField["spec.template.spec.containers[1].livenessProbe"]?.reason == "FieldValueRequired")
        #expect(byField["spec.template.spec.containers[2].readinessProbe"]?.reason == "FieldValueForbidden")
    }

    @Test func podRestartPolicy() throws {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"],
            "spec": ["restartPolicy": "Sometimes", "containers": [["name": "c"]]],
        ]
        let causes = Self.causes { _ = try Admission.admit(KubeObject(json: pod), as: .pod) }
        #expect(causes.first?.message == #"Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure""#)
        #expect(causes.first?.reason == "FieldValueNotSupported")
        var good = pod
        good["spec"]?["restartPolicy"] = nil
        let admitted = try Admission.admit(KubeObject(json: good), as: .pod)
        #expect(admitted.status?["phase"] == "Pending")
        #expect(admitted.spec?["restartPolicy"] == "Always")
    }

    @Test func selectorMustMatchTemplate() {
        let causes = Self.causes {
            _ = try Admission.admit(
                Self.deployment { $0["spec"]?["selector"] = ["matchLabels": ["app": "other"]] }, as: .deployment)
        }
        #expect(causes.map(\.field) == ["spec.template.metadata.labels"])
        let empty = Self.causes {
            _ = try Admission.admit(Self.deployment { $0["spec"]?["selector"] = [:] }, as: .deployment)
        }
        #expect(empty.first?.field == "spec.selector")
        #expect(empty.first?.message.contains("empty selector is invalid") == true)
    }

    @Test func metadataRules() {
        let causes = Self.causes {
            _ = try Admission.admit(
                Self.deployment {
                    $0["metadata"] = ["name": "Bad_Name", "namespace": "default", "labels": ["ok": "-bad"]]
                }, as: .deployment)
        }
        #expect(causes.map(\.field).contains("metadata.name"))
        #expect(causes.map(\.field).contains("metadata.labels"))
        let missing = Self.causes {
            _ = try Admission.admit(Self.deployment { $0["metadata"] = ["namespace": "default"] }, as: .deployment)
        }
        #expect(missing.first?.field == "metadata.name")
        #expect(missing.first?.reason == "FieldValueRequired")
        // generateName alone is fine.
        #expect(throws: Never.self) {
            try Admission.admit(
                Self.deployment { $0["metadata"] = ["generateName": "web-", "namespace": "default"] }, as: .deployment)
        }
        // Cluster-scoped kinds reject a namespace.
        let ns = Self.causes {
            _ = try Admission.admit(
                KubeObject(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "x", "namespace": "y"]]),
                as: .namespace)
        }
        #expect(ns.first?.field == "metadata.namespace")
    }

    @Test func serviceDefaultsAndValidation() throws {
        let service: JSONValue = [
            "apiVersion": "v1", "kind": "Service", "metadata": ["name": "web", "namespace": "default"],
            "spec": ["selector": ["app": "web"], "ports": [["port": 80]]],
        ]
        let admitted = try Service(Admission.admit(KubeObject(json: service), as: .service))
        #expect(admitted.spec?.type == "ClusterIP")
        #expect(admitted.spec?.sessionAffinity == "None")
        #expect(admitted.spec?.ports?[0].protocol == "TCP")
        #expect(admitted.spec?.ports?[0].targetPort == .int(80))
        var bad = service
        bad["spec"]?["ports"] = []
        #expect(Self.causes { _ = try Admission.admit(KubeObject(json: bad), as: .service) }.first?.field == "spec.ports")
        bad["spec"]?["ports"] = [["port": 0], ["port": 81, "targetPort": "Not_A_Name"]]
        bad["spec"]?["type"] = "Magic"
        let fields = Self.causes { _ = try Admission.admit(KubeObject(json: bad), as: .service) }.map(\.field)
        #expect(fields.contains("spec.ports[0].port"))
        #expect(fields.contains("spec.ports[0].name"))
        #expect(fields.contains("spec.ports[1].targetPort"))
        #expect(fields.contains("spec.type"))
        var badName = service
        badName["metadata"]?["name"] = "1web"
        #expect(Self.causes { _ = try Admission.admit(KubeObject(json: badName), as: .service) }.first?.field == "metadata.name")
    }

    @Test func secretBase64AndStringData() throws {
        let secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"],
            "data": ["good": "aGVsbG8="], "stringData": ["token": "abc"],
        ]
        let admitted = try Secret(Admission.admit(KubeObject(json: secret), as: .secret))
        #expect(admitted.type == "Opaque")
        #expect(admitted.stringData == nil)
        #expect(admitted.data == ["good": "aGVsbG8=", "token": "YWJj"])
        var bad = secret
        bad["data"] = ["token": "not base64!"]
        bad["stringData"] = nil
        let causes = Self.causes { _ = try Admission.admit(KubeObject(json: bad), as: .secret) }
        #expect(causes.first?.field == "data[token]")
        #expect(causes.first?.message.contains("not base64!") == false)  // never echo secret data
    }

    /// The quick check answers as the full list does: same nulls skipped, same arrays compared.
    @Test func theQuickUnknownFieldCheckAgreesWithTheList() throws {
        let known = try JSONValue.parse(#"{"a":1,"b":{"c":[{"d":1},{"e":2}],"f":null},"g":[1,2]}"#)
        for input in [
            #"{}"#, #"{"a":2}"#, #"{"x":1}"#, #"{"x":null}"#, #"{"b":{"c":[{"d":5}]}}"#,
            #"{"b":{"c":[{"d":5},{"zz":1}]}}"#, #"{"b":{"c":[{},{},{"zz":1}]}}"#, #"{"b":{"f":{"deep":1}}}"#,
            #"{"g":[{"x":1}]}"#, #"{"b":5}"#, #"[1]"#, #""s""#, #"{"b":{"h":1}}"#,
        ] {
            let value = try JSONValue.parse(input)
            #expect(
                Admission.hasUnknownFields(in: value, comparedTo: known)
                    == !Admission.unknownFields(in: value, comparedTo: known).isEmpty, "\(input)")
        }
    }

    /// Defaults that drop a field (a Secret's stringData) make it no unknown field: only what the
    /// typed form does not keep is reported, exactly.
    @Test func unknownFieldsAreExactWhenDefaultsDropAField() throws {
        let secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"],
            "stringData": ["token": "abc"], "stringDatz": ["x": "y"],
        ]
        let causes = Self.causes { _ = try Admission.admit(KubeObject(json: secret), as: .secret) }
        #expect(causes.filter { $0.reason == "UnknownField" }.map(\.field) == ["stringDatz"])
        let deployment = Self.deployment {
            $0["spec"]?["replicaz"] = 3
            $0["spec"]?["template"]?["spec"]?["containers"] = [["name": "a", "image": "x", "portz": [1]]]
        }
        let fields = Self.causes { _ = try Admission.admit(deployment, as: .deployment) }
            .filter { $0.reason == "UnknownField" }.map(\.field)
        #expect(fields.sorted() == ["spec.replicaz", "spec.template.spec.containers[0].portz"])
    }

    @Test func configMapKeys() {
        let causes = Self.causes {
            _ = try Admission.admit(
                KubeObject([
                    "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "default"],
                    "data": ["bad key": "x", "ok": "y"], "binaryData": ["ok": "eA=="],
                ]), as: .configMap)
        }
        #expect(causes.map(\.field) == ["data[bad key]", "binaryData[ok]"])
    }

    static func ingress(path: JSONValue) -> KubeObject {
        KubeObject([
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": ["name": "i", "namespace": "default"],
            "spec": ["rules": [["http": ["paths": [path]]]]],
        ])
    }

    @Test func ingressPaths() throws {
        let backend: JSONValue = ["service": ["name": "users", "port": ["number": 80]]]
        _ = try Admission.admit(Self.ingress(path: ["path": "/users", "pathType": "Prefix", "backend": backend]), as: .ingress)
        let missingType = Self.causes {
            _ = try Admission.admit(Self.ingress(path: ["path": "/users", "backend": backend]), as: .ingress)
        }
        #expect(missingType.first?.field == "spec.rules[0].http.paths[0].pathType")
        #expect(missingType.first?.reason == "FieldValueRequired")
        let badType = Self.causes {
            _ = try Admission.admit(
                Self.ingress(path: ["path": "users", "pathType": "Fuzzy", "backend": ["service": ["name": "users"]]]),
                as: .ingress)
        }
        #expect(badType.map(\.field) == [
            "spec.rules[0].http.paths[0].pathType", "spec.rules[0].http.paths[0].path",
            "spec.rules[0].http.paths[0].backend.service.port",
        ])
    }

    static func hpa(_ spec: JSONValue) -> KubeObject {
        KubeObject([
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": ["name": "h", "namespace": "default"], "spec": spec,
        ])
    }

    @Test func hpaBounds() throws {
        let target: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"]
        let admitted = try HorizontalPodAutoscaler(Admission.admit(Self.hpa(["scaleTargetRef": target, "maxReplicas": 3]), as: .horizontalPodAutoscaler))
        #expect(admitted.spec?.minReplicas == 1)
        #expect(admitted.spec?.metrics?.first?.resource?.target.averageUtilization == 80)
        let inverted = Self.causes {
            _ = try Admission.admit(
                Self.hpa(["scaleTargetRef": target, "minReplicas": 4, "maxReplicas": 3]), as: .horizontalPodAutoscaler)
        }
        #expect(inverted.map(\.field) == ["spec.maxReplicas"])
        let zero = Self.causes {
            _ = try Admission.admit(
                Self.hpa(["scaleTargetRef": target, "minReplicas": 0, "maxReplicas": 0]), as: .horizontalPodAutoscaler)
        }
        #expect(zero.map(\.field) == ["spec.minReplicas", "spec.maxReplicas"])
        let external: JSONValue = [[
            "type": "External",
            "external": ["metric": ["name": "queue"], "target": ["type": "Value", "value": "10"]],
        ]]
        _ = try Admission.admit(
            Self.hpa(["scaleTargetRef": target, "minReplicas": 0, "maxReplicas": 2, "metrics": external]),
            as: .horizontalPodAutoscaler)
        let mismatched = Self.causes {
            _ = try Admission.admit(
                Self.hpa([
                    "scaleTargetRef": target, "maxReplicas": 2,
                    "metrics": [["type": "Pods", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 50]]]],
                ]), as: .horizontalPodAutoscaler)
        }
        #expect(mismatched.map(\.field).contains("spec.metrics[0].pods"))
    }

    @Test func hpaBehaviorDefaults() throws {
        let spec: JSONValue = [
            "scaleTargetRef": ["kind": "Deployment", "name": "web"], "maxReplicas": 5,
            "behavior": ["scaleDown": ["stabilizationWindowSeconds": 60]],
        ]
        let hpa = try HorizontalPodAutoscaler(Admission.admit(Self.hpa(spec), as: .horizontalPodAutoscaler))
        #expect(hpa.spec?.behavior?.scaleDown?.stabilizationWindowSeconds == 60)
        #expect(hpa.spec?.behavior?.scaleDown?.policies?.count == 1)
        #expect(hpa.spec?.behavior?.scaleUp?.policies?.count == 2)
        #expect(hpa.spec?.behavior?.scaleUp?.selectPolicy == "Max")
    }

    @Test func namespaceAndNodeDefaults() throws {
        let ns = try Admission.admit(KubeObject(["metadata": ["name": "team-a"]]), as: .namespace)
        #expect(ns.status?["phase"] == "Active")
        let node = try Node(
            Admission.admit(
                KubeObject(["metadata": ["name": "node-1"], "status": ["capacity": ["cpu": "4", "memory": "8Gi"]]]),
                as: .node))
        #expect(node.status?.allocatable?["memory"]?.value == 8 << 30)
    }

    @Test func immutableSelector() throws {
        let old = try Admission.admit(Self.deployment(), as: .deployment)
        var new = old
        new.json["spec"]?["replicas"] = 5
        try Admission.validateUpdate(new: new, old: old, as: .deployment)
        let changed = Self.deployment {
            $0["spec"]?["selector"] = ["matchLabels": ["app": "web", "tier": "x"]]
            $0["spec"]?["template"]?["metadata"] = ["labels": ["app": "web", "tier": "x"]]
        }
        let causes = Self.causes { try Admission.validateUpdate(new: changed, old: old, as: .deployment) }
        #expect(causes.first?.field == "spec.selector")
        #expect(causes.first?.message.hasSuffix("field is immutable") == true)
    }

    @Test func immutableSecret() throws {
        let old = KubeObject([
            "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s", "namespace": "default"],
            "data": ["a": "YQ=="], "immutable": true,
        ])
        var new = old
        new.json["data"] = ["a": "Yg=="]
        let causes = Self.causes { try Admission.validateUpdate(new: new, old: old, as: .secret) }
        #expect(causes.map(\.field) == ["data"])
        try Admission.validateUpdate(new: old, old: old, as: .secret)
    }

    @Test func podSpecMostlyImmutable() throws {
        let old = try Admission.admit(
            KubeObject([
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"],
                "spec": ["containers": [["name": "c", "image": "a:1"]]],
            ]), as: .pod)
        var bound = old
        bound.json["spec"]?["nodeName"] = "node-1"
        try Admission.validateUpdate(new: bound, old: old, as: .pod)
        var changed = old
        changed.json["spec"]?["containers"] = [["name": "c", "image": "a:1", "command": ["x"]]]
        #expect(Self.causes { try Admission.validateUpdate(new: changed, old: old, as: .pod) }.first?.field == "spec")
    }
}
