/// Durations as Go and Kubernetes write them (`500ms`, `1.5s`, `1m30s`): kctld's flags, the
/// back-off annotation, `kctl drain --timeout`, API fields such as a metric's `window`, and
/// messages that quote Kubernetes' own all read and write this one form.
public enum GoDuration {
    /// Parses a sequence of decimal numbers with units `ns`, `us` (or `µs`), `ms`, `s`, `m`, `h`:
    /// `500ms`, `10s`, `1.5s`, `1m30s`; `0` alone is zero. Nil when malformed or negative.
    public static func parse(_ text: String) -> Duration? {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty else { return nil }
        if text == "0" { return .zero }
        var total = Duration.zero
        var i = 0
        while i < scalars.count {
            var number = ""
            while i < scalars.count, ("0"..."9").contains(scalars[i]) || scalars[i] == "." {
                number.unicodeScalars.append(scalars[i])
                i += 1
            }
            var unit = ""
            while i < scalars.count, !("0"..."9").contains(scalars[i]), scalars[i] != "." {
                unit.unicodeScalars.append(scalars[i])
                i += 1
            }
            guard let value = Double(number), value.isFinite else { return nil }
            let nanosPerUnit: Double
            switch unit {
            case "ns": nanosPerUnit = 1
            case "us", "µs": nanosPerUnit = 1e3
            case "ms": nanosPerUnit = 1e6
            case "s": nanosPerUnit = 1e9
            case "m": nanosPerUnit = 60e9
            case "h": nanosPerUnit = 3600e9
            default: return nil
            }
            let nanos = (value * nanosPerUnit).rounded()
            guard nanos < 1e18 else { return nil }
            total += .nanoseconds(Int64(nanos))
        }
        return total
    }

    /// Go's `time.Duration.String()`: `0s`, `7ns`, `250µs`, `500ms`, `1.5s`, `1m30s`, `2h0m0s`.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        guard nanos != 0 else { return "0s" }
        let sign = nanos < 0 ? "-" : ""
        let total = nanos.magnitude
        func fraction(_ value: UInt64, _ unit: UInt64) -> String {
            let whole = value / unit
            var rest = String(value % unit)
            let digits = String(unit).count - 1
            rest = String(repeating: "0", count: digits - rest.count) + rest
            while rest.hasSuffix("0") { rest.removeLast() }
            return rest.isEmpty ? "\(whole)" : "\(whole).\(rest)"
        }
        if total < 1_000 { return "\(sign)\(total)ns" }
        if total < 1_000_000 { return "\(sign)\(fraction(total, 1_000))µs" }
        if total < 1_000_000_000 { return "\(sign)\(fraction(total, 1_000_000))ms" }
        let hours = total / 3_600_000_000_000
        let minutes = total / 60_000_000_000 % 60
        let secondsPart = fraction(total % 60_000_000_000, 1_000_000_000) + "s"
        if hours > 0 { return "\(sign)\(hours)h\(minutes)m\(secondsPart)" }
        if minutes > 0 { return "\(sign)\(minutes)m\(secondsPart)" }
        return sign + secondsPart
    }

    /// The shortest text that `parse` reads back as the same duration, to the millisecond:
    /// `0s`, `500ms`, `10s`, `1m30s`, `5m`, `2h`, `1m1.25s` (for settings a user wrote that way).
    public static func shortFormat(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let millis = attoseconds / 1_000_000_000_000_000
        if seconds == 0 && millis == 0 { return "0s" }
        if seconds == 0 { return "\(millis)ms" }
        var text = ""
        var rest = seconds
        if rest >= 3600 {
            text += "\(rest / 3600)h"
            rest %= 3600
        }
        if rest >= 60 {
            text += "\(rest / 60)m"
            rest %= 60
        }
        if millis != 0 {
            let fraction = String(1000 + millis).dropFirst().reversed().drop { $0 == "0" }.reversed()
            text += "\(rest).\(String(fraction))s"
        } else if rest != 0 {
            text += "\(rest)s"
        }
        return text
    }
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic and rates.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
