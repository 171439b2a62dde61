import Foundation
@testable import KctlAPIServer
import KctlModel
import KctlTestSupport
import Testing

/// kubectl's protobuf create bodies: decoded for Namespace, ConfigMap, Secret, Service, Deployment
/// and Ingress; 415 for the rest, and for a field the decoder does not read.
@Suite struct ProtobufTests {
    /// `kubectl create secret generic s2 --from-literal=a=b --from-literal=c=dd --type=kctl/x`, as kubectl 1.32 sent it.
    static let kubectlSecret: [UInt8] = [
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0c, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x06, 0x53, 0x65, 0x63, 0x72, 0x65, 0x74, 0x12,
        0x2d, 0x0a, 0x12, 0x0a, 0x02, 0x73, 0x32, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00,
        0x42, 0x00, 0x12, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x12, 0x07, 0x0a, 0x01, 0x63, 0x12, 0x02, 0x64, 0x64,
        0x1a, 0x06, 0x6b, 0x63, 0x74, 0x6c, 0x2f, 0x78, 0x1a, 0x00, 0x22, 0x00,
    ]

    /// `kubectl create namespace dev2`, as kubectl 1.32 sent it.
    static let kubectlNamespace: [UInt8] = [
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0f, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x09, 0x4e, 0x61, 0x6d, 0x65, 0x73, 0x70, 0x61,
        0x63, 0x65, 0x12, 0x1c, 0x0a, 0x14, 0x0a, 0x04, 0x64, 0x65, 0x76, 0x32, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a,
        0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x12, 0x00, 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00,
    ]

    /// `kubectl create deployment hello --image=kctl-demo --replicas=0 --port=8080 -- kctl-demo http-echo`.
    static let kubectlDeployment: [UInt8] = [
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x15, 0x0a, 0x07, 0x61, 0x70, 0x70, 0x73, 0x2f, 0x76, 0x31, 0x12, 0x0a, 0x44, 0x65,
        0x70, 0x6c, 0x6f, 0x79, 0x6d, 0x65, 0x6e, 0x74, 0x12, 0xe0, 0x01, 0x0a, 0x23, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c,
        0x6f, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x5a, 0x0c, 0x0a, 0x03,
        0x61, 0x70, 0x70, 0x12, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0xaa, 0x01, 0x08, 0x00, 0x12, 0x0e, 0x0a, 0x0c,
        0x0a, 0x03, 0x61, 0x70, 0x70, 0x12, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x1a, 0x8d, 0x01, 0x0a, 0x1e, 0x0a, 0x00,
        0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x5a, 0x0c, 0x0a, 0x03, 0x61,
        0x70, 0x70, 0x12, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x6b, 0x12, 0x4d, 0x0a, 0x09, 0x6b, 0x63, 0x74, 0x6c,
        0x2d, 0x64, 0x65, 0x6d, 0x6f, 0x12, 0x09, 0x6b, 0x63, 0x74, 0x6c, 0x2d, 0x64, 0x65, 0x6d, 0x6f, 0x1a, 0x09, 0x6b,
        0x63, 0x74, 0x6c, 0x2d, 0x64, 0x65, 0x6d, 0x6f, 0x1a, 0x09, 0x68, 0x74, 0x74, 0x70, 0x2d, 0x65, 0x63, 0x68, 0x6f,
        0x2a, 0x00, 0x32, 0x0b, 0x0a, 0x00, 0x10, 0x00, 0x18, 0x90, 0x3f, 0x22, 0x00, 0x2a, 0x00, 0x42, 0x00, 0x6a, 0x00,
        0x72, 0x00, 0x80, 0x01, 0x00, 0x88, 0x01, 0x00, 0x90, 0x01, 0x00, 0xa2, 0x01, 0x00, 0x1a, 0x00, 0x32, 0x00, 0x42,
        0x00, 0x4a, 0x00, 0x52, 0x00, 0x58, 0x00, 0x60, 0x00, 0x68, 0x00, 0x82, 0x01, 0x00, 0x8a, 0x01, 0x00, 0x9a, 0x01,
        0x00, 0xc2, 0x01, 0x00, 0x22, 0x02, 0x0a, 0x00, 0x28, 0x00, 0x38, 0x00, 0x1a, 0x0c, 0x08, 0x00, 0x10, 0x00, 0x18,
        0x00, 0x20, 0x00, 0x28, 0x00, 0x38, 0x00, 0x1a, 0x00, 0x22, 0x00,
    ]

