import Foundation
import Testing

@testable import KctlModel

@Suite struct TimestampTests {
    /// What the formatter the parser replaced reads, for the inputs both accept. Foundation keeps
    /// only milliseconds of a fraction, so fractions are compared to the millisecond.
    static func foundation(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    @Test(arguments: [
        "2024-05-01T10:00:00Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T12:34:56Z",
        "2024-02-29T23:59:59Z", "2023-12-31T23:59:59Z", "2100-03-01T00:00:00Z", "1583-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z", "2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.123Z",
        "1969-12-31T23:59:59.250Z", "2024-05-01T10:00:00+02:00", "2024-05-01T10:00:00-07:30",
        "2024-05-01T10:00:00.25+05:45", "2024-05-01T00:30:00+01:00", "2024-05-01T10:00:00-00:00",
        "2024-05-01T10:00:00+23:59",
    ])
    func agreesWithFoundation(_ text: String) throws {
        let ours = try #require(Timestamp.parse(text))
        let theirs = try #require(Self.foundation(text))
        #expect(abs(ours.timeIntervalSince1970 - theirs.timeIntervalSince1970) < 0.001)
        if !text.contains(".") { #expect(ours == theirs) }
    }

    @Test func readsFormsFoundationDoesNot() throws {
        let utc = try #require(Timestamp.parse("2024-05-01T10:00:00Z"))
        #expect(Timestamp.parse("2024-05-01t10:00:00z") == utc)
        #expect(Timestamp.parse("2024-05-01T10:00:00.123456789Z")?.timeIntervalSince(utc) ?? 0 > 0.1234567)
        #expect(abs((Timestamp.parse("2024-05-01T10:00:00.123456789Z")?.timeIntervalSince(utc) ?? 0) - 0.123456789) < 1e-6)
        // Digits past nanoseconds are read and ignored.
        let long = try #require(Timestamp.parse("2024-05-01T10:00:00.1234567891234567Z"))
        #expect(abs(long.timeIntervalSince(utc) - 0.123456789) < 1e-6)
        #expect(Timestamp.parse("2024-05-01T10:00:00.000000000000000000000000Z") == utc)
        // The proleptic Gregorian calendar before 1582, as Go's (Foundation switches to Julian).
        #expect(Timestamp.parse("0001-01-01T00:00:00Z")?.timeIntervalSince1970 == -62_135_596_800)
    }

    @Test(arguments: [
        "", "2024-05-01", "2024-05-01T10:00:00", "2024-05-01T10:00Z", "2024-05-01 10:00:00Z",
        "2024-5-01T10:00:00Z", "2024-05-1T10:00:00Z", " 2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z ",
        "2024-05-01T10:00:00ZZ", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00,5Z", "2024-05-01T10:00:00+0200",
        "2024-05-01T10:00:00+02", "2024-05-01T10:00:00+02:00:00", "2024-05-01T10:00:00UTC", "2024/05/01T10:00:00Z",
        "2024-05-01T10-00-00Z", "+024-05-01T10:00:00Z", "2024-05-01T1a:00:00Z", "２０２４-05-01T10:00:00Z",
        // Out of range.
        "2024-00-01T10:00:00Z", "2024-13-01T10:00:00Z", "2024-05-00T10:00:00Z", "2024-05-32T10:00:00Z",
        "2024-04-31T10:00:00Z", "2023-02-29T10:00:00Z", "1900-02-29T10:00:00Z", "2024-02-30T10:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T23:60:00Z", "2024-05-01T23:59:60Z", "2024-05-01T10:00:00+24:00",
        "2024-05-01T10:00:00+00:60",
    ])
    func rejects(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test func formatsWholeSecondsUTC() {
        #expect(Timestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 1_714_557_600.9)) == "2024-05-01T10:00:00Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 951_825_599)) == "2000-02-29T11:59:59Z")
        #expect(Timestamp.format(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59Z")
    }

    /// Every third day from 1600 to 2400 (at a varying second) survives format then parse, and matches
    /// the C library's calendar.
    @Test func formatAndParseRoundTripOverCenturies() throws {
        var seconds: Int64 = -11_676_096_000  // 1600-01-01
        let end: Int64 = 13_574_563_200  // 2400-03-01
        var step: Int64 = 0
        while seconds < end {
            let instant = seconds + (step * 7_919) % 86_400
            let text = Timestamp.format(Date(timeIntervalSince1970: Double(instant)))
            var fields = tm()
            var t = time_t(instant)
            gmtime_r(&t, &fields)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(fields.tm_year) + 1900, Int(fields.tm_mon) + 1,
                Int(fields.tm_mday), Int(fields.tm_hour), Int(fields.tm_min), Int(fields.tm_sec))
            #expect(text == expected)
            #expect(Timestamp.parse(text) == Date(timeIntervalSince1970: Double(instant)))
            if text != expected { break }
            seconds += 3 * 86_400
            step += 1
        }
    }
}
