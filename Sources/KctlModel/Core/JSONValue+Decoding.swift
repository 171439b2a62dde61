import Foundation

extension JSONValue {
    /// Decodes a `Decodable` type straight from this value, without going through bytes.
    ///
    /// Errors are `DecodingError`s whose coding path is exact (array elements as integer keys), including
    /// for numbers out of range for the field's integer type, which `JSONDecoder` reports without a path.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try ValueDecoder(value: self, codingPath: []).unbox(self, as: type, path: [])
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String
    init(_ index: Int) {
        self.intValue = index
        self.stringValue = String(index)
    }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { return nil }
}

private struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw ValueDecoder.mismatch([String: JSONValue].self, value, codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else {
            throw ValueDecoder.mismatch([JSONValue].self, value, codingPath)
        }
        return UnkeyedContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, codingPath: codingPath)
    }

    static func mismatch(_ type: Any.Type, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
        .typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(value.typeName)"))
    }

    func unbox<T: Decodable>(_ value: JSONValue, as type: T.Type, path: [any CodingKey]) throws -> T {
        if let leaf = try ValueDecoder.leaf(value, as: type, path: { path }) { return leaf }
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }

    /// The types most fields are, read without making a decoder (nor the field's coding path,
    /// built only for an error); nil for any other type.
    static func leaf<T: Decodable>(_ value: JSONValue, as type: T.Type, path: () -> [any CodingKey]) throws -> T? {
        if type == String.self {
            guard case .string(let s) = value else { throw ValueDecoder.mismatch(type, value, path()) }
            return (s as! T)
        }
        if type == Bool.self {
            guard case .bool(let b) = value else { throw ValueDecoder.mismatch(type, value, path()) }
            return (b as! T)
        }
        if type == Int.self { return (try ValueDecoder.integer(value, Int.self, path()) as! T) }
        if type == Int64.self { return (try ValueDecoder.integer(value, Int64.self, path()) as! T) }
        if type == Int32.self { return (try ValueDecoder.integer(value, Int32.self, path()) as! T) }
        if type == Double.self { return (try ValueDecoder.double(value, path()) as! T) }
        if type == Float.self { return (Float(try ValueDecoder.double(value, path())) as! T) }
        if type == JSONValue.self { return (value as! T) }
        if type == [String: String].self {
            guard case .object(let fields) = value else {
                throw ValueDecoder.mismatch([String: JSONValue].self, value, path())
            }
            var strings: [String: String] = [:]
            strings.reserveCapacity(fields.count)
            for (key, field) in fields {
                switch field {
                case .string(let s): strings[key] = s
                case .null:
                    throw DecodingError.valueNotFound(
                        String.self, .init(codingPath: path() + [AnyCodingKey(key)], debugDescription: "null for \(key)"))
                default: throw ValueDecoder.mismatch(String.self, field, path() + [AnyCodingKey(key)])
                }
            }
            return (strings as! T)
        }
        return nil
    }

    static func double(_ value: JSONValue, _ path: [any CodingKey]) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch(Double.self, value, path)
        }
    }

    static func integer<I: FixedWidthInteger>(_ value: JSONValue, _ type: I.Type, _ path: [any CodingKey]) throws -> I {
        switch value {
        case .int(let i):
            if let exact = I(exactly: i) { return exact }
        case .double(let d):
            guard d.rounded() == d else { throw mismatch(type, value, path) }
            if let exact = I(exactly: d) { return exact }
        default:
            throw mismatch(type, value, path)
        }
        throw DecodingError.dataCorrupted(
            .init(codingPath: path, debugDescription: "\(value.serializedString()) is out of range for \(type)"))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        return value
    }

    private func decoded<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T {
        try decoded(type, key, try value(key))
    }

    private func decoded<T: Decodable>(_ type: T.Type, _ key: Key, _ value: JSONValue) throws -> T {
        if case .null = value, type != JSONValue.self {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath + [key], debugDescription: "null for \(key.stringValue)"))
        }
        if let leaf = try ValueDecoder.leaf(value, as: type, path: { codingPath + [key] }) { return leaf }
        let path = codingPath + [key]
        return try T(from: ValueDecoder(value: value, codingPath: path))
    }

    /// One look-up instead of the default's three (contains, decodeNil, decode): absent or null is nil.
    private func decodedIfPresent<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        guard let value = object[key.stringValue], !value.isNull else { return nil }
        return try decoded(type, key, value)
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try decodedIfPresent(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try decodedIfPresent(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try decodedIfPresent(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try decodedIfPresent(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try decodedIfPresent(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try decodedIfPresent(type, key) }
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try decodedIfPresent(type, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool { try value(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decoded(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decoded(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decoded(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decoded(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decoded(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decoded(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decoded(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, key) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoded(type, key) }

    private func integer<I: FixedWidthInteger>(_ type: I.Type, _ key: Key) throws -> I {
        try ValueDecoder.integer(try value(key), type, codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: .object(object), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONValue], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next<T: Decodable>(_ type: T.Type) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "unkeyed container is at end"))
        }
        let path = codingPath + [IndexKey(currentIndex)]
        let value = items[currentIndex]
        if case .null = value, type != JSONValue.self {
            throw DecodingError.valueNotFound(type, .init(codingPath: path, debugDescription: "null element"))
        }
        let result = try ValueDecoder(value: value, codingPath: path).unbox(value, as: type, path: path)
        currentIndex += 1
        return result
    }

    private mutating func integer<I: FixedWidthInteger & Decodable>(_ type: I.Type) throws -> I {
        guard !isAtEnd else { return try next(type) }
        let result = try ValueDecoder.integer(items[currentIndex], type, codingPath + [IndexKey(currentIndex)])
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex].isNull else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let decoder = try superDecoder()
        return try decoder.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let decoder = try superDecoder()
        return try decoder.unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                JSONValue.self, .init(codingPath: codingPath, debugDescription: "unkeyed container is at end"))
        }
        let decoder = ValueDecoder(value: items[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
        currentIndex += 1
        return decoder
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    private func decoded<T: Decodable>(_ type: T.Type) throws -> T {
        if case .null = value, type != JSONValue.self {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath, debugDescription: "null value"))
        }
        return try ValueDecoder(value: value, codingPath: codingPath).unbox(value, as: type, path: codingPath)
    }

    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        try ValueDecoder.integer(value, type, codingPath)
    }

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try decoded(type) }
    func decode(_ type: String.Type) throws -> String { try decoded(type) }
    func decode(_ type: Double.Type) throws -> Double { try decoded(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoded(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoded(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoded(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoded(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoded(type) }
}