    /// `kubectl create service clusterip hello --tcp=80:8080 --tcp=8443:https`.
    static let kubectlService: [UInt8] = [
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x0d, 0x0a, 0x02, 0x76, 0x31, 0x12, 0x07, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65,
        0x12, 0x94, 0x01, 0x0a, 0x23, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a,
        0x00, 0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x5a, 0x0c, 0x0a, 0x03, 0x61, 0x70, 0x70, 0x12, 0x05, 0x68, 0x65, 0x6c,
        0x6c, 0x6f, 0x12, 0x69, 0x0a, 0x1b, 0x0a, 0x07, 0x38, 0x30, 0x2d, 0x38, 0x30, 0x38, 0x30, 0x12, 0x03, 0x54, 0x43,
        0x50, 0x18, 0x50, 0x22, 0x07, 0x08, 0x00, 0x10, 0x90, 0x3f, 0x1a, 0x00, 0x28, 0x00, 0x0a, 0x23, 0x0a, 0x0a, 0x38,
        0x34, 0x34, 0x33, 0x2d, 0x68, 0x74, 0x74, 0x70, 0x73, 0x12, 0x03, 0x54, 0x43, 0x50, 0x18, 0xfb, 0x41, 0x22, 0x0b,
        0x08, 0x01, 0x10, 0x00, 0x1a, 0x05, 0x68, 0x74, 0x74, 0x70, 0x73, 0x28, 0x00, 0x12, 0x0c, 0x0a, 0x03, 0x61, 0x70,
        0x70, 0x12, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x1a, 0x00, 0x22, 0x09, 0x43, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72,
        0x49, 0x50, 0x3a, 0x00, 0x42, 0x00, 0x52, 0x00, 0x5a, 0x00, 0x60, 0x00, 0x68, 0x00, 0x1a, 0x02, 0x0a, 0x00, 0x1a,
        0x00, 0x22, 0x00,
    ]

    /// `kubectl create ingress hello --class=default --rule="foo.com/hello*=hello:80,tls=cert" --rule="/api=hello:https"
    /// --default-backend=hello:80 --annotation=a=b`.
    static let kubectlIngress: [UInt8] = [
        0x6b, 0x38, 0x73, 0x00, 0x0a, 0x1f, 0x0a, 0x14, 0x6e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x69, 0x6e, 0x67, 0x2e,
        0x6b, 0x38, 0x73, 0x2e, 0x69, 0x6f, 0x2f, 0x76, 0x31, 0x12, 0x07, 0x49, 0x6e, 0x67, 0x72, 0x65, 0x73, 0x73, 0x12,
        0xb0, 0x01, 0x0a, 0x1d, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00,
        0x32, 0x00, 0x38, 0x00, 0x42, 0x00, 0x62, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, 0x12, 0x8a, 0x01, 0x0a, 0x0f,
        0x22, 0x0d, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x04, 0x0a, 0x00, 0x10, 0x50, 0x12, 0x0f, 0x0a, 0x07,
        0x66, 0x6f, 0x6f, 0x2e, 0x63, 0x6f, 0x6d, 0x12, 0x04, 0x63, 0x65, 0x72, 0x74, 0x1a, 0x30, 0x0a, 0x07, 0x66, 0x6f,
        0x6f, 0x2e, 0x63, 0x6f, 0x6d, 0x12, 0x25, 0x0a, 0x23, 0x0a, 0x21, 0x0a, 0x06, 0x2f, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
        0x12, 0x0f, 0x22, 0x0d, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x04, 0x0a, 0x00, 0x10, 0x50, 0x1a, 0x06,
        0x50, 0x72, 0x65, 0x66, 0x69, 0x78, 0x1a, 0x2b, 0x0a, 0x00, 0x12, 0x27, 0x0a, 0x25, 0x0a, 0x23, 0x0a, 0x04, 0x2f,
        0x61, 0x70, 0x69, 0x12, 0x14, 0x22, 0x12, 0x0a, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x12, 0x09, 0x0a, 0x05, 0x68,
        0x74, 0x74, 0x70, 0x73, 0x10, 0x00, 0x1a, 0x05, 0x45, 0x78, 0x61, 0x63, 0x74, 0x22, 0x07, 0x64, 0x65, 0x66, 0x61,
        0x75, 0x6c, 0x74, 0x1a, 0x02, 0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00,
    ]

