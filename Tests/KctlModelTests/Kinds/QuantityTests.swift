import Foundation
import Testing

@testable import KctlModel

@Suite struct QuantityTests {
    @Test(arguments: [
        ("250m", Int64(250), Int64(1)),
        ("1.5", 1500, 2),
        ("2", 2000, 2),
        ("0", 0, 0),
        ("0.1", 100, 1),
        ("100n", 1, 1),
        ("1u", 1, 1),
        ("1500u", 2, 1),
        ("128Mi", 134_217_728_000, 134_217_728),
        ("1Gi", 1_073_741_824_000, 1_073_741_824),
        ("1.5Gi", 1_610_612_736_000, 1_610_612_736),
        ("1G", 1_000_000_000_000, 1_000_000_000),
        ("500k", 500_000_000, 500_000),
        ("1e3", 1_000_000, 1000),
        ("1E3", 1_000_000, 1000),
        ("1e-3", 1, 1),
        ("2.5e+2", 250_000, 250),
        ("+7", 7000, 7),
        ("-250m", -250, -1),
        (".5", 500, 1),
        ("1Ki", 1_024_000, 1024),
        ("4Ti", 4_398_046_511_104_000, 4_398_046_511_104),
        ("1Pi", 1_125_899_906_842_624_000, 1_125_899_906_842_624),
        ("3M", 3_000_000_000, 3_000_000),
        ("1T", 1_000_000_000_000_000, 1_000_000_000_000),
        ("0.000000001", 1, 1),
    ])
    func parsesExactly(text: String, milli: Int64, value: Int64) throws {
        let q = try Quantity(text)
        #expect(q.milliValue == milli, "milliValue of \(text)")
        #expect(q.value == value, "value of \(text)")
        #expect(q.string == text)
    }

    @Test func largeBinaryQuantitiesAreExact() throws {
        let ei = try Quantity("1Ei")
        #expect(ei.value == 1 << 60)
        #expect(ei.milliValue == Int64.max)  // saturates
        let big = try Quantity("1.5Ei")
        #expect(big.value == (1 << 60) + (1 << 59))
        #expect(try Quantity("8Ei").value == Int64.max)
    }

    @Test func tinyAmountsRoundUpToNano() throws {
        let q = try Quantity("1e-12")
        #expect(q.nanoValue == 1)
        #expect(q.milliValue == 1)
        #expect(try Quantity("0.0000000015").nanoValue == 2)
        #expect(try Quantity("0n").isZero)
    }

    @Test func noFloatingPointError() throws {
        // 0.1 + 0.2 is exactly 0.3 here.
        let sum = try Quantity("0.1") + Quantity("0.2")
        #expect(sum == (try Quantity("300m")))
        #expect(sum.canonicalString == "300m")
        #expect(try Quantity("1.1").milliValue == 1100)
        #expect(try Quantity("0.3").nanoValue == 300_000_000)
    }

    @Test func comparisonIsByAmount() throws {
        #expect(try Quantity("1") == Quantity("1000m"))
        #expect(try Quantity("1k") == Quantity("1e3"))
        #expect(try Quantity("1Ki") > Quantity("1k"))
        #expect(try Quantity("-1") < Quantity("0"))
        #expect(try Quantity("-2") < Quantity("-1"))
        #expect(try Quantity("-0") == Quantity("0"))
        #expect(try Set([Quantity("1"), Quantity("1000m")]).count == 1)
        #expect(try [Quantity("2"), Quantity("500m"), Quantity("1Gi")].sorted().map(\.string) == ["500m", "2", "1Gi"])
    }

    @Test func arithmeticAndCanonical() throws {
        #expect((try Quantity("1") - Quantity("250m")).canonicalString == "750m")
        #expect((try Quantity("250m") - Quantity("1")).canonicalString == "-750m")
        #expect(Quantity(milli: 1500).string == "1500m")
        #expect(Quantity(milli: 2000).string == "2")
        #expect(Quantity(value: -3).string == "-3")
        #expect(try Quantity("100n").canonicalString == "100n")
        #expect(try Quantity("1Ei").canonicalString == "1152921504606846976")
    }

    @Test func doubleApproximation() throws {
        #expect(try Quantity("250m").doubleValue == 0.25)
        #expect(try Quantity("1Gi").doubleValue == 1_073_741_824)
        #expect(try Quantity("-1.5").doubleValue == -1.5)
    }

    @Test(arguments: [
        "", "abc", "1.2.3", "1KI", "1K", "1ki", "m", "-", "1 Gi", "1Gib", "1e", "1e+", "1ee3", "Gi", "1.5x",
        "1e99999", "99999999999999999999999999999999999999999",
    ])
    func rejectsInvalid(text: String) {
        #expect(throws: QuantityError.self) { try Quantity(text) }
    }

    @Test func errorMessageNamesText() {
        do {
            _ = try Quantity("12 apples")
            Issue.record("expected an error")
        } catch let error as QuantityError {
            #expect(error.description.contains("\"12 apples\""))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func codableKeepsTextAndAcceptsNumbers() throws {
        struct Holder: Codable { var q: Quantity }
        let decoded = try JSONDecoder().decode(Holder.self, from: Data(#"{"q":"1000m"}"#.utf8))
        #expect(decoded.q.string == "1000m")
        let encoded = String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self)
        #expect(encoded == #"{"q":"1000m"}"#)
        let fromInt = try JSONDecoder().decode(Holder.self, from: Data(#"{"q":2}"#.utf8))
        #expect(fromInt.q.value == 2 && fromInt.q.string == "2")
        let fromDouble = try JSONDecoder().decode(Holder.self, from: Data(#"{"q":0.5}"#.utf8))
        #expect(fromDouble.q.milliValue == 500)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"q":"lots"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Holder.self, from: Data(#"{"q":true}"#.utf8))
        }
    }
}
