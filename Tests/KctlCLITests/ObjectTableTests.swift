import Foundation
import KctlModel
import Testing

@Suite struct AgeTests {
    static let cases: [(Double, String)] = [
        (0, "0s"), (-0.5, "0s"), (-5, "<invalid>"), (5, "5s"), (119, "119s"), (120, "2m"),
        (182, "3m2s"), (599, "9m59s"), (720, "12m"), (179 * 60, "179m"), (3 * 3600, "3h"),
        (5 * 3600 + 600, "5h10m"), (20 * 3600, "20h"), (3 * 86400, "3d"), (3 * 86400 + 4 * 3600, "3d4h"),
        (30 * 86400, "30d"), (800 * 86400, "2y70d"), (10 * 365 * 86400, "10y"),
    ]

    @Test(arguments: cases)
    func formats(seconds: Double, expected: String) {
        #expect(Age.format(seconds) == expected)
    }

    @Test func missingTimestampIsUnknown() {
        #expect(Age.since(nil, now: Date()) == "<unknown>")
        #expect(Age.since("yesterday", now: Date()) == "<unknown>")
    }
}

@Suite struct ObjectTableTests {
    let now = Samples.now

    func row(_ object: KubeObject, _ type: ResourceType) -> [String: String] {
        let columns = ObjectTable.columns(for: type).map(\.name)
        let cells = ObjectTable.cells(for: object, type: type, now: now)
        #expect(columns.count == cells.count)
        return Dictionary(uniqueKeysWithValues: zip(columns, cells))
    }

    @Test func deployment() {
        let r = row(Samples.deployment, .deployment)
        #expect(r["NAME"] == "web")
        #expect(r["READY"] == "2/3")
        #expect(r["UP-TO-DATE"] == "3")
        #expect(r["AVAILABLE"] == "2")
        #expect(r["AGE"] == "5m")
        #expect(r["CONTAINERS"] == "web,sidecar")
        #expect(r["SELECTOR"] == "app=web")
        let wide = ObjectTable.columns(for: .deployment).filter { $0.priority == 1 }.map(\.name)
        #expect(wide == ["CONTAINERS", "SELECTOR"])
    }

    @Test func pod() {
        let r = row(Samples.pod, .pod)
        #expect(r["READY"] == "1/2")
        #expect(r["STATUS"] == "CrashLoopBackOff")
        #expect(r["RESTARTS"] == "3 (2m10s ago)")
        #expect(r["AGE"] == "45s")
        #expect(r["IP"] == "10.1.0.5")
        #expect(r["NODE"] == "node-1")
    }

    @Test func podStatusVariants() {
        var pending = Samples.object(["kind": "Pod", "metadata": ["name": "p"], "status": ["phase": "Pending"]])
        #expect(ObjectTable.podStatus(pending) == "Pending")
        pending.deletionTimestamp = "2024-05-01T11:59:00Z"
        #expect(ObjectTable.podStatus(pending) == "Terminating")
        let exited = Samples.object([
            "kind": "Pod", "metadata": ["name": "p"],
            "status": ["phase": "Running", "containerStatuses": [["name": "a", "state": ["terminated": ["exitCode": 2]]]]],
        ])
        #expect(ObjectTable.podStatus(exited) == "ExitCode:2")
        let initializing = Samples.object([
            "kind": "Pod", "metadata": ["name": "p"], "spec": ["initContainers": [["name": "i"]]],
            "status": ["phase": "Pending", "initContainerStatuses": [["name": "i", "state": ["running": [:]]]]],
        ])
        #expect(ObjectTable.podStatus(initializing) == "Init:0/1")
        let empty = Samples.object(["kind": "Pod", "metadata": ["name": "p"]])
        #expect(row(empty, .pod)["STATUS"] == "Unknown")
        #expect(row(empty, .pod)["READY"] == "0/0")
        #expect(row(empty, .pod)["AGE"] == "<unknown>")
        #expect(row(empty, .pod)["IP"] == "<none>")
    }

    @Test func service() {
        let r = row(Samples.service, .service)
        #expect(r["TYPE"] == "NodePort")
        #expect(r["CLUSTER-IP"] == "10.96.0.10")
        #expect(r["EXTERNAL-IP"] == "<none>")
        #expect(r["PORT(S)"] == "80:30080/TCP,9090/TCP")
        #expect(r["AGE"] == "3d1h")
        let bare = Samples.object(["kind": "Service", "metadata": ["name": "s"], "spec": ["type": "LoadBalancer"]])
        #expect(row(bare, .service)["PORT(S)"] == "<none>")
        #expect(row(bare, .service)["EXTERNAL-IP"] == "<pending>")
    }