    @Test func decodesKubectlsSecret() throws {
        let secret = try ProtobufBody.decode(Self.kubectlSecret)
        #expect(
            secret == [
                "apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s2"], "type": "kctl/x",
                "data": ["a": "Yg==", "c": "ZGQ="],
            ])
    }

    @Test func decodesKubectlsNamespace() throws {
        #expect(try ProtobufBody.decode(Self.kubectlNamespace) == ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "dev2"]])
    }

    @Test func decodesConfigMapWithMetadataMapsAndBinaryData() throws {
        let meta = P.string(1, "c") + P.string(2, "") + P.string(3, "shop")
            + P.message(11, P.string(1, "app") + P.string(2, "web"))
            + P.message(12, P.string(1, "note") + P.string(2, "hi"))
            + P.string(14, "example.com/keep")
        let body = P.message(1, meta) + P.message(2, P.string(1, "k") + P.string(2, "v"))
            + P.message(3, P.string(1, "bin") + P.bytes(2, [0, 255])) + P.varint(4, 1)
        let decoded = try ProtobufBody.decode(P.envelope("v1", "ConfigMap", body))
        #expect(
            decoded == [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": [
                    "name": "c", "namespace": "shop", "labels": ["app": "web"], "annotations": ["note": "hi"],
                    "finalizers": ["example.com/keep"],
                ],
                "data": ["k": "v"], "binaryData": ["bin": "AP8="], "immutable": true,
            ])
    }

    @Test func secretWithoutTypeIsOpaqueAndStringDataIsKept() throws {
        let body = P.message(1, P.string(1, "s")) + P.message(4, P.string(1, "user") + P.string(2, "ann")) + P.string(3, "")
        let decoded = try ProtobufBody.decode(P.envelope("v1", "Secret", body))
        #expect(decoded["type"] == "Opaque")
        #expect(decoded["stringData"] == ["user": "ann"])
    }

    /// Go writes every non-pointer field, empty ones included: those are left out, while a pointer
    /// set to zero (`replicas: 0`) is kept. The result is what `kubectl create -f` would send.
    @Test func decodesKubectlsDeployment() throws {
        #expect(
            try ProtobufBody.decode(Self.kubectlDeployment) == [
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": ["name": "hello", "labels": ["app": "hello"]],
                "spec": [
                    "replicas": 0, "selector": ["matchLabels": ["app": "hello"]], "strategy": [:],
                    "template": [
                        "metadata": ["labels": ["app": "hello"]],
                        "spec": [
                            "containers": [
                                [
                                    "name": "kctl-demo", "image": "kctl-demo", "command": ["kctl-demo", "http-echo"],
                                    "ports": [["containerPort": 8080]], "resources": [:],
                                ]
                            ]
                        ],
                    ],
                ],
            ])
    }

    @Test func decodesKubectlsServiceWithNamedAndNumberedTargetPorts() throws {
        #expect(
            try ProtobufBody.decode(Self.kubectlService) == [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": "hello", "labels": ["app": "hello"]],
                "spec": [
                    "ports": [
                        ["name": "80-8080", "protocol": "TCP", "port": 80, "targetPort": 8080],
                        ["name": "8443-https", "protocol": "TCP", "port": 8443, "targetPort": "https"],
                    ],
                    "selector": ["app": "hello"], "type": "ClusterIP",
                ],
            ])
    }

    /// An IngressRule's `http` sits in the rule itself, as in JSON (protobuf nests it one deeper).
    @Test func decodesKubectlsIngress() throws {
        let backend: JSONValue = ["service": ["name": "hello", "port": ["number": 80]]]
        #expect(
            try ProtobufBody.decode(Self.kubectlIngress) == [
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": ["name": "hello", "annotations": ["a": "b"]],
                "spec": [
                    "ingressClassName": "default", "defaultBackend": backend,
                    "tls": [["hosts": ["foo.com"], "secretName": "cert"]],
                    "rules": [
                        ["host": "foo.com", "http": ["paths": [["path": "/hello", "pathType": "Prefix", "backend": backend]]]],
                        [
                            "http": [
                                "paths": [
                                    [
                                        "path": "/api", "pathType": "Exact",
                                        "backend": ["service": ["name": "hello", "port": ["name": "https"]]],
                                    ]
                                ]
                            ]
                        ],
                    ],
                ],
            ])
    }

    /// Probes, resources and negative numbers, which kubectl's generators do not send but a typed
    /// client may.
    @Test func decodesProbesQuantitiesAndNegativeNumbers() throws {
        let quantity = { (name: String, value: String) in P.message(1, P.string(1, name) + P.message(2, P.string(1, value))) }
        let probe = P.message(1, P.message(2, P.string(1, "/healthz") + P.message(2, P.varint(1, 1) + P.string(3, "http"))))
            + P.varint(4, 5)
        let resources = quantity("cpu", "250m") + P.message(2, P.string(1, "memory") + P.message(2, P.string(1, "64Mi")))
        let container = P.string(1, "main") + P.message(8, resources)
            + P.message(11, probe) + P.message(7, P.string(1, "MODE") + P.string(2, ""))
        let spec = P.message(2, container) + P.varint(4, UInt64(bitPattern: -1))
        let body = P.message(1, P.string(1, "p")) + P.message(2, P.message(3, P.message(2, spec)))
        let decoded = try ProtobufBody.decode(P.envelope("apps/v1", "Deployment", body))
        let podSpec = decoded["spec"]?["template"]?["spec"]
        #expect(podSpec?["terminationGracePeriodSeconds"] == -1)
        #expect(
            podSpec?["containers"] == [
                [
                    "name": "main", "resources": ["limits": ["cpu": "250m"], "requests": ["memory": "64Mi"]],
                    "readinessProbe": ["httpGet": ["path": "/healthz", "port": "http"], "periodSeconds": 5],
                    "env": [["name": "MODE"]],
                ]
            ])
    }

    /// A field the tables do not decode (a volume) or do not know is a 415 that names it; an empty
    /// one is read past, as Go writes them.
    @Test func undecodedFieldsAreUnsupportedNeverDropped() throws {
        let volume = P.message(2, P.message(3, P.message(2, P.message(1, P.string(1, "data")))))
        let withVolume = P.message(1, P.string(1, "d")) + volume
        let error = try #require(throws: StatusError.self) {
            try ProtobufBody.decode(P.envelope("apps/v1", "Deployment", withVolume))
        }
        #expect(error.code == 415)
        #expect(error.message.contains("spec.template.spec.volumes (Volume) is not decoded from protobuf"), "\(error.message)")
        let unknown = P.message(1, P.string(1, "s")) + P.message(2, P.varint(99, 7))
        let unknownError = try #require(throws: StatusError.self) { try ProtobufBody.decode(P.envelope("v1", "Service", unknown)) }
        #expect(unknownError.message.contains("field 99 of ServiceSpec at spec"), "\(unknownError.message)")
        let empty = P.message(1, P.string(1, "s")) + P.message(2, P.varint(99, 0) + P.message(6, []))
        #expect(try ProtobufBody.decode(P.envelope("v1", "Service", empty))["spec"] == [:])
    }

    @Test func otherKindsAreUnsupportedMediaType() throws {
        let error = try #require(throws: StatusError.self) {
            try ProtobufBody.decode(P.envelope("v1", "Pod", P.message(1, P.string(1, "p"))))
        }
        #expect(error.code == 415)
        #expect(error.reason == .unsupportedMediaType)
        #expect(error.message.contains("v1 Pod"))
    }

    @Test func malformedBodiesAreBadRequestsNeverCrashes() throws {
        var cut = Self.kubectlSecret
        cut.removeLast(20)
        #expect(throws: StatusError.self) { try ProtobufBody.decode(cut) }
        #expect(throws: StatusError.self) { try ProtobufBody.decode(Array("{\"kind\":\"Secret\"}".utf8)) }
        #expect(throws: StatusError.self) { try ProtobufBody.decode([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0xff]) }
        #expect(throws: StatusError.self) { try ProtobufBody.decode([0x6b, 0x38, 0x73, 0x00]) }
        // Every prefix of a real body fails cleanly or decodes.
        for length in 4..<Self.kubectlSecret.count { _ = try? ProtobufBody.decode(Array(Self.kubectlSecret.prefix(length))) }
    }

    @Test func contentTypeDetection() {
        #expect(ProtobufBody.isProtobuf("application/vnd.kubernetes.protobuf"))
        #expect(ProtobufBody.isProtobuf("application/vnd.kubernetes.protobuf; charset=binary"))
        #expect(!ProtobufBody.isProtobuf("application/json"))
        #expect(!ProtobufBody.isProtobuf(nil))
    }

    @Test func createAcceptsProtobufAndRejectsOtherKinds() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let proto = "application/vnd.kubernetes.protobuf"
        let created = try await d.client.raw(
            method: "POST", path: "/api/v1/namespaces/default/secrets", body: Self.kubectlSecret, contentType: proto)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let stored = try await d.client.get(.secret, namespace: "default", name: "s2")
        #expect(stored.value["data"] == ["a": "Yg==", "c": "ZGQ="])

        let deployment = try await d.client.raw(
            method: "POST", path: "/apis/apps/v1/namespaces/default/deployments", body: Self.kubectlDeployment,
            contentType: proto)
        #expect(deployment.status == 201, "\(String(decoding: deployment.body, as: UTF8.self))")
        #expect(try await d.client.get(.deployment, namespace: "default", name: "hello").spec?["replicas"] == 0)
        let pod = try await d.client.raw(
            method: "POST", path: "/api/v1/namespaces/default/pods",
            body: P.envelope("v1", "Pod", P.message(1, P.string(1, "p"))), contentType: proto)
        #expect(pod.status == 415)
        let update = try await d.client.raw(
            method: "PUT", path: "/api/v1/namespaces/default/secrets/s2", body: Self.kubectlSecret, contentType: proto)
        #expect(update.status == 415)
    }
}

/// A tiny protobuf encoder for building test messages.
enum P {
    static func varintBytes(_ value: UInt64) -> [UInt8] {
        var v = value
        var out: [UInt8] = []
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    static func bytes(_ field: UInt64, _ value: [UInt8]) -> [UInt8] {
        varintBytes(field << 3 | 2) + varintBytes(UInt64(value.count)) + value
    }

    static func string(_ field: UInt64, _ value: String) -> [UInt8] { bytes(field, Array(value.utf8)) }
    static func message(_ field: UInt64, _ value: [UInt8]) -> [UInt8] { bytes(field, value) }
    static func varint(_ field: UInt64, _ value: UInt64) -> [UInt8] { varintBytes(field << 3) + varintBytes(value) }

    static func envelope(_ apiVersion: String, _ kind: String, _ raw: [UInt8]) -> [UInt8] {
        [0x6b, 0x38, 0x73, 0x00] + message(1, string(1, apiVersion) + string(2, kind)) + bytes(2, raw)
            + string(3, "") + string(4, "")
    }
}
