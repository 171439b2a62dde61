import Foundation
import KctlTestSupport
import Testing

@testable import KctlModel

/// The hand-written parsers that read what clients send, on randomly edited input: a trap in
/// any of them is kctld down (or `kctl` dead) on one bad request or file. Each must answer with a
/// value or an error; what it accepts must come back the same when written out and read again.
@Suite struct ParserFuzzTests {
    static let deployment = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default",\
        "labels":{"app":"web"},"annotations":{"note":"caf\\u00e9 \\ud83d\\ude00 \\"quoted\\"\\n"}},\
        "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},\
        "spec":{"containers":[{"name":"main","command":["sleep","3600"],"env":[{"name":"A","value":"1.5e3"}],\
        "resources":{"requests":{"cpu":"250m","memory":"64Mi"},"limits":{"cpu":1.5,"memory":"1Gi"}},\
        "ports":[{"containerPort":8080,"protocol":"TCP"}]}],"terminationGracePeriodSeconds":30,\
        "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]}},\
        "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":0}}}}
        """

    static let values = """
        [0,-0,1.5,-2.25e-3,1E+300,12345678901234567890,-9223372036854775808,9223372036854775807,\
        "\\u0000\\b\\f\\n\\r\\t\\/\\\\","\\ud800\\udc00",true,false,null,[[]],{"":{}}]
        """

    @Test func jsonFromEditedDocumentsParsesOrFailsAndRoundTrips() throws {
        var random = ByteMutator(seed: 0x6a73_6f6e, telling: "{}[]\",:\\u0123456789eE+-.tfn ")
        var parsed = 0
        var admitted = 0
        for (index, seed) in [Self.deployment, Self.values].enumerated() {
            for bytes in random.variants(of: seed, count: 3000) {
                guard let value = try? JSONValue.parse(bytes) else { continue }
                parsed += 1
                // Written out and read again, it is the same value (a number may change between
                // integer and floating point, as in Go), and written out again the same bytes.
                let written = value.serialized()
                let again = try JSONValue.parse(written)
                #expect(Self.same(again, value), "\(Self.firstDifference(value, again))")
                #expect(again.serialized() == written)
                // Admission takes anything that parses to an object: a verdict, never a trap.
                if index == 0, let object = try? KubeObject(data: bytes),
                    (try? Admission.admit(object, as: .deployment)) != nil
                {
                    admitted += 1
                }
            }
        }
        // The edits are small: many documents stay valid JSON, and some still admissible.
        #expect(parsed > 1000)
        #expect(admitted > 30)
    }

    @Test(arguments: ["0", "-0", "1.5", "-2.25e-3", "1E+300", "12345678901234567890", "1e-400"])
    func numbersInJSONGrammarParse(text: String) throws {
        let value = try JSONValue.parse(text)
        #expect(Self.same(try JSONValue.parse(value.serialized()), value))
    }

    /// Numbers JSON does not have (a leading zero, a bare point or exponent), and ones too large
    /// for a double: refused, not read as something else. Infinity was once read and then stored
    /// as null.
    @Test(arguments: ["01", "-01", "1.", "1.e3", "1e", "1e+", "-", "--1", "1e400", "-1e400", "1" + String(repeating: "0", count: 400)])
    func numbersOutsideJSONGrammarOrRangeAreRefused(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{\"n\":\(text)}") }
    }

    /// Equal, counting an integer and a double of the same value as the same number.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let i), .double(let d)), (.double(let d), .int(let i)): return Double(i) == d
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { same(value, $0) } ?? false }
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default: return a == b
        }
    }

    /// Where two values first differ, for the failure message.
    static func firstDifference(_ a: JSONValue, _ b: JSONValue, path: String = "") -> String {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for key in Set(x.keys).union(y.keys).sorted() where x[key] != y[key] {
                guard let l = x[key], let r = y[key] else { return "\(path).\(key): \(String(describing: x[key])) vs \(String(describing: y[key]))" }
                return firstDifference(l, r, path: "\(path).\(key)")
            }
        case (.array(let x), .array(let y)) where x.count == y.count:
            for (i, (l, r)) in zip(x, y).enumerated() where l != r { return firstDifference(l, r, path: "\(path)[\(i)]") }
        default: break
        }
        return "\(path): \(a) vs \(b)"
    }

    @Test func valuesFromEditedTextParseOrFail() {
        var random = ByteMutator(seed: 0x7661_6c75, telling: "0123456789.:-+TZmunkMGKiEe()!=,hs ")
        func each(_ seeds: [String], _ body: (String) -> Void) {
            for seed in seeds {
                for bytes in random.variants(of: seed, count: 1500) { body(String(decoding: bytes, as: UTF8.self)) }
            }
        }
        each(["2026-11-29T17:25:10.123456789Z", "2026-11-29T17:25:10+05:30", "1999-12-31T23:59:60Z"]) { text in
            // A time read back from what it formats is the same time.
            if let date = Timestamp.parse(text) { #expect(Timestamp.parse(Timestamp.format(date)) != nil) }
        }
        each(["250m", "16Mi", "1.5Gi", "1e3", "-2k", "0.001", "123456789012345678901234567890Ei"]) { text in
            // A quantity that parses reads back to itself from its canonical text.
            if let quantity = try? Quantity(text) { #expect((try? Quantity(quantity.description)) == quantity, "\(text)") }
        }
        each(["1h30m", "1.5s", "-300ms", "2h45m30.5s", "9223372036854775807ns"]) { text in _ = GoDuration.parse(text) }
        each(["app=web,tier in (a,b),!legacy,env notin (dev),x!=y,z"]) { text in _ = try? LabelSelector.parse(text) }
        each(["metadata.name=web,spec.nodeName!=node-1,status.phase==Running"]) { text in _ = try? FieldSelector.parse(text) }
    }

    @Test func manifestsFromEditedYAMLDecodeToObjectsOrErrors() {
        let manifest = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              labels: {app: web, "quoted key": 'single ''quoted'''}
            spec:
              replicas: 0x10
              selector:
                matchLabels:
                  app: web
              template:
                metadata:
                  labels:
                    app: web
                spec:
                  containers:
                  - name: main
                    command: [sleep, "3600"]
                    args:
                    - |
                      a literal
                      block
                    - >-
                      folded
                    env:
                    - {name: ON, value: "yes"}
                    - name: WHEN
                      value: 2026-11-29
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cm}
            data:
              n: ~
              f: .5
            """
        var random = ByteMutator(seed: 0x7961_6d6c, telling: "-:{}[],'\"|>#&*!? \n\t.0123456789~")
        var objects = 0
        for bytes in random.variants(of: manifest, count: 1500) {
            for document in Manifest.decode(String(decoding: bytes, as: UTF8.self), source: "fuzz.yaml") {
                // Every document is an object or an error, never both and never neither.
                #expect((document.object == nil) != (document.error == nil))
                if document.object != nil { objects += 1 }
            }
        }
        #expect(objects > 500)
    }
}