    @Test func replicaSetSecretConfigMapNamespaceLease() {
        let rs = Samples.object([
            "kind": "ReplicaSet", "metadata": ["name": "web-1"], "spec": ["replicas": 3],
            "status": ["replicas": 2, "readyReplicas": 1],
        ])
        #expect(Array(ObjectTable.cells(for: rs, type: .replicaSet, now: now).prefix(4)) == ["web-1", "3", "2", "1"])
        let secret = Samples.object(["kind": "Secret", "metadata": ["name": "s"], "data": ["a": "eA==", "b": "eQ=="]])
        #expect(Array(ObjectTable.cells(for: secret, type: .secret, now: now).prefix(3)) == ["s", "Opaque", "2"])
        let cm = Samples.object(["kind": "ConfigMap", "metadata": ["name": "c"], "data": ["a": "1"], "binaryData": ["b": "AA=="]])
        #expect(ObjectTable.cells(for: cm, type: .configMap, now: now).prefix(2) == ["c", "2"])
        let ns = Samples.object(["kind": "Namespace", "metadata": ["name": "dev"]])
        #expect(ObjectTable.cells(for: ns, type: .namespace, now: now).prefix(2) == ["dev", "Active"])
        let lease = Samples.object(["kind": "Lease", "metadata": ["name": "l"], "spec": ["holderIdentity": "kctld-1"]])
        #expect(ObjectTable.cells(for: lease, type: .lease, now: now).prefix(2) == ["l", "kctld-1"])
    }

    @Test func ingress() {
        let ing = Samples.object([
            "kind": "Ingress", "metadata": ["name": "web"],
            "spec": ["ingressClassName": "kctl", "rules": [["host": "chat.local"], [:]], "tls": [["hosts": ["chat.local"]]]],
            "status": ["loadBalancer": ["ingress": [["ip": "127.0.0.1"]]]],
        ])
        let r = row(ing, .ingress)
        #expect(r["CLASS"] == "kctl")
        #expect(r["HOSTS"] == "chat.local,*")
        #expect(r["ADDRESS"] == "127.0.0.1")
        #expect(r["PORTS"] == "80, 443")
    }

    @Test func hpa() {
        let hpa = Samples.object([
            "kind": "HorizontalPodAutoscaler", "metadata": ["name": "web"],
            "spec": [
                "scaleTargetRef": ["kind": "Deployment", "name": "web"], "minReplicas": 2, "maxReplicas": 10,
                "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 70]]]],
            ],
            "status": [
                "currentReplicas": 3,
                "currentMetrics": [["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": 45]]]],
            ],
        ])
        let r = row(hpa, .horizontalPodAutoscaler)
        #expect(r["REFERENCE"] == "Deployment/web")
        #expect(r["TARGETS"] == "cpu: 45%/70%")
        #expect(r["MINPODS"] == "2")
        #expect(r["MAXPODS"] == "10")
        #expect(r["REPLICAS"] == "3")
        var noStatus = hpa
        noStatus.status = nil
        #expect(row(noStatus, .horizontalPodAutoscaler)["TARGETS"] == "cpu: <unknown>/70%")
    }

    @Test func node() {
        let node = Samples.object([
            "kind": "Node", "metadata": ["name": "node-1", "labels": ["node-role.kubernetes.io/worker": ""]],
            "spec": ["unschedulable": true],
            "status": [
                "conditions": [["type": "Ready", "status": "True"]], "nodeInfo": ["kubeletVersion": "kctl-0.1"],
                "addresses": [["type": "InternalIP", "address": "127.0.1.1"]],
            ],
        ])
        let r = row(node, .node)
        #expect(r["STATUS"] == "Ready,SchedulingDisabled")
        #expect(r["ROLES"] == "worker")
        #expect(r["VERSION"] == "kctl-0.1")
        #expect(r["INTERNAL-IP"] == "127.0.1.1")
        let lost = Samples.object(["kind": "Node", "metadata": ["name": "n"], "status": ["conditions": [["type": "Ready", "status": "Unknown"]]]])
        #expect(row(lost, .node)["STATUS"] == "NotReady")
        #expect(row(lost, .node)["ROLES"] == "<none>")
    }

    @Test func event() {
        let event = Samples.object([
            "kind": "Event", "metadata": ["name": "web.1"], "type": "Normal", "reason": "ScalingReplicaSet",
            "involvedObject": ["kind": "Deployment", "name": "web"], "message": "Scaled up",
            "firstTimestamp": Samples.ago(600), "lastTimestamp": Samples.ago(60), "count": 3,
        ])
        #expect(
            ObjectTable.cells(for: event, type: .event, now: now)
                == ["60s (x3 over 10m)", "Normal", "ScalingReplicaSet", "deployment/web", "Scaled up"])
        #expect(ObjectTable.columns(for: .event).map(\.name) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
    }

    @Test func selectorAndLabels() {
        let selector: JSONValue = [
            "matchLabels": ["b": "2", "a": "1"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["x", "y"]], ["key": "legacy", "operator": "DoesNotExist"],
            ],
        ]
        #expect(ObjectTable.selectorText(selector) == "a=1,b=2,tier in (x,y),!legacy")
        #expect(ObjectTable.labelsText([:]) == "<none>")
        #expect(ObjectTable.labelsText(["z": "1", "a": "2"]) == "a=2,z=1")
    }

    @Test func genericKindsGetNameAndAge() {
        let other = ResourceType(group: "x.io", version: "v1", kind: "Thing", plural: "things", singular: "thing")
        #expect(ObjectTable.columns(for: other).map(\.name) == ["NAME", "AGE"])
        let thing = Samples.object(["kind": "Thing", "metadata": ["name": "t", "creationTimestamp": Samples.ago(10)]])
        #expect(ObjectTable.cells(for: thing, type: other, now: now) == ["t", "10s"])
    }
}
