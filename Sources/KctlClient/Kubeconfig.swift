import Foundation
import KctlModel

/// The kubeconfig file kctld writes on start so that `kctl` (and real kubectl, with
/// `KUBECONFIG=~/.kctl/config`) finds the server: one cluster, one user, one context, all `kctl`.
///
/// Reading understands what kubeconfig writers emit: block-style YAML (or JSON) with maps, lists,
/// plain and quoted scalars and empty `{}`/`[]`. It does not implement anchors, multi-line
/// scalars or non-empty flow collections; no kubeconfig field this client reads needs them.
public struct Kubeconfig: Sendable, Hashable {
    public struct Context: Sendable, Hashable {
        public var cluster: String
        public var namespace: String?
    }

    /// Cluster name -> server URL.
    public var clusters: [String: String]
    /// Context name -> its cluster and namespace.
    public var contexts: [String: Context]
    public var currentContext: String?

    public init(clusters: [String: String], contexts: [String: Context], currentContext: String?) {
        self.clusters = clusters
        self.contexts = contexts
        self.currentContext = currentContext
    }

    /// The server of the current context's cluster; without a current context, the only cluster's.
    public var server: String? {
        if let currentContext, let context = contexts[currentContext] { return clusters[context.cluster] }
        if currentContext == nil, clusters.count == 1 { return clusters.values.first }
        return nil
    }

    /// The current context's namespace, when it names one.
    public var namespace: String? {
        currentContext.flatMap { contexts[$0]?.namespace }
    }

