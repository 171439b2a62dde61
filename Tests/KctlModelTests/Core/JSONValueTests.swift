import Foundation
import Testing

@testable import KctlModel

@Suite struct JSONValueTests {
    @Test func parsesAndSerializesWithSortedKeys() throws {
        let value = try JSONValue.parse(#" { "b": [1, 2.5, true, null], "a": {"z": "x", "y": -3} } "#)
        #expect(value["a"]?["y"] == .int(-3))
        #expect(value["b"]?.arrayValue?[1] == .double(2.5))
        #expect(value.serializedString() == #"{"a":{"y":-3,"z":"x"},"b":[1,2.5,true,null]}"#)
        #expect(try JSONValue.parse(value.serializedString()) == value)
        #expect(try JSONValue.parse(value.serializedString(pretty: true)) == value)
    }

    @Test func integersAreWrittenAsTheirDecimalText() throws {
        for value: Int64 in [0, 1, -1, 9, 10, -10, 99, 100, 1_234_567_890, .max, .min, .max - 1, .min + 1] {
            #expect(JSONValue.int(value).serializedString() == String(value))
            #expect(try JSONValue.parse(JSONValue.int(value).serializedString()) == .int(value))
        }
        #expect(JSONValue.double(-42).serializedString() == "-42")
        #expect(JSONValue.array([1, -2, ["a": 30]]).serializedString() == #"[1,-2,{"a":30}]"#)
    }

    @Test func escapesRoundTrip() throws {
        let text = "quote \" backslash \\ slash / newline \n tab \t cr \r control \u{1} \u{1F}"
        let value = JSONValue.string(text)
        let serialized = value.serializedString()
        #expect(serialized.contains(#"\""#) && serialized.contains(#"\\"#) && serialized.contains(#"\n"#))
        #expect(serialized.contains(#"\u0001"#))
        #expect(try JSONValue.parse(serialized) == value)
        #expect(try JSONValue.parse(#""\/\b\f""#) == .string("/\u{8}\u{C}"))
    }

    /// The exact bytes: every escape, text without any, non-ASCII text and keys (sorted as
    /// Strings compare), one-member and nested objects, pretty or compact.
    @Test func serializesExactly() throws {
        let escapes = JSONValue.string("a\"b\\c\nd\re\tf\u{0}\u{1F}g/é").serializedString()
        #expect(escapes == #""a\"b\\c\nd\re\tf\u0000\u001fg/é""#)
        #expect(JSONValue.string("").serializedString() == "\"\"")
        #expect(JSONValue.string("plain text").serializedString() == #""plain text""#)
        #expect(JSONValue.string("\"").serializedString() == #""\"""#)
        let document = String(repeating: #"{"node":"n-1 285 88","why":"a\b"}"#, count: 50)
        let escaped = String(repeating: #"{\"node\":\"n-1 285 88\",\"why\":\"a\\b\"}"#, count: 50)
        #expect(JSONValue.object(["kept": .string(document)]).serializedString() == #"{"kept":""# + escaped + #""}"#)
        let keys: JSONValue = ["z": 1, "é": 2, "a": ["only": true], "B": [:], "ab": [["x": 1, "w": 2]]]
        #expect(keys.serializedString() == #"{"B":{},"a":{"only":true},"ab":[{"w":2,"x":1}],"z":1,"é":2}"#)
        #expect(
            keys.serializedString(pretty: true)
                == "{\n  \"B\": {},\n  \"a\": {\n    \"only\": true\n  },\n  \"ab\": [\n    {\n      \"w\": 2,\n"
                + "      \"x\": 1\n    }\n  ],\n  \"z\": 1,\n  \"é\": 2\n}")
        var many: [String: JSONValue] = [:]
        for i in 0..<300 { many["k\(i)"] = .int(Int64(i)) }
        let sorted = many.keys.sorted().map { "\"\($0)\":\(many[$0]!.intValue!)" }.joined(separator: ",")
        #expect(JSONValue.object(many).serializedString() == "{" + sorted + "}")
    }

    /// The byte-array writers give what the serializer gives.
    @Test func byteArrayWritersMatchTheSerializer() {
        for text in ["", "plain", "a\"b\\c\nd\re\tf\u{0}\u{1F}g/é", "x\u{7}y"] {
            var out: [UInt8] = []
            JSONValue.appendQuoted(text, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == JSONValue.string(text).serializedString())
        }
        for number in [0, 7, 10, 99, 100, 999, 1000, 123_456_789, -1, -1000, Int.max, Int.min + 1] {
            var out: [UInt8] = []
            out.appendDecimal(number)
            #expect(String(decoding: out, as: UTF8.self) == String(number))
            #expect(JSONValue.int(Int64(number)).serializedString() == String(number))
        }
    }

    @Test func unicodeRoundTrips() throws {
        let value: JSONValue = ["name": "héllo wörld 日本 🚀"]
        #expect(try JSONValue.parse(value.serializedString()) == value)
        #expect(try JSONValue.parse(#""\u00e9\u65e5\ud83d\ude80""#) == .string("é日🚀"))
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ud83d""#) }
    }

    @Test func numbers() throws {
        #expect(try JSONValue.parse("9223372036854775807") == .int(Int64.max))
        #expect(try JSONValue.parse("-9223372036854775808") == .int(Int64.min))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try JSONValue.parse("1e3") == .double(1000))
        #expect(try JSONValue.parse("-0.25") == .double(-0.25))
        #expect(JSONValue.double(3).serializedString() == "3")
        #expect(JSONValue.double(0.1).serializedString() == "0.1")
        #expect(try JSONValue.parse(JSONValue.double(1.0e-7).serializedString()) == .double(1.0e-7))
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"unterminated", "01x", "{} extra", "-", "\"\u{1}\""])
    func rejectsInvalid(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func decodesTypesWithExactPaths() throws {
        struct Inner: Codable, Equatable { var n: Int32; var tags: [String]? }
        struct Outer: Codable, Equatable { var items: [Inner]; var extra: JSONValue? }
        let value: JSONValue = ["items": [["n": 1], ["n": 2, "tags": ["a"]]], "extra": ["free": [1, "x"]]]
        let decoded = try value.decode(Outer.self)
        #expect(decoded.items[1].tags == ["a"])
        #expect(decoded.extra == ["free": [1, "x"]])
        #expect(try JSONValue(encoding: decoded) == value)
        do {
            _ = try (["items": [["n": 1], ["n": 1.5]]] as JSONValue).decode(Outer.self)
            Issue.record("expected an error")
        } catch DecodingError.typeMismatch(_, let context) {
            #expect(DecodingFailure.fieldPath(context.codingPath) == "items[1].n")
        }
        do {
            _ = try (["items": [["n": 3_000_000_000]]] as JSONValue).decode(Outer.self)
            Issue.record("expected an error")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(DecodingFailure.fieldPath(context.codingPath) == "items[0].n")
        }
    }

    @Test func kubeObjectAccessors() throws {
        var object = try KubeObject(data: Array(#"{"metadata":{"name":"a","namespace":"ns","labels":{"x":"y"}}}"#.utf8))
        #expect(object.key == "ns/a")
        #expect(object.labels == ["x": "y"])
        object.labels = [:]
        #expect(object.metadata["labels"] == nil)
        #expect(throws: StatusError.self) { try KubeObject(data: Array("[1]".utf8)) }
    }
}
