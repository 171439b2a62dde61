import KctlModel

/// JSON patch (RFC 6902): add, remove, replace, move, copy and test at JSON pointers.
enum JSONPatch {
    static func apply(_ patch: JSONValue, to target: JSONValue) throws -> JSONValue {
        guard case .array(let operations) = patch else { throw StatusError.badRequest("a JSON patch must be an array of operations") }
        var document = target
        for (index, operation) in operations.enumerated() {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw StatusError.badRequest("JSON patch operation \(index) needs \"op\" and \"path\"")
            }
            let pointer = try parsePointer(path)
            switch op {
            case "add":
                document = try set(document, pointer[...], try value(operation, index), insert: true)
            case "remove":
                document = try remove(document, pointer[...])
            case "replace":
                _ = try get(document, pointer[...])
                document = try set(document, pointer[...], try value(operation, index), insert: false)
            case "move", "copy":
                guard let from = operation["from"]?.stringValue else {
                    throw StatusError.badRequest("JSON patch operation \(index) (\(op)) needs \"from\"")
                }
                let fromPointer = try parsePointer(from)
                let moved = try get(document, fromPointer[...])
                if op == "move" { document = try remove(document, fromPointer[...]) }
                document = try set(document, pointer[...], moved, insert: true)
            case "test":
                guard try get(document, pointer[...]) == (try value(operation, index)) else {
                    throw StatusError(reason: .invalid, code: 422, message: "JSON patch test operation \(index) failed at \(path)")
                }
            default:
                throw StatusError.badRequest("JSON patch operation \(index) has unknown op \"\(op)\"")
            }
        }
        return document
    }

    private static func value(_ operation: JSONValue, _ index: Int) throws -> JSONValue {
        guard let v = operation["value"] else { throw StatusError.badRequest("JSON patch operation \(index) needs \"value\"") }
        return v
    }

    static func parsePointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw StatusError.badRequest("invalid JSON pointer \"\(path)\"") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func missing(_ token: String) -> StatusError {
        StatusError(reason: .invalid, code: 422, message: "JSON patch path not found at \"\(token)\"")
    }

    private static func get(_ doc: JSONValue, _ pointer: ArraySlice<String>) throws -> JSONValue {
        guard let token = pointer.first else { return doc }
        switch doc {
        case .object(let o):
            guard let child = o[token] else { throw missing(token) }
            return try get(child, pointer.dropFirst())
        case .array(let a):
            guard let i = Int(token), a.indices.contains(i) else { throw missing(token) }
            return try get(a[i], pointer.dropFirst())
        default:
            throw missing(token)
        }
    }

    private static func set(_ doc: JSONValue, _ pointer: ArraySlice<String>, _ value: JSONValue, insert: Bool) throws -> JSONValue {
        guard let token = pointer.first else { return value }
        let last = pointer.count == 1
        switch doc {
        case .object(var o):
            if last {
                o[token] = value
            } else {
                guard let child = o[token] else { throw missing(token) }
                o[token] = try set(child, pointer.dropFirst(), value, insert: insert)
            }
            return .object(o)
        case .array(var a):
            if last && token == "-" && insert { a.append(value); return .array(a) }
            guard let i = Int(token), i >= 0 else { throw missing(token) }
            if last {
                if insert {
                    guard i <= a.count else { throw missing(token) }
                    a.insert(value, at: i)
                } else {
                    guard i < a.count else { throw missing(token) }
                    a[i] = value
                }
            } else {
                guard i < a.count else { throw missing(token) }
                a[i] = try set(a[i], pointer.dropFirst(), value, insert: insert)
            }
            return .array(a)
        default:
            throw missing(token)
        }
    }

    private static func remove(_ doc: JSONValue, _ pointer: ArraySlice<String>) throws -> JSONValue {
        guard let token = pointer.first else { throw StatusError.badRequest("cannot remove the whole document") }
        let last = pointer.count == 1
        switch doc {
        case .object(var o):
            guard let child = o[token] else { throw missing(token) }
            if last { o.removeValue(forKey: token) } else { o[token] = try remove(child, pointer.dropFirst()) }
            return .object(o)
        case .array(var a):
            guard let i = Int(token), a.indices.contains(i) else { throw missing(token) }
            if last { a.remove(at: i) } else { a[i] = try remove(a[i], pointer.dropFirst()) }
            return .array(a)
        default:
            throw missing(token)
        }
    }
}
