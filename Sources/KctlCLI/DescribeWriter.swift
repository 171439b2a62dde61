/// Builds kubectl-style `describe` text: `Key:  value` lines whose values line up within each run
/// of consecutive pairs (like kubectl's tab writer), plain lines, and small tables.
struct DescribeWriter {
    private enum Line {
        case pair(indent: Int, key: String, value: String)
        case text(indent: Int, String)
    }

    private var lines: [Line] = []

    /// `Key:  value`; an empty value prints as `<none>`.
    mutating func pair(_ key: String, _ value: String, indent: Int = 0) {
        lines.append(.pair(indent: indent, key: key, value: value.isEmpty ? "<none>" : value))
    }

    /// `Key:  first` followed by aligned continuation lines; no values prints `<none>`.
    mutating func pair(_ key: String, values: [String], indent: Int = 0) {
        guard let first = values.first else { return pair(key, "<none>", indent: indent) }
        lines.append(.pair(indent: indent, key: key, value: first))
        for value in values.dropFirst() { lines.append(.pair(indent: indent, key: "", value: value)) }
    }

    /// A line with no value column (a section title such as `Containers:`).
    mutating func text(_ text: String, indent: Int = 0) { lines.append(.text(indent: indent, text)) }

    /// A table with a dashed rule under the header, as in `Events:` and `Conditions:`.
    mutating func table(_ header: [String], _ rows: [[String]], indent: Int = 2) {
        let rule = header.map { String(repeating: "-", count: $0.count) }
        for line in Printers.table([header, rule] + rows, padding: 2) { text(line, indent: indent) }
    }

    func render() -> String {
        var out: [String] = []
        var i = 0
        while i < lines.count {
            guard case .pair = lines[i] else {
                if case .text(let indent, let text) = lines[i] { out.append(String(repeating: " ", count: indent) + text) }
                i += 1
                continue
            }
            var end = i
            var width = 0
            while end < lines.count, case .pair(let indent, let key, _) = lines[end] {
                if !key.isEmpty { width = max(width, indent + key.count + 1) }
                end += 1
            }
            for line in lines[i..<end] {
                guard case .pair(let indent, let key, let value) = line else { continue }
                let head = key.isEmpty ? String(repeating: " ", count: indent) : String(repeating: " ", count: indent) + key + ":"
                out.append(head + String(repeating: " ", count: width + 2 - head.count) + value)
            }
            i = end
        }
        return out.joined(separator: "\n") + "\n"
    }
}