    /// The default location: `$KCTL_CONFIG`, else `~/.kctl/config`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment["KCTL_CONFIG"], !path.isEmpty { return path }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return (home as NSString).appendingPathComponent(".kctl/config")
    }

    /// The file's text for one server.
    public static func render(server: String) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: kctl
          cluster:
            server: \(server)
        contexts:
        - name: kctl
          context:
            cluster: kctl
            user: kctl
        current-context: kctl
        preferences: {}
        users:
        - name: kctl
          user: {}

        """
    }

    /// Writes the kubeconfig for `server` to `path` atomically (mode 0600), creating the directory.
    public static func write(server: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try Data(render(server: server).utf8).write(to: temporary)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: temporary.path)
        if rename(temporary.path, url.path) != 0 {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw StatusError.badRequest("cannot write \(path): \(String(cString: strerror(code)))")
        }
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws -> Kubeconfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw StatusError.badRequest("cannot read kubeconfig \(path): \(error.localizedDescription)")
        }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch let error as StatusError {
            throw StatusError.badRequest("invalid kubeconfig \(path): \(error.message)")
        }
    }

    /// Parses kubeconfig text (YAML or JSON).
    public static func parse(_ text: String) throws -> Kubeconfig {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let document: JSONValue
        if trimmed.hasPrefix("{") {
            do { document = try JSONValue.parse(trimmed) } catch { throw StatusError.badRequest("\(error)") }
        } else {
            document = try SimpleYAML.parse(text)
        }
        guard document.objectValue != nil else { throw StatusError.badRequest("expected a mapping at the top level") }
        var clusters: [String: String] = [:]
        for entry in document["clusters"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, let server = entry["cluster"]?["server"]?.stringValue {
                clusters[name] = server
            }
        }
        var contexts: [String: Context] = [:]
        for entry in document["contexts"]?.arrayValue ?? [] {
            if let name = entry["name"]?.stringValue, let cluster = entry["context"]?["cluster"]?.stringValue {
                contexts[name] = Context(cluster: cluster, namespace: entry["context"]?["namespace"]?.stringValue)
            }
        }
        let current = document["current-context"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        return Kubeconfig(clusters: clusters, contexts: contexts, currentContext: current)
    }
}

/// The block-style YAML subset kubeconfig files use, read into `JSONValue`.
enum SimpleYAML {
    private struct Line {
        var indent: Int
        var text: Substring
        var number: Int
    }

    static func parse(_ text: String) throws -> JSONValue {
        var lines: [Line] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let body = line.drop(while: { $0 == " " })
            if body.isEmpty || body.hasPrefix("#") || body == "---" || body.hasPrefix("--- ") { continue }
            if body.hasPrefix("\t") { throw StatusError.badRequest("line \(i + 1): tabs are not allowed for indentation") }
            lines.append(Line(indent: line.count - body.count, text: body, number: i + 1))
        }
        var index = 0
        guard !lines.isEmpty else { return .object([:]) }
        return try block(&lines, &index, indent: lines[0].indent)
    }

    private static func block(_ lines: inout [Line], _ index: inout Int, indent: Int) throws -> JSONValue {
        if isSequenceItem(lines[index].text) { return try sequence(&lines, &index, indent: indent) }
        return try mapping(&lines, &index, indent: indent)
    }

    private static func isSequenceItem(_ text: Substring) -> Bool { text == "-" || text.hasPrefix("- ") }

    private static func sequence(_ lines: inout [Line], _ index: inout Int, indent: Int) throws -> JSONValue {
        var items: [JSONValue] = []
        while index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].text) {
            let content = lines[index].text.dropFirst().drop(while: { $0 == " " })
            if content.isEmpty {
                index += 1
                if index < lines.count, lines[index].indent > indent {
                    items.append(try block(&lines, &index, indent: lines[index].indent))
                } else {
                    items.append(.null)
                }
            } else if splitKey(content) != nil || isSequenceItem(content) {
                // `- key: value` starts a mapping whose column is where `key` begins.
                let column = indent + (lines[index].text.count - content.count)
                lines[index] = Line(indent: column, text: content, number: lines[index].number)
                items.append(try block(&lines, &index, indent: column))
            } else {
                items.append(try scalar(content, line: lines[index].number))
                index += 1
            }
        }
        return .array(items)
    }

    private static func mapping(_ lines: inout [Line], _ index: inout Int, indent: Int) throws -> JSONValue {
        var object: [String: JSONValue] = [:]
        while index < lines.count, lines[index].indent == indent, !isSequenceItem(lines[index].text) {
            let line = lines[index]
            guard let (key, rest) = splitKey(line.text) else {
                throw StatusError.badRequest("line \(line.number): expected \"key: value\"")
            }
            index += 1
            if !rest.isEmpty {
                object[key] = try scalar(rest, line: line.number)
            } else if index < lines.count, lines[index].indent > indent {
                object[key] = try block(&lines, &index, indent: lines[index].indent)
            } else if index < lines.count, lines[index].indent == indent, isSequenceItem(lines[index].text) {
                object[key] = try sequence(&lines, &index, indent: indent)
            } else {
                object[key] = .null
            }
        }
        if index < lines.count, lines[index].indent > indent {
            throw StatusError.badRequest("line \(lines[index].number): unexpected indentation")
        }
        return .object(object)
    }

    /// `key: rest` -> (key, rest without comment); nil when the text is not a mapping entry.
    private static func splitKey(_ text: Substring) -> (String, Substring)? {
        var key: String
        var afterKey: Substring
        if let quote = text.first, quote == "\"" || quote == "'" {
            guard let end = text.dropFirst().firstIndex(of: quote) else { return nil }
            key = String(text[text.index(after: text.startIndex)..<end])
            afterKey = text[text.index(after: end)...]
            guard afterKey.hasPrefix(":") else { return nil }
        } else {
            var search = text[...]
            while true {
                guard let colon = search.firstIndex(of: ":") else { return nil }
                let next = text.index(after: colon)
                if next == text.endIndex || text[next] == " " {
                    key = String(text[..<colon]).trimmingCharacters(in: .whitespaces)
                    afterKey = text[colon...]
                    break
                }
                search = text[next...]
            }
        }
        var rest = afterKey.dropFirst().drop(while: { $0 == " " })
        if rest.hasPrefix("#") { rest = rest[rest.endIndex...] }
        return (key, rest)
    }

    private static func scalar(_ raw: Substring, line: Int) throws -> JSONValue {
        var text = raw
        if let quote = text.first, quote == "\"" || quote == "'" {
            var out = ""
            var i = text.index(after: text.startIndex)
            while i < text.endIndex {
                let c = text[i]
                if c == quote {
                    let next = text.index(after: i)
                    if quote == "'", next < text.endIndex, text[next] == "'" { out.append("'"); i = text.index(after: next); continue }
                    return .string(out)
                }
                if quote == "\"", c == "\\" {
                    i = text.index(after: i)
                    guard i < text.endIndex else { break }
                    switch text[i] {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    default: out.append(text[i])
                    }
                } else {
                    out.append(c)
                }
                i = text.index(after: i)
            }
            throw StatusError.badRequest("line \(line): unterminated quoted string")
        }
        if let hash = text.range(of: " #") { text = text[..<hash.lowerBound] }
        let plain = text.trimmingCharacters(in: .whitespaces)
        switch plain {
        case "{}": return .object([:])
        case "[]": return .array([])
        case "~", "null", "Null", "NULL", "": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default:
            if let i = Int64(plain) { return .int(i) }
            return .string(plain)
        }
    }
}
