import Foundation

/// Durations the way kubectl prints ages: precise when short, coarser as they grow
/// (`45s`, `3m2s`, `12m`, `5h10m`, `20h`, `3d4h`, `30d`, `2y5d`).
public enum Age {
    /// The age of `timestamp` (RFC 3339) at `now`; `<unknown>` when missing or unreadable.
    public static func since(_ timestamp: String?, now: Date) -> String {
        guard let timestamp, let date = Timestamp.parse(timestamp) else { return "<unknown>" }
        return format(now.timeIntervalSince(date))
    }

    /// Formats a duration in seconds. A small negative skew (clock drift) prints as `0s`.
    public static func format(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.towardZero))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 {
            let s = seconds % 60
            return s == 0 ? "\(minutes)m" : "\(minutes)m\(s)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = seconds / 3600
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let years = hours / (24 * 365)
        if hours < 24 * 365 * 8 {
            let days = (hours / 24) % 365
            return days == 0 ? "\(years)y" : "\(years)y\(days)d"
        }
        return "\(years)y"
    }
}
