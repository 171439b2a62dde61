import Foundation
import KctlModel

/// Text layouts shared by the verbs: aligned tables, names, JSON and YAML.
enum Printers {
    /// Aligns cells in columns separated by at least three spaces, like kubectl's tab writer.
    /// The last column is not padded.
    static func table(_ rows: [[String]], padding: Int = 3) -> [String] {
        let widths = columnWidths(rows)
        return rows.map { row(cells: $0, widths: widths, padding: padding) }
    }

    static func columnWidths(_ rows: [[String]]) -> [Int] {
        var widths: [Int] = []
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i >= widths.count { widths.append(0) }
                widths[i] = max(widths[i], cell.count)
            }
        }
        return widths
    }

    /// One line with the given column widths (grown in place when a cell is wider).
    static func row(cells: [String], widths: [Int], padding: Int = 3) -> String {
        var line = ""
        for (i, cell) in cells.enumerated() {
            if i == cells.count - 1 {
                line += cell
            } else {
                let width = i < widths.count ? widths[i] : cell.count
                line += cell + String(repeating: " ", count: max(width - cell.count, 0) + padding)
            }
        }
        return line
    }

    /// `deployment.apps/web`, `pod/web-1`: how kubectl names an object in `-o name` and in
    /// `created`/`configured` lines.
    static func qualifiedName(_ type: ResourceType, _ name: String) -> String {
        "\(type.groupSingular)/\(name)"
    }

    /// Pretty JSON with sorted keys.
    static func json(_ value: JSONValue) -> String { value.serializedString(pretty: true) }

    /// YAML of one document (ends with a newline).
    static func yaml(_ value: JSONValue) -> String {
        let text = Manifest.yaml(value)
        return text.hasSuffix("\n") ? text : text + "\n"
    }

    /// kubectl's `List` wrapper for several objects in `-o json|yaml`.
    static func list(_ items: [KubeObject]) -> JSONValue {
        ["apiVersion": "v1", "kind": "List", "metadata": ["resourceVersion": ""], "items": .array(items.map(\.value))]
    }
}

/// The table of one kind as `get` prints it: the kind's columns, plus NAMESPACE first with `-A`,
/// `kind/name` names when several kinds are printed, and LABELS with `--show-labels`.
struct TableLayout: Sendable {
    var type: ResourceType
    var wide: Bool
    var withNamespace: Bool
    var qualifyNames: Bool
    var showLabels: Bool
    var noHeaders = false

    func header() -> [String] {
        var names = ObjectTable.columns(for: type).filter { wide || $0.priority == 0 }.map(\.name)
        if withNamespace { names.insert("NAMESPACE", at: 0) }
        if showLabels { names.append("LABELS") }
        return names
    }

    func cells(_ object: KubeObject, now: Date) -> [String] {
        let columns = ObjectTable.columns(for: type)
        var cells = zip(columns, ObjectTable.cells(for: object, type: type, now: now))
            .filter { wide || $0.0.priority == 0 }
            .map { column, cell in
                column.name == "NAME" && qualifyNames ? Printers.qualifiedName(type, cell) : cell
            }
        if withNamespace { cells.insert(object.namespace ?? "", at: 0) }
        if showLabels { cells.append(ObjectTable.labelsText(object.labels)) }
        return cells
    }

    func render(_ objects: [KubeObject], now: Date) -> [String] {
        Array(Printers.table([header()] + objects.map { cells($0, now: now) }).dropFirst(noHeaders ? 1 : 0))
    }
}
