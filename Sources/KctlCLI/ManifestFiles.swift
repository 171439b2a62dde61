import Foundation
import KctlModel

/// Reads the documents behind `-f` arguments: a file, `-` for stdin, or a directory's
/// `.yaml`/`.yml`/`.json` files in name order (sub-directories too with `-R`), each decoded by
/// `Manifest.decode` (multi-document YAML, JSON, `kind: List`).
enum ManifestFiles {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    static func documents(paths: [String], recursive: Bool, io: CommandIO) throws -> [ManifestDocument] {
        guard !paths.isEmpty else { throw CLIError("must specify one of -f and -k") }
        var docs: [ManifestDocument] = []
        for path in paths {
            if path == "-" {
                docs += Manifest.decode(String(decoding: io.readInput(), as: UTF8.self), source: "STDIN")
                continue
            }
            for file in try files(at: path, recursive: recursive) {
                let text: String
                do {
                    text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: file)), as: UTF8.self)
                } catch {
                    throw CLIError("cannot read \(file): \(error.localizedDescription)")
                }
                docs += Manifest.decode(text, source: file)
            }
        }
        return docs
    }

    /// The files a path stands for, sorted; throws when it does not exist.
    static func files(at path: String, recursive: Bool) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("the path \"\(path)\" does not exist")
        }
        guard isDirectory.boolValue else { return [path] }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        var found: [String] = []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
            let full = (path as NSString).appendingPathComponent(entry)
            var entryIsDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &entryIsDirectory)
            if entryIsDirectory.boolValue {
                if recursive { found += try files(at: full, recursive: true) }
            } else if extensions.contains((entry as NSString).pathExtension.lowercased()) {
                found.append(full)
            }
        }
        return found
    }

    /// `error: <source>: <message>` for a document that could not be read.
    static func failureLine(_ doc: ManifestDocument) -> String {
        let message = doc.error ?? "unreadable document"
        return message.hasPrefix(doc.source) ? "error: \(message)" : "error: \(doc.source): \(message)"
    }

    /// The kind of a document's object, or an error naming what is missing.
    static func type(of object: KubeObject) throws -> ResourceType {
        guard let type = ResourceType.forObject(apiVersion: object.apiVersion, kind: object.kind) else {
            throw CLIError("no matches for kind \"\(object.kind)\" in version \"\(object.apiVersion)\"")
        }
        return type
    }
}
