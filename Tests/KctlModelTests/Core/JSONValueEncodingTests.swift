import Foundation
import Testing

@testable import KctlModel

/// `JSONValue(encoding:)` gives what `JSONEncoder` writes, parsed back, without the bytes.
@Suite struct JSONValueEncodingTests {
    static func viaBytes(_ value: some Encodable) throws -> JSONValue {
        try JSONValue.parse(JSONEncoder().encode(value))
    }

    static func expectSame(_ value: some Encodable, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let direct = try JSONValue(encoding: value)
        let bytes = try viaBytes(value)
        #expect(direct == bytes, sourceLocation: sourceLocation)
    }

    @Test func numbersMatchJSONEncoderText() throws {
        let doubles: [Double] = [
            0, -0.0, 1, -1, 0.5, 1e-7, 2.5e-300, 1e15, 9_007_199_254_740_992, 9_007_199_254_740_994, -9_007_199_254_740_992,
            9_999_999_999_999_998, 1e16, -1e16, 1e17, 1.2345678901234568e17, 3e18, 9.3e18, 1e20, 1e300,
            Double.greatestFiniteMagnitude, Double.leastNonzeroMagnitude, 123.456, -0.1,
        ]
        try Self.expectSame(doubles)
        for d in doubles { try Self.expectSame([d]) }
        try Self.expectSame([Float(0.1), 1, 1e10, 3.4e38, -2.5, 16_777_216, 16_777_218, -0.0])
        try Self.expectSame([Int64.min, Int64.max, 0])
        try Self.expectSame([UInt64.max, UInt64(Int64.max), UInt64(Int64.max) + 1])
        try Self.expectSame([Int8.min, Int8.max])
        try Self.expectSame([UInt8.max])
        try Self.expectSame(["i16": Int16.min])
        try Self.expectSame(["u": UInt.max])
    }

    @Test func nonFiniteNumbersThrowWithTheirPath() {
        struct Holder: Encodable { var values: [String: [Double]] }
        #expect(throws: EncodingError.self) { try JSONValue(encoding: Double.nan) }
        do {
            _ = try JSONValue(encoding: Holder(values: ["a": [1, .infinity]]))
            Issue.record("infinity encoded")
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["values", "a", "Index 1"])
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: EncodingError.self) { try JSONValue(encoding: JSONValue.array([.double(.nan)])) }
    }

    @Test func jsonValuesKeepTheirFormButDoublesAreNormalized() throws {
        let value: JSONValue = ["a": [1, 2.0, 2.5, "x", nil, true], "b": ["c": 1e20, "d": -0.0]]
        try Self.expectSame(value)
        #expect(try JSONValue(encoding: value)["a"]?.arrayValue?[1] == .int(2))
        let plain: JSONValue = ["a": [1, "x", nil, ["b": false]]]
        #expect(try JSONValue(encoding: plain) == plain)
    }

    struct Hand: Encodable {
        enum Keys: String, CodingKey { case explicitNil, nested, list, parent, empty, replaced }
        func encode(to encoder: any Encoder) throws {
            var keyed = encoder.container(keyedBy: Keys.self)
            try keyed.encodeNil(forKey: .explicitNil)
            var nested = keyed.nestedContainer(keyedBy: Keys.self, forKey: .nested)
            var list = keyed.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            var inner = list.nestedContainer(keyedBy: Keys.self)
            try list.encode("after")
            try inner.encode(true, forKey: .explicitNil)  // written after the list moved on
            var innerList = list.nestedUnkeyedContainer()
            try innerList.encode(2.0)
            try nested.encode("late", forKey: .list)  // written after its parent moved on
            let parent = keyed.superEncoder(forKey: .parent)
            var single = parent.singleValueContainer()
            try single.encode(UInt8(7))
            try keyed.encode(Empty(), forKey: .empty)
            _ = keyed.nestedContainer(keyedBy: Keys.self, forKey: .replaced)
            try keyed.encode("value wins", forKey: .replaced)
            let superEncoder = keyed.superEncoder()
            var superKeyed = superEncoder.container(keyedBy: Keys.self)
            try superKeyed.encode(Optional<Int>.none, forKey: .explicitNil)
        }
    }

    struct Empty: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test func containersMatchJSONEncoder() throws {
        try Self.expectSame(Hand())
        #expect(throws: EncodingError.self) { try JSONValue(encoding: Empty()) }
        try Self.expectSame([Empty()])
        try Self.expectSame([1: "one", 2: "two"])
        try Self.expectSame([Optional("a"), nil])
        try Self.expectSame(["data": Data([0, 1, 2, 255])])
        try Self.expectSame(["url": URL(string: "https://example.com/a?b=c")!])
        try Self.expectSame(["decimal": Decimal(string: "12.5")!])
        try Self.expectSame(["date": Date(timeIntervalSinceReferenceDate: 12.5)])
        try Self.expectSame(Set(["only"]))
    }

    /// Every typed object in the repository's manifests, admitted (defaults applied), encodes the same.
    @Test func everyManifestObjectMatchesJSONEncoder() throws {
        var checked = 0
        for url in ManifestFilesTests.manifestFiles {
            let text = try String(contentsOf: url, encoding: .utf8)
            for document in Manifest.decode(text, source: url.lastPathComponent) {
                guard let object = document.object, let type = ResourceType.all.first(where: { $0.kind == object.kind })
                else { continue }
                guard let kind = Admission.admissibleKind(type) else { continue }
                try checkSame(kind, object)
                checked += 1
            }
        }
        #expect(checked > 20)
    }

    private func checkSame<K: Admissible>(_ kind: K.Type, _ object: KubeObject) throws {
        var typed = try K(object)
        typed.applyDefaults()
        try Self.expectSame(typed)
    }
}
