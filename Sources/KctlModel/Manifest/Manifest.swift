import Yams

/// One object read from a manifest file, or the reason it could not be read.
public struct ManifestDocument: Sendable, Hashable {
    /// Where the object came from: `Manifests/chat/messages.yaml, document 2`.
    public var source: String
    /// The 1-based line of the file where the document starts, when known.
    public var line: Int?
    /// The object, when the document decoded.
    public var object: KubeObject?
    /// What is wrong with the document, naming the source (and line, field or kind).
    public var error: String?

    public init(source: String, line: Int? = nil, object: KubeObject? = nil, error: String? = nil) {
        self.source = source
        self.line = line
        self.object = object
        self.error = error
    }
}

/// Reading manifests (multi-document YAML, JSON, `kind: List`) into objects, and writing YAML the way
/// `kubectl get -o yaml` does.
public enum Manifest {
    /// The most YAML nodes one document may expand to (guards against alias bombs).
    static let nodeBudget = 1_000_000

    /// Decodes every document of a manifest file. Never throws: each document either has an `object` or an
    /// `error`, so one bad document does not hide the others. Empty documents are skipped.
    ///
    ///     for document in Manifest.decode(text, source: "Manifests/chat/users.yaml") {
    ///         if let error = document.error { print(error) } else { apply(document.object!) }
    ///     }
    public static func decode(_ text: String, source: String) -> [ManifestDocument] {
        let trimmed = text.drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "\u{FEFF}" }
        if trimmed.first == "{" || trimmed.first == "[" {
            if let json = try? JSONValue.parse(String(trimmed)) {
                return documents(from: json, source: "\(source), document 1", line: 1)
            }
        }
        var results: [ManifestDocument] = []
        var number = 0
        // Yams reads its default encoding from the environment each time it is asked (a third of
        // a small document's composing); it is asked once per file instead.
        let encoding = Parser.Encoding.default
        for chunk in splitDocuments(text) {
            number += 1
            let label = "\(source), document \(number)"
            do {
                guard let value = try documentValue(chunk.text, lineOffset: chunk.line - 1, encoding: encoding)
                else { continue }
                if case .null = value { continue }
                results += documents(from: value, source: label, line: chunk.line)
            } catch let error as YamlError {
                results.append(
                    ManifestDocument(
                        source: label, line: chunk.line,
                        error: "\(label): invalid YAML: \(describe(error, lineOffset: chunk.line - 1))"))
            } catch let error as ManifestError {
                results.append(ManifestDocument(source: label, line: chunk.line, error: "\(label): \(error.message)"))
            } catch {
                results.append(ManifestDocument(source: label, line: chunk.line, error: "\(label): \(error)"))
            }
        }
        return results
    }

    /// Checks one decoded value and expands `kind: List` (or `...List`) into its items.
    static func documents(from value: JSONValue, source: String, line: Int?) -> [ManifestDocument] {
        if case .array(let items) = value {
            return items.enumerated().flatMap { index, item in
                documents(from: item, source: "\(source), item \(index + 1)", line: line)
            }
        }
        guard case .object(let object) = value else {
            return [ManifestDocument(
                source: source, line: line,
                error: "\(source): expected an object with apiVersion and kind, found \(value.typeName)")]
        }
        if let kind = object["kind"]?.stringValue, kind == "List" || kind.hasSuffix("List"),
            let items = object["items"]?.arrayValue
        {
            return items.enumerated().flatMap { index, item in
                documents(from: item, source: "\(source), item \(index + 1)", line: line)
            }
        }
        return [check(KubeObject(object), source: source, line: line)]
    }

    static func check(_ object: KubeObject, source: String, line: Int?) -> ManifestDocument {
        func failure(_ message: String) -> ManifestDocument {
            ManifestDocument(source: source, line: line, object: nil, error: "\(source): \(message)")
        }
        guard let apiVersion = object.json["apiVersion"]?.stringValue, !apiVersion.isEmpty else {
            return failure("apiVersion not set")
        }
        guard let kind = object.json["kind"]?.stringValue, !kind.isEmpty else {
            return failure("kind not set")
        }
        if let metadata = object.json["metadata"], metadata.objectValue == nil {
            return failure("metadata must be an object, found \(metadata.typeName)")
        }
        if object.name.isEmpty && (object.generateName ?? "").isEmpty {
            return failure("metadata.name not set (and no metadata.generateName)")
        }
        guard ResourceType.forObject(apiVersion: apiVersion, kind: kind) != nil else {
            let known = ResourceType.all.filter { $0.kind == kind }.map(\.apiVersion)
            let hint = known.isEmpty ? "" : " (kctl serves \(kind) as \(known.joined(separator: ", ")))"
            return failure("no kind \(quoted(kind)) is registered for version \(quoted(apiVersion))\(hint)")
        }
        return ManifestDocument(source: source, line: line, object: object)
    }

    // MARK: Splitting

    struct Chunk: Equatable {
        var text: String
        /// The 1-based line of the file where the chunk's text starts.
        var line: Int
    }

    /// Splits at `---` document markers and `...` end markers, keeping each chunk's starting line.
    /// Chunks with nothing but blank lines and comments are dropped.
    static func splitDocuments(_ text: String) -> [Chunk] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return splitASCIIDocuments(text) }
        return splitDocumentsByCharacter(text)
    }

    /// `splitDocumentsByCharacter` for ASCII text, reading bytes: a character is a byte there,
    /// except `\r\n`, one character, so a `\n` after `\r` does not end a line (as it does not
    /// in the character reading) and `---\r\n` is not a marker.
    static func splitASCIIDocuments(_ text: String) -> [Chunk] {
        var text = text
        return text.withUTF8 { bytes -> [Chunk] in
            let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
            let dash = UInt8(ascii: "-"), dot = UInt8(ascii: ".")
            var chunks: [Chunk] = []
            var current: [Range<Int>] = []
            var start = 1
            var lineNumber = 0
            func flush(nextStart: Int) {
                let hasContent = current.contains { line in
                    var i = line.lowerBound
                    while i < line.upperBound && (bytes[i] == space || bytes[i] == tab) { i += 1 }
                    return i < line.upperBound && bytes[i] != UInt8(ascii: "#")
                        && !(line.upperBound - i == 1 && bytes[i] == cr)
                }
                if hasContent {
                    var joined: [UInt8] = []
                    joined.reserveCapacity(current.reduce(0) { $0 + $1.count + 1 })
                    for (index, line) in current.enumerated() {
                        if index > 0 { joined.append(lf) }
                        joined.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[line]))
                    }
                    chunks.append(Chunk(text: String(decoding: joined, as: UTF8.self), line: start))
                }
                current = []
                start = nextStart
            }
            let n = bytes.count
            var lineStart = 0
            while true {
                var end = lineStart
                while end < n && !(bytes[end] == lf && (end == 0 || bytes[end - 1] != cr)) { end += 1 }
                lineNumber += 1
                let length = end - lineStart
                let isMarker =
                    length >= 3 && bytes[lineStart] == dash && bytes[lineStart + 1] == dash && bytes[lineStart + 2] == dash
                    && (length == 3 || bytes[lineStart + 3] == space || bytes[lineStart + 3] == tab
                        || (bytes[lineStart + 3] == cr && (length == 4 || bytes[lineStart + 4] != lf)))
                let isEnd =
                    (length == 3 || (length == 4 && bytes[lineStart + 3] == cr)) && bytes[lineStart] == dot
                    && bytes[lineStart + 1] == dot && bytes[lineStart + 2] == dot
                if isMarker {
                    flush(nextStart: lineNumber)
                    // Content after `--- ` on the same line belongs to the document.
                    var rest = lineStart + 3
                    while rest < end && (bytes[rest] == space || bytes[rest] == tab) { rest += 1 }
                    current.append(rest..<end)
                } else if isEnd {
                    flush(nextStart: lineNumber + 1)
                } else {
                    current.append(lineStart..<end)
                }
                if end == n { break }
                lineStart = end + 1
            }
            flush(nextStart: lineNumber + 1)
            return chunks
        }
    }

    /// The splitting by characters, as Swift reads them (`\r\n` is one character).
    static func splitDocumentsByCharacter(_ text: String) -> [Chunk] {
        var chunks: [Chunk] = []
        var current: [Substring] = []
        var start = 1
        var lineNumber = 0
        func flush(nextStart: Int) {
            let hasContent = current.contains { line in
                let content = line.drop { $0 == " " || $0 == "\t" }
                return !content.isEmpty && !content.hasPrefix("#") && content != "\r"
            }
            if hasContent { chunks.append(Chunk(text: current.joined(separator: "\n"), line: start)) }
            current = []
            start = nextStart
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let isMarker = line.hasPrefix("---") && (line.count == 3 || line.dropFirst(3).first.map { $0 == " " || $0 == "\t" || $0 == "\r" } == true)
            let isEnd = line == "..." || line == "...\r"
            if isMarker {
                flush(nextStart: lineNumber)
                // Content after `--- ` on the same line belongs to the document.
                let rest = line.dropFirst(3).drop { $0 == " " || $0 == "\t" }
                current.append(rest)
            } else if isEnd {
                flush(nextStart: lineNumber + 1)
            } else {
                current.append(line)
            }
        }
        flush(nextStart: lineNumber + 1)
        return chunks
    }

    // MARK: YAML nodes to JSON

    struct ManifestError: Error {
        var message: String
    }

    /// One document's value, nil when it holds no node. Composes without Yams' regular-expression
    /// resolver and types plain scalars by hand (`PlainScalarTag`); where that could differ from
    /// the resolver's result, the document is read again the way it always was (`json(from:)`):
    /// anchors (an aliased key shares its resolved tag with the value it stands for), `<<` keys,
    /// a key spelled twice in one mapping (the resolver tells `1` from `"1"`), and any YAML error
    /// (so the error is the one the resolver's composition reports).
    static func documentValue(
        _ text: String, lineOffset: Int, encoding: Parser.Encoding = .default
    ) throws -> JSONValue? {
        if !text.utf8.contains(UInt8(ascii: "&")) {
            do {
                return try plainDocumentValue(text, lineOffset: lineOffset, encoding: encoding)
            } catch is YamlError {
            } catch is NeedsResolver {}
        }
        return try resolvedDocumentValue(text, lineOffset: lineOffset, encoding: encoding)
    }

    /// The fast reading alone: throws `NeedsResolver` where it cannot decide.
    static func plainDocumentValue(
        _ text: String, lineOffset: Int, encoding: Parser.Encoding = .default
    ) throws -> JSONValue? {
        guard let node = try Yams.compose(yaml: text, Resolver.basic, .default, encoding) else { return nil }
        var budget = nodeBudget
        return try json(from: node, plainTags: true, budget: &budget, lineOffset: lineOffset)
    }

    /// The reading with Yams' default resolver, as before `PlainScalarTag`.
    static func resolvedDocumentValue(
        _ text: String, lineOffset: Int, encoding: Parser.Encoding = .default
    ) throws -> JSONValue? {
        guard let node = try Yams.compose(yaml: text, .default, .default, encoding) else { return nil }
        var budget = nodeBudget
        return try json(from: node, budget: &budget, lineOffset: lineOffset)
    }

    /// Thrown by `json(from:plainTags:)` where only Yams' resolver gives the old result.
    struct NeedsResolver: Error {}

    /// A node as JSON. `plainTags`: the node was composed with `Resolver.basic`, so an untagged
    /// plain scalar's tag is still unresolved (empty) and `PlainScalarTag` decides it, and where
    /// only Yams' resolver gives the old result (a plain `<<` key, a key spelled twice) this throws
    /// `NeedsResolver`. Otherwise the node was composed with Yams' default resolver (the reference
    /// the plain reading is held to).
    static func json(from node: Yams.Node, plainTags: Bool = false, budget: inout Int, lineOffset: Int) throws -> JSONValue {
        budget -= 1
        if budget < 0 {
            throw ManifestError(message: "the document is too large (more than \(nodeBudget) YAML nodes after aliases)")
        }
        switch node {
        case .scalar(let scalar):
            guard plainTags else { return scalarValue(scalar, tag: node.tag.rawValue) }
            let text = scalar.string
            if scalar.style != .plain { return .string(text) }
            let tag = scalar.tag.rawValue
            if tag.isEmpty {
                guard let resolved = PlainScalarTag.resolve(text) else {
                    return scalarValue(scalar, tag: PlainScalarTag.resolverTag(of: text))
                }
                if resolved == .str { return .string(text) }
                return scalarValue(scalar, tag: resolved.name)
            }
            return scalarValue(scalar, tag: tag == Tag.Name.nonSpecific.rawValue ? Tag.Name.str.rawValue : tag)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            items.reserveCapacity(sequence.count)
            for item in sequence {
                items.append(try json(from: item, plainTags: plainTags, budget: &budget, lineOffset: lineOffset))
            }
            return .array(items)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            var merged: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    let line = (key.mark?.line ?? 0) + lineOffset
                    throw ManifestError(message: "line \(line): mapping keys must be strings, not \(key.sequence != nil ? "sequences" : "mappings")")
                }
                let name = keyScalar.string
                if plainTags && keyScalar.style == .plain && name == "<<" { throw NeedsResolver() }
                if key.tag.rawValue == Tag.Name.merge.rawValue && keyScalar.style == .plain {
                    // `<<: *defaults` (or `!!merge x:`) merges the aliased mapping(s); explicit keys win.
                    let sources = value.sequence.map(Array.init) ?? [value]
                    for source in sources {
                        guard case .object(let fields) = try json(from: source, plainTags: plainTags, budget: &budget, lineOffset: lineOffset)
                        else {
                            throw ManifestError(message: "line \((source.mark?.line ?? 0) + lineOffset): `<<` needs a mapping")
                        }
                        for (k, v) in fields where merged[k] == nil { merged[k] = v }
                    }
                    continue
                }
                let converted = try json(from: value, plainTags: plainTags, budget: &budget, lineOffset: lineOffset)
                if object.updateValue(converted, forKey: name) != nil && plainTags { throw NeedsResolver() }
            }
            for (k, v) in merged where object[k] == nil { object[k] = v }
            return .object(object)
        case .alias:
            throw ManifestError(message: "line \((node.mark?.line ?? 0) + lineOffset): unresolved alias")
        }
    }

    /// A scalar as JSON, by its resolved tag. Quoted scalars are always strings; `yes`/`no`/`on`/`off`
    /// stay strings (YAML 1.2), as do timestamps; integers with a leading `0` are octal (YAML 1.1, so
    /// `defaultMode: 0644` is 420 as Kubernetes reads it).
    static func scalarValue(_ scalar: Yams.Node.Scalar, tag: String) -> JSONValue {
        let text = scalar.string
        if scalar.style != .plain { return .string(text) }
        switch tag {
        case Tag.Name.null.rawValue:
            return .null
        case Tag.Name.bool.rawValue:
            switch text.lowercased() {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(text)
            }
        case Tag.Name.int.rawValue:
            if let number = parseInteger(text) { return .int(number) }
            if let double = Double(text.replacingUnderscores), double.isFinite { return .double(double) }
            return .string(text)
        case Tag.Name.float.rawValue:
            if let double = Double(text.replacingUnderscores), double.isFinite { return .double(double) }
            return .string(text)
        default:
            return .string(text)
        }
    }

    static func parseInteger(_ text: String) -> Int64? {
        var body = text.replacingUnderscores
        var negative = false
        if body.hasPrefix("-") || body.hasPrefix("+") {
            negative = body.hasPrefix("-")
            body.removeFirst()
        }
        let magnitude: Int64?
        if body.hasPrefix("0x") {
            magnitude = Int64(body.dropFirst(2), radix: 16)
        } else if body.hasPrefix("0o") {
            magnitude = Int64(body.dropFirst(2), radix: 8)
        } else if body.hasPrefix("0b") {
            magnitude = Int64(body.dropFirst(2), radix: 2)
        } else if body.count > 1 && body.hasPrefix("0") {
            magnitude = Int64(body.dropFirst(), radix: 8)
        } else if body.contains(":") {
            return nil  // YAML 1.1 base-60 numbers (`1:30`) stay strings.
        } else {
            magnitude = Int64(body)
        }
        guard let magnitude else { return nil }
        return negative ? -magnitude : magnitude
    }

    static func describe(_ error: YamlError, lineOffset: Int) -> String {
        func at(_ mark: Mark) -> String { "line \(mark.line + lineOffset), column \(mark.column)" }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line + lineOffset))" } ?? ""
            return "\(at(mark)): \(problem)\(while_)"
        case .reader(let problem, let offset, _, _):
            return "\(problem) at byte \(offset ?? 0)"
        case .duplicatedKeysInMapping(let duplicates, let context):
            return "\(at(context.mark)): duplicate key(s) \(duplicates.map(quoted).joined(separator: ", "))"
        default:
            return "\(error)"
        }
    }
}

extension String {
    fileprivate var replacingUnderscores: String { filter { $0 != "_" } }
}
