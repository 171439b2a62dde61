import Foundation
import KctlModel

/// Sample objects as the server returns them, relative to a fixed "now".
enum Samples {
    static let now = Timestamp.parse("2024-05-01T12:00:00Z")!

    /// A timestamp `seconds` before `now`.
    static func ago(_ seconds: Int) -> JSONValue {
        .string(Timestamp.format(now.addingTimeInterval(-TimeInterval(seconds))))
    }

    static func object(_ json: JSONValue) -> KubeObject { try! KubeObject(json: json) }

    static let deployment = object([
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": [
            "name": "web", "namespace": "default", "uid": "d-1", "creationTimestamp": ago(300),
            "labels": ["app": "web"], "annotations": ["deployment.kubernetes.io/revision": "2"],
        ],
        "spec": [
            "replicas": 3,
            "selector": ["matchLabels": ["app": "web"]],
            "template": [
                "metadata": ["labels": ["app": "web"]],
                "spec": [
                    "containers": [
                        [
                            "name": "web", "command": ["/bin/web", "--port=8080"],
                            "ports": [["containerPort": 8080, "protocol": "TCP"]],
                            "env": [["name": "MODE", "value": "prod"]],
                            "resources": ["requests": ["cpu": "100m", "memory": "64Mi"]],
                            "readinessProbe": ["httpGet": ["path": "/healthz", "port": 8080], "periodSeconds": 5],
                        ],
                        ["name": "sidecar", "command": ["/bin/side"]],
                    ]
                ],
            ],
        ],
        "status": ["replicas": 3, "updatedReplicas": 3, "readyReplicas": 2, "availableReplicas": 2],
    ])

    static let pod = object([
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "web-abc", "namespace": "default", "creationTimestamp": ago(45), "labels": ["app": "web"]],
        "spec": ["nodeName": "node-1", "containers": [["name": "web"], ["name": "sidecar"]]],
        "status": [
            "phase": "Running", "podIP": "10.1.0.5",
            "containerStatuses": [
                [
                    "name": "web", "ready": true, "restartCount": 2, "state": ["running": ["startedAt": ago(40)]],
                    "lastState": ["terminated": ["exitCode": 1, "finishedAt": ago(130)]],
                ],
                ["name": "sidecar", "ready": false, "restartCount": 1, "state": ["waiting": ["reason": "CrashLoopBackOff"]]],
            ],
        ],
    ])

    static let service = object([
        "apiVersion": "v1", "kind": "Service",
        "metadata": ["name": "web", "namespace": "default", "creationTimestamp": ago(3 * 86400 + 3600)],
        "spec": [
            "type": "NodePort", "clusterIP": "10.96.0.10", "selector": ["app": "web"],
            "ports": [["port": 80, "targetPort": 8080, "nodePort": 30080, "protocol": "TCP"], ["port": 9090]],
        ],
    ])
}
