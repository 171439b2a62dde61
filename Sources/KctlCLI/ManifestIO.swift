import Foundation
import KctlModel
import Yams

/// One decoded document of a manifest file: the object, or why it could not be read.
struct ManifestDoc: Sendable {
    var source: String
    var object: KubeObject?
    var error: String?
}

/// Manifest decoding and YAML output for the CLI.
// TEMPORARY: a local stand-in until KctlModel's `Manifest.decode`/`Manifest.yaml` land; then
// these two functions forward to them.
enum ManifestIO {
    static func decode(_ text: String, source: String) -> [ManifestDoc] {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") {
            do {
                let value = try JSONValue.parse(trimmed)
                let values = value.arrayValue ?? [value]
                return values.enumerated().map { i, v in
                    document(v, source: values.count > 1 ? "\(source)[\(i)]" : source)
                }
            } catch {
                return [ManifestDoc(source: source, object: nil, error: "\(error)")]
            }
        }
        var docs: [ManifestDoc] = []
        var sequence: YamlSequence<Any>
        do {
            sequence = try Yams.load_all(yaml: text)
        } catch {
            return [ManifestDoc(source: source, object: nil, error: "invalid YAML: \(error)")]
        }
        var index = 0
        while let any = sequence.next() {
            index += 1
            let value = jsonValue(any)
            if value.isNull { continue }
            docs.append(document(value, source: "\(source)#\(index)"))
        }
        if let error = sequence.error {
            docs.append(ManifestDoc(source: "\(source)#\(index + 1)", object: nil, error: "invalid YAML: \(error)"))
        }
        return docs
    }

    private static func document(_ value: JSONValue, source: String) -> ManifestDoc {
        do {
            let object = try KubeObject(json: value)
            if object.kind.isEmpty || object.apiVersion.isEmpty {
                return ManifestDoc(source: source, object: nil, error: "apiVersion and kind are required")
            }
            return ManifestDoc(source: source, object: object, error: nil)
        } catch let error as StatusError {
            return ManifestDoc(source: source, object: nil, error: error.message)
        } catch {
            return ManifestDoc(source: source, object: nil, error: "\(error)")
        }
    }

    private static func jsonValue(_ any: Any) -> JSONValue {
        switch any {
        case let d as [String: Any]: return .object(d.mapValues(jsonValue))
        case let a as [Any]: return .array(a.map(jsonValue))
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        default: return .null
        }
    }

    static func yaml(_ value: JSONValue) -> String {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        return (try? encoder.encode(value)) ?? value.serializedString(pretty: true)
    }
}
