import Foundation
import Testing

@testable import KctlModel

@Suite struct ManifestTests {
    @Test func multiDocumentYAML() throws {
        let text = """
            # leading comment
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: one
            data:
              PORT: "8080"
              count: 3
              flag: "true"
              plain: yes
            ---
            # only a comment
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: two}
            spec:
              ports:
              - port: 80
                targetPort: http
            ...
            """
        let documents = Manifest.decode(text, source: "f.yaml")
        #expect(documents.count == 2)
        #expect(documents.allSatisfy { $0.error == nil })
        let first = try #require(documents.first?.object)
        #expect(first.json["data"]?["PORT"] == .string("8080"))
        #expect(first.json["data"]?["count"] == .int(3))
        #expect(first.json["data"]?["flag"] == .string("true"))
        #expect(first.json["data"]?["plain"] == .string("yes"))
        #expect(documents[0].source == "f.yaml, document 1")
        #expect(documents[0].line == 2)
        #expect(documents[1].source == "f.yaml, document 2")
        #expect(documents[1].object?.json["spec"]?["ports"]?.arrayValue?.first?["targetPort"] == "http")
    }

    @Test func scalarTypes() throws {
        let text = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: types
            values:
              int: 42
              negative: -7
              octal: 0644
              hex: 0x1F
              float: 1.5
              exp: 1e3
              null1: null
              null2: ~
              null3:
              bool: true
              Bool: False
              quoted: '42'
              double: "1.5"
              time: 2024-01-01T00:00:00Z
              sexagesimal: 1:30
              text: hello world
              multi: |
                line 1
                line 2
              anchors: &a {x: 1}
              alias: *a
              merged:
                <<: *a
                y: 2
            """
        let documents = Manifest.decode(text, source: "t.yaml")
        let values = try #require(documents.first?.object?.json["values"])
        #expect(values["int"] == .int(42))
        #expect(values["negative"] == .int(-7))
        #expect(values["octal"] == .int(420))
        #expect(values["hex"] == .int(31))
        #expect(values["float"] == .double(1.5))
        #expect(values["exp"] == .double(1000))
        #expect(values["null1"] == .null && values["null2"] == .null && values["null3"] == .null)
        #expect(values["bool"] == .bool(true) && values["Bool"] == .bool(false))
        #expect(values["quoted"] == .string("42"))
        #expect(values["double"] == .string("1.5"))
        #expect(values["time"] == .string("2024-01-01T00:00:00Z"))
        #expect(values["sexagesimal"] == .string("1:30"))
        #expect(values["text"] == .string("hello world"))
        #expect(values["multi"] == .string("line 1\nline 2\n"))
        #expect(values["alias"] == ["x": 1])
        #expect(values["merged"] == ["x": 1, "y": 2])
    }

    @Test func malformedYAMLNamesSourceAndLine() {
        let text = """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: good
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: bad
               oops: [unclosed
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: also-good
            """
        let documents = Manifest.decode(text, source: "Manifests/x.yaml")
        #expect(documents.count == 3)
        #expect(documents[0].object?.name == "good")
        #expect(documents[2].object?.name == "also-good")
        let error = documents[1].error ?? ""
        #expect(error.hasPrefix("Manifests/x.yaml, document 2: invalid YAML: line 10"), "\(error)")
        #expect(documents[1].object == nil)
    }

    @Test func missingFieldsAndUnknownKinds() {
        let text = """
            kind: ConfigMap
            metadata: {name: a}
            ---
            apiVersion: v1
            metadata: {name: b}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {labels: {a: b}}
            ---
            apiVersion: v1
            kind: Foo
            metadata: {name: d}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {generateName: e-}
            ---
            - just
            - a list
            """
        let documents = Manifest.decode(text, source: "m.yaml")
        #expect(documents.count == 7)
        #expect(documents[0].error == "m.yaml, document 1: apiVersion not set")
        #expect(documents[1].error == "m.yaml, document 2: kind not set")
        #expect(documents[2].error?.contains("metadata.name not set") == true)
        #expect(documents[3].error == #"m.yaml, document 4: no kind "Foo" is registered for version "v1""#)
        #expect(documents[4].object != nil)
        #expect(documents[5].error?.contains("document 6, item 1") == true)
    }

    @Test func jsonAndLists() throws {
        let single = Manifest.decode(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"n"}}"#, source: "n.json")
        #expect(single.count == 1 && single[0].object?.name == "n")
        let list = Manifest.decode(
            #"""
            {"apiVersion":"v1","kind":"List","items":[
              {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}},
              {"apiVersion":"v1","kind":"Namespace"}]}
            """#, source: "l.json")
        #expect(list.count == 2)
        #expect(list[0].object?.name == "a")
        #expect(list[1].error?.hasPrefix("l.json, document 1, item 2:") == true)
        let yamlList = Manifest.decode(
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: x}
            """, source: "l.yaml")
        #expect(yamlList.map { $0.object?.name } == ["x"])
    }

    @Test func emptyInputHasNoDocuments() {
        #expect(Manifest.decode("", source: "e.yaml").isEmpty)
        #expect(Manifest.decode("---\n# nothing\n---\n", source: "e.yaml").isEmpty)
        #expect(Manifest.decode("~\n", source: "e.yaml").isEmpty)
    }

    @Test func yamlRendering() throws {
        let value: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": "c", "labels": ["app": "chat"], "annotations": [:]],
            "data": [
                "port": "8080", "flag": "true", "empty": "", "colon": "a: b", "yes": "yes", "float": "1.5",
                "multi": "line1\nline2\n", "nolf": "a\nb", "quote": "say \"hi\"", "dash": "-x", "time": "12:30",
                "version": "1.0", "cpu": "100m", "path": "/metrics", "unicode": "héllo",
            ],
            "list": [["name": "a", "ports": [["containerPort": 80]]], "plain", 3, [1, 2], [:]],
            "number": 3, "ratio": 0.5, "on": true, "nothing": .null,
        ]
        let text = Manifest.yaml(value)
        #expect(text.contains("  port: \"8080\"\n"))
        #expect(text.contains("  flag: \"true\"\n"))
        #expect(text.contains("  empty: \"\"\n"))
        #expect(text.contains("  colon: \"a: b\"\n"))
        #expect(text.contains("  cpu: 100m\n"))
        #expect(text.contains("  path: /metrics\n"))
        #expect(text.contains("  multi: |\n    line1\n    line2\n"))
        #expect(text.contains("list:\n- name: a\n  ports:\n  - containerPort: 80\n- plain\n- 3\n-\n  - 1\n  - 2\n- {}\n"))
        #expect(text.contains("  annotations: {}\n"))
        #expect(text.hasPrefix("apiVersion: v1\n"))
        // Re-reading gives the same value.
        let documents = Manifest.decode(text, source: "round-trip")
        #expect(documents.first?.object?.value == value)
    }

    @Test func yamlRoundTripsJSONEdgeCases() throws {
        let value: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "edge"],
            "data": [
                "tab": "a\tb", "trailing": "x ", "cr": "a\r\nb", "control": "\u{1}", "hash": "a #b", "star": "*x",
                "null": "null", "tilde": "~", "exp": "1e3", "hex": "0x10", "octal": "0644", "neg": "-1",
                "doc": "---", "key: x": "v", "emoji": "🚀", "two\n\n": "x\n\n",
            ],
        ]
        let documents = Manifest.decode(Manifest.yaml(value), source: "edge")
        #expect(documents.first?.error == nil)
        #expect(documents.first?.object?.value == value)
    }
}
