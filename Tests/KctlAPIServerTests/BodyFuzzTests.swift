import Foundation
import KctlModel
import KctlTestSupport
import Testing

@testable import KctlAPIServer

/// What kctld does with request bodies beyond reading their JSON, on randomly edited input
/// (fixed seeds): the three patch formats applied to a stored object, and kubectl's protobuf
/// bodies. Each must answer with a result or an error, never a trap: one bad PATCH must not take
/// the daemon down.
@Suite struct BodyFuzzTests {
    static let live: JSONValue = try! JSONValue.parse(
        """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"},"annotations":{"a":"b"}},
        "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"main","image":"x","args":["a","b"],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
        "ports":[{"containerPort":80,"protocol":"TCP"}]},{"name":"side","image":"y"}],
        "tolerations":[{"key":"k","operator":"Exists"}]}}}}
        """)

    static let patches: [(format: String, text: String)] = [
        ("json", #"[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"c"},{"op":"remove","path":"/metadata/annotations/a"},{"op":"test","path":"/metadata/name","value":"web"},{"op":"move","from":"/metadata/labels/app","path":"/metadata/labels/tier"},{"op":"copy","from":"/spec/replicas","path":"/metadata/annotations/n~1m~0"}]"#),
        ("merge", #"{"metadata":{"labels":{"app":null,"new":"x"}},"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"only"}]}}}}"#),
        ("strategic", #"{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"A","$patch":"delete"},{"name":"C","value":"3"}],"$setElementOrder/env":[{"name":"B"},{"name":"C"}]},{"name":"side","$patch":"replace","image":"z"}],"$setElementOrder/containers":[{"name":"side"},{"name":"main"}],"$retainKeys":["containers"],"$deleteFromPrimitiveList/args":["a"]}}}}"#),
    ]

    @Test(arguments: 0..<BodyFuzzTests.patches.count)
    func editedPatchesApplyOrFail(index: Int) {
        let (format, text) = Self.patches[index]
        var random = ByteMutator(seed: 0x7061_7463 + UInt64(index), telling: #"{}[]",:/~01-$"#)
        var applied = 0
        for bytes in random.variants(of: text, count: 2000) {
            guard let patch = try? JSONValue.parse(bytes) else { continue }
            let result: JSONValue?
            switch format {
            case "json": result = try? JSONPatch.apply(patch, to: Self.live)
            case "merge": result = MergePatch.apply(patch, to: Self.live)
            default: result = try? StrategicMergePatch.apply(patch, to: Self.live, meta: .of(.deployment))
            }
            if result != nil { applied += 1 }
        }
        // Not vacuous: many edited patches still parse and apply.
        #expect(applied > 20)
    }

    @Test func editedProtobufBodiesDecodeOrFail() {
        var random = ByteMutator(seed: 0x7072_6f74, telling: "\u{0a}\u{12}\u{1a}\u{22}\u{2a}\u{08}\u{80}\u{7f}")
        var decoded = 0
        for seed in [
            ProtobufTests.kubectlSecret, ProtobufTests.kubectlNamespace, ProtobufTests.kubectlDeployment,
            ProtobufTests.kubectlService, ProtobufTests.kubectlIngress,
        ] {
            for bytes in random.variants(of: seed, count: 3000) where (try? ProtobufBody.decode(bytes)) != nil {
                decoded += 1
            }
        }
        #expect(decoded > 300)
    }
}
