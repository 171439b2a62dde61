import Foundation
import Testing

@testable import KctlModel

/// Decoding straight from `JSONValue` reads as `JSONDecoder` would, with exact error paths.
@Suite struct JSONValueDecodingTests {
    struct Fields: Codable, Equatable {
        var name: String?
        var count: Int?
        var ratio: Double?
        var flag: Bool?
        var free: JSONValue?
        var labels: [String: String]?
        var inner: [Inner]?
    }
    struct Inner: Codable, Equatable {
        var value: Int32
        var tags: [String: String] = [:]
    }

    static func paths(_ json: JSONValue) -> String? {
        do {
            _ = try json.decode(Fields.self)
            return nil
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
            let DecodingError.keyNotFound(_, context), let DecodingError.dataCorrupted(context)
        {
            return context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func absentAndNullOptionalsAreNil() throws {
        let empty = try JSONValue.object([:]).decode(Fields.self)
        #expect(empty == Fields())
        let nulls: JSONValue = ["name": nil, "count": nil, "ratio": nil, "flag": nil, "free": nil, "labels": nil, "inner": nil]
        #expect(try nulls.decode(Fields.self) == Fields())
    }

    @Test func presentValuesDecode() throws {
        let json: JSONValue = [
            "name": "a", "count": 3, "ratio": 2, "flag": true, "free": ["x": [1, "y"]], "labels": ["app": "web"],
            "inner": [["value": 7.0, "tags": ["t": "u"]]],
        ]
        let fields = try json.decode(Fields.self)
        #expect(fields.name == "a" && fields.count == 3 && fields.ratio == 2 && fields.flag == true)
        #expect(fields.free == ["x": [1, "y"]])
        #expect(fields.labels == ["app": "web"])
        #expect(fields.inner == [Inner(value: 7, tags: ["t": "u"])])
        #expect(try JSONValue(encoding: fields).decode(Fields.self) == fields)
    }

    @Test func wrongTypesNameTheirField() {
        #expect(Self.paths(["name": 1]) == "name")
        #expect(Self.paths(["count": "3"]) == "count")
        #expect(Self.paths(["count": 1.5]) == "count")
        #expect(Self.paths(["flag": "true"]) == "flag")
        #expect(Self.paths(["labels": ["app": 1]]) == "labels.app")
        #expect(Self.paths(["labels": ["app": nil]]) == "labels.app")
        #expect(Self.paths(["labels": ["app"]]) == "labels")
        #expect(Self.paths(["inner": [["value": 1, "tags": [:]], ["value": 3_000_000_000, "tags": [:]]]]) == "inner.[1].value")
        #expect(Self.paths(["inner": [["value": 1, "tags": ["a": false]]]]) == "inner.[0].tags.a")
        #expect(Self.paths(["inner": [["tags": [:]]]]) == "inner.[0]")
    }
}
