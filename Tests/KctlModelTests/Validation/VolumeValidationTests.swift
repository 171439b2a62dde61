import Foundation
import Testing

@testable import KctlModel

/// Volumes and mounts are checked on admission with field paths into the pod template.
@Suite struct VolumeValidationTests {
    /// A Deployment whose pod template has `volumes` and whose one container has `mounts`.
    static func deployment(volumes: JSONValue, mounts: JSONValue = [], extraContainer: JSONValue? = nil) -> KubeObject {
        var containers: [JSONValue] = [
            ["name": "app", "command": ["kctl-demo", "web"], "volumeMounts": mounts]
        ]
        if let extraContainer { containers.append(extraContainer) }
        return KubeObject([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "namespace": "default"],
            "spec": [
                "selector": ["matchLabels": ["app": "web"]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["volumes": volumes, "containers": .array(containers)],
                ],
            ],
        ])
    }

    static func causes(_ object: KubeObject) -> [StatusError.Cause] {
        AdmissionTests.causes { _ = try Admission.admit(object, as: .deployment) }
    }

    static let spec = "spec.template.spec"

    @Test func everySupportedVolumeIsAdmitted() {
        let causes = Self.causes(
            Self.deployment(
                volumes: [
                    ["name": "scratch", "emptyDir": [:]],
                    ["name": "history", "hostPath": ["path": "chat-history", "type": "DirectoryOrCreate"]],
                    ["name": "logs", "hostPath": ["path": "/var/log"]],
                    [
                        "name": "config",
                        "configMap": ["name": "chat-config", "items": [["key": "a", "path": "conf/a.txt", "mode": 0o600]]],
                    ],
                    ["name": "token", "secret": ["secretName": "chat-api-token", "defaultMode": 0o400, "optional": true]],
                ],
                mounts: [
                    ["name": "scratch", "mountPath": "/tmp/scratch"],
                    ["name": "history", "mountPath": "/var/lib/chat", "subPath": "db"],
                    ["name": "config", "mountPath": "/etc/chat", "readOnly": true],
                    ["name": "token", "mountPath": "/etc/token"],
                    ["name": "logs", "mountPath": "/var/log/host", "subPathExpr": "$(POD_NAME)"],
                ]))
        #expect(causes.isEmpty, "\(causes)")
    }

    @Test func namesAreUniqueDNSLabels() {
        let causes = Self.causes(
            Self.deployment(volumes: [
                ["name": "data", "emptyDir": [:]],
                ["name": "data", "emptyDir": [:]],
                ["name": "Not_A_Label", "emptyDir": [:]],
            ]))
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[1].name" && $0.reason == "FieldValueDuplicate" })
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[2].name" && $0.reason == "FieldValueInvalid" })
    }

    @Test func exactlyOneSource() {
        let causes = Self.causes(
            Self.deployment(volumes: [
                ["name": "none"],
                ["name": "two", "emptyDir": [:], "hostPath": ["path": "/tmp"]],
            ]))
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[0]" && $0.reason == "FieldValueRequired" })
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[1]" && $0.reason == "FieldValueForbidden" })
    }

    @Test func hostPathNeedsAKnownTypeAndNoBacksteps() {
        let causes = Self.causes(
            Self.deployment(volumes: [
                ["name": "a", "hostPath": ["path": "/data", "type": "Folder"]],
                ["name": "b", "hostPath": ["path": "../outside"]],
                ["name": "c", "hostPath": ["path": ""]],
            ]))
        let type = causes.first { $0.field == "\(Self.spec).volumes[0].hostPath.type" }
        #expect(type?.reason == "FieldValueNotSupported")
        #expect(type?.message.contains("DirectoryOrCreate") == true)
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[1].hostPath.path" && $0.message.contains("'..'") })
        #expect(causes.contains { $0.field == "\(Self.spec).volumes[2].hostPath.path" && $0.reason == "FieldValueRequired" })
    }

    @Test func configMapAndSecretItemsAndModesAreChecked() {
        let causes = Self.causes(
            Self.deployment(volumes: [
                ["name": "a", "configMap": ["items": [["key": "", "path": "/abs"]], "defaultMode": 0o1000]],
                ["name": "b", "secret": ["items": [["key": "k", "path": "x/../y", "mode": -1]]]],
            ]))
        let fields = Set(causes.map(\.field))
        #expect(fields.contains("\(Self.spec).volumes[0].configMap.name"))
        #expect(fields.contains("\(Self.spec).volumes[0].configMap.defaultMode"))
        #expect(fields.contains("\(Self.spec).volumes[0].configMap.items[0].key"))
        #expect(fields.contains("\(Self.spec).volumes[0].configMap.items[0].path"))
        #expect(fields.contains("\(Self.spec).volumes[1].secret.secretName"))
        #expect(fields.contains("\(Self.spec).volumes[1].secret.items[0].path"))
        #expect(fields.contains("\(Self.spec).volumes[1].secret.items[0].mode"))
    }

    @Test func mountsReferToVolumesWithUniqueRequiredPaths() {
        let mounts = "\(Self.spec).containers[0].volumeMounts"
        let causes = Self.causes(
            Self.deployment(
                volumes: [["name": "data", "emptyDir": [:]]],
                mounts: [
                    ["name": "missing", "mountPath": "/a"],
                    ["name": "data", "mountPath": ""],
                    ["name": "data", "mountPath": "/data"],
                    ["name": "data", "mountPath": "/data/"],
                ]))
        #expect(causes.contains { $0.field == "\(mounts)[0].name" && $0.reason == "FieldValueNotFound" })
        #expect(causes.contains { $0.field == "\(mounts)[1].mountPath" && $0.reason == "FieldValueRequired" })
        #expect(causes.contains { $0.field == "\(mounts)[3].mountPath" && $0.message.contains("must be unique") })
        #expect(causes.count == 3, "\(causes)")
    }

    @Test func backstepsInMountPathAndSubPathAreRejected() {
        let mounts = "\(Self.spec).containers[0].volumeMounts"
        let causes = Self.causes(
            Self.deployment(
                volumes: [["name": "data", "emptyDir": [:]]],
                mounts: [
                    ["name": "data", "mountPath": "/a/../../etc"],
                    ["name": "data", "mountPath": "/b", "subPath": "../x"],
                    ["name": "data", "mountPath": "/c", "subPath": "/abs"],
                    ["name": "data", "mountPath": "/d", "subPath": "x", "subPathExpr": "$(POD_NAME)"],
                ]))
        #expect(causes.contains { $0.field == "\(mounts)[0].mountPath" && $0.message.contains("'..'") })
        #expect(causes.contains { $0.field == "\(mounts)[1].subPath" && $0.message.contains("'..'") })
        #expect(causes.contains { $0.field == "\(mounts)[2].subPath" && $0.message.contains("relative") })
        #expect(causes.contains { $0.field == "\(mounts)[3].subPathExpr" && $0.message.contains("mutually exclusive") })
    }

    @Test func theSameMountPathInTwoContainersIsFine() {
        let causes = Self.causes(
            Self.deployment(
                volumes: [["name": "data", "emptyDir": [:]]],
                mounts: [["name": "data", "mountPath": "/data"]],
                extraContainer: [
                    "name": "sidecar", "command": ["kctl-demo", "web"],
                    "volumeMounts": [["name": "data", "mountPath": "/data"]],
                ]))
        #expect(causes.isEmpty, "\(causes)")
    }

    @Test func aBarePodGetsPathsUnderSpec() {
        let pod = KubeObject([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default"],
            "spec": [
                "volumes": [["name": "h", "hostPath": ["path": "/x", "type": "Dir"]]],
                "containers": [["name": "main", "command": ["sleep", "1"]]],
            ],
        ])
        let causes = AdmissionTests.causes { _ = try Admission.admit(pod, as: .pod) }
        #expect(causes.map(\.field) == ["spec.volumes[0].hostPath.type"])
    }
}
