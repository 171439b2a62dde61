import Foundation
import Testing

@testable import KctlModel

/// Reading plain scalars by hand gives what Yams' regular-expression resolver gave: the same tag for
/// every string, and the same JSON for every document.
@Suite struct PlainScalarTagTests {
    /// A document's value, or the error reading it gives.
    struct Outcome: Equatable {
        var value: JSONValue?
        var error: String?
    }

    static func outcome(_ read: () throws -> JSONValue?) -> Outcome {
        do {
            return Outcome(value: try read())
        } catch {
            return Outcome(error: "\(error)")
        }
    }

    static func tag(_ text: String) -> String {
        PlainScalarTag.resolve(text)?.name ?? PlainScalarTag.resolverTag(of: text)
    }

    /// Scalars near the edges of every rule, with what each becomes in JSON (the old behaviour,
    /// YAML 1.1 quirks included: `yes` and `on` are bools to YAML but only true/false become JSON
    /// booleans, `012` is octal, timestamps stay strings).
    static let table: [(String, JSONValue)] = [
        ("yes", .string("yes")), ("on", .string("on")), ("No", .string("No")),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("tRUE", .string("tRUE")),
        ("false", .bool(false)), ("FALSE", .bool(false)),
        ("1e3", .double(1000)), ("1E3", .double(1000)), ("1e", .string("1e")), ("1.e5", .double(100000)),
        ("0x1F", .int(31)), ("0x", .string("0x")), ("0X1F", .string("0X1F")), ("-0x10", .int(-16)),
        ("1_000", .int(1000)), ("012", .int(10)), ("09", .double(9)), ("0o17", .int(15)), ("0b101", .int(5)),
        ("0", .int(0)), ("-0", .int(0)), ("+7", .int(7)), ("0_", .int(0)), ("1:30", .string("1:30")),
        (".5", .double(0.5)), ("-.5", .string("-.5")), ("1.", .double(1)), (".", .string(".")),
        (".inf", .string(".inf")), ("-.inf", .string("-.inf")), ("+.INF", .string("+.INF")), (".NaN", .string(".NaN")),
        (".Nan", .string(".Nan")), ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("nULL", .string("nULL")),
        ("2001-12-14", .string("2001-12-14")), ("2001-12-14t21:59:43.10-05:00", .string("2001-12-14t21:59:43.10-05:00")),
        ("<<", .string("<<")), ("=", .string("=")), ("+", .string("+")),
        ("1.5.6", .string("1.5.6")), ("v1", .string("v1")), ("100m", .string("100m")), ("8080", .int(8080)),
        ("12:345", .string("12:345")), ("190:20:30", .string("190:20:30")), ("1:30.5", .string("1:30.5")),
        ("9223372036854775808", .double(9223372036854775808)), ("1e400", .string("1e400")),
    ]

    @Test func trickyScalarsMatchTheResolver() throws {
        for (scalar, expected) in Self.table {
            let document = "a: \(scalar)\nb:\n- \(scalar)\n\(scalar): c\n"
            let read = Self.outcome { try Manifest.documentValue(document, lineOffset: 0) }
            let resolved = Self.outcome { try Manifest.resolvedDocumentValue(document, lineOffset: 0) }
            #expect(read == resolved, "\(scalar)")
            #expect(Self.tag(scalar) == PlainScalarTag.resolverTag(of: scalar), "\(scalar)")
            let value = try Manifest.plainDocumentValue("a: \(scalar)", lineOffset: 0)
            #expect(value == .object(["a": expected]), "\(scalar)")
        }
        // Quoted scalars are strings, explicit tags are honoured.
        for (document, expected) in [
            ("a: 'true'", JSONValue.string("true")), ("a: \"12\"", .string("12")), ("a: !!str 12", .string("12")),
            ("a: !!int '12'", .string("12")), ("a: !!int 12", .int(12)), ("a: !!float 12", .double(12)),
            ("a: ! 12", .string("12")), ("a: !!null ''", .string("")), ("a: !!bool yes", .string("yes")),
            ("a:", .null), ("a: |\n  true\n", .string("true\n")),
        ] {
            let plain = try Manifest.plainDocumentValue(document, lineOffset: 0)
            #expect(plain == .object(["a": expected]), "\(document)")
            #expect(plain == (try Manifest.resolvedDocumentValue(document, lineOffset: 0)), "\(document)")
        }
    }

    /// Short strings over the characters the rules read, every one up to three long, and random
    /// joins of the rules' pieces.
    @Test func tagsMatchTheResolverOnGeneratedStrings() {
        let alphabet = Array("019_.eE+-:xob tnNfTZ~<").map(String.init)
        var samples = [""]
        var previous = [""]
        for _ in 1...3 {
            previous = previous.flatMap { prefix in alphabet.map { prefix + $0 } }
            samples += previous
        }
        let pieces = [
            "0", "1", "7", "9", "5", "59", "60", "_", ".", "e", "E", "+", "-", ":", "x", "o", "b", "F", "inf", "Inf",
            "INF", "nan", "NaN", "NAN", "true", "yes", "No", "null", "~", "<<", "=", "2001", "-12", "-1", "-14", "T",
            "t", " ", "\t", "Z", "12:30:45", ".25", "-05", ":00", "\n", "é",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for _ in 0..<20_000 {
            samples.append((0...next(5)).map { _ in pieces[next(pieces.count)] }.joined())
        }
        var mismatches: [String] = []
        for sample in samples where Self.tag(sample) != PlainScalarTag.resolverTag(of: sample) {
            mismatches.append(sample)
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20).map { $0.debugDescription })")
    }

    @Test func everyManifestReadsAsBefore() throws {
        var documents = 0
        for url in ManifestFilesTests.manifestFiles where url.pathExtension != "json" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for chunk in Manifest.splitDocuments(text) {
                documents += 1
                let resolved = Self.outcome { try Manifest.resolvedDocumentValue(chunk.text, lineOffset: 0) }
                #expect(Self.outcome { try Manifest.documentValue(chunk.text, lineOffset: 0) } == resolved)
                if !chunk.text.contains("&") {
                    // The fast reading decided these itself.
                    #expect(Self.outcome { try Manifest.plainDocumentValue(chunk.text, lineOffset: 0) } == resolved)
                }
            }
        }
        #expect(documents > 20)
    }

    /// Where the fast reading steps aside, the document reads as it did, errors included.
    @Test func fallbacksReadAsBefore() {
        let documents = [
            "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n",
            "&k 1: a\nb: *k\n",
            "a: &v 12\n*v : b\n",
            "1: a\n\"1\": b\n",
            "true: a\n'true': b\n",
            "1: a\n!!int 1: b\n",
            "a: 1\na: 2\n",
            "a: [1, 2\n",
            "a: {b: 1}\n!!merge c: {d: 2}\n",
            "\"<<\": 1\n",
            "url: http://x/?a=1&b=2\nport: 80\n",
            "a: - b\n",
        ]
        for document in documents {
            #expect(
                Self.outcome { try Manifest.documentValue(document, lineOffset: 3) }
                    == Self.outcome { try Manifest.resolvedDocumentValue(document, lineOffset: 3) },
                "\(document)")
        }
    }
}
