import Foundation
@testable import KctlAPIServer
import KctlModel
import KctlTestSupport
import Testing

/// kubectl's protobuf create bodies: decoded for Namespace, ConfigMap and Secret; 415 for the rest.
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

    @Test func otherKindsAreUnsupportedMediaType() throws {
        let error = try #require(throws: StatusError.self) {
            try ProtobufBody.decode(P.envelope("apps/v1", "Deployment", P.message(1, P.string(1, "d"))))
        }
        #expect(error.code == 415)
        #expect(error.reason == .unsupportedMediaType)
        #expect(error.message.contains("apps/v1 Deployment"))
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
            method: "POST", path: "/apis/apps/v1/namespaces/default/deployments",
            body: P.envelope("apps/v1", "Deployment", P.message(1, P.string(1, "d"))), contentType: proto)
        #expect(deployment.status == 415)
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
