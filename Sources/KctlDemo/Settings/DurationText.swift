import Foundation

/// Reads the short durations the manifests use in env values: `500ms`, `3s`, `2m`, `1h`, or a
/// bare number of seconds (`1.5`).
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Double(trimmed)
        var scale = 1.0
        if number == nil, let (suffix, unitScale) = units.first(where: { trimmed.hasSuffix($0.0) }) {
            number = Double(trimmed.dropLast(suffix.count))
            scale = unitScale
        }
        guard let number, number >= 0, number.isFinite else { return nil }
        return .milliseconds(Int64((number * scale * 1000).rounded()))
    }
}
