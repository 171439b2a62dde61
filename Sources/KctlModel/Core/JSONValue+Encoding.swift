import Foundation

extension JSONValue {
    /// Encodes an `Encodable` value to a `JSONValue` straight, without going through bytes.
    ///
    /// The result is what `JSONEncoder` (default strategies) writes, parsed back: whole doubles
    /// up to 2^53 become `.int` as their text has no fraction, `UInt64`s past `Int64.max` become
    /// `.double`, non-finite numbers throw `EncodingError.invalidValue`, a nested value that
    /// encodes nothing is `{}` (at the top it throws), and `Data`, `URL` and `Decimal` take
    /// `JSONEncoder`'s own forms. Typed kinds are encoded on every admission and status write,
    /// where writing bytes and parsing them cost twice this.
    public init(encoding value: some Encodable) throws {
        self = try ValueEncoder.box(value, parent: nil, key: nil)
    }

    /// `JSONEncoder` writes a double as its `description` less a final `.0`: digits for whole
    /// values up to 2^53 (which parse as `.int`), a fraction or an exponent for the rest.
    static func encodedNumber(_ double: Double) -> JSONValue {
        if double.rounded() == double, abs(double) <= 9_007_199_254_740_992 { return .int(Int64(double)) }
        return .double(double)
    }

    /// This value as encoding it gives: doubles normalized as `encodedNumber` does. Returns
    /// `self` without copying when it holds no double (nearly always).
    func encodedForm(path: () -> [any CodingKey]) throws -> JSONValue {
        guard containsDouble else { return self }
        switch self {
        case .double(let d):
            guard d.isFinite else {
                throw EncodingError.invalidValue(
                    d, .init(codingPath: path(), debugDescription: "Unable to encode Double.\(d) directly in JSON."))
            }
            return Self.encodedNumber(d)
        case .array(let items): return .array(try items.map { try $0.encodedForm(path: path) })
        case .object(let fields): return .object(try fields.mapValues { try $0.encodedForm(path: path) })
        default: return self
        }
    }

    private var containsDouble: Bool {
        switch self {
        case .double: return true
        case .array(let items): return items.contains { $0.containsDouble }
        case .object(let fields): return fields.values.contains { $0.containsDouble }
        default: return false
        }
    }
}

/// One level of encoding: what a value's `encode(to:)` asked for (one value, an object or an
/// array), and where it sits (for error paths, computed only when asked).
private final class ValueEncoder: Encoder {
    enum Storage {
        case none
        case value(JSONValue)
        case object(ObjectStorage)
        case array(ArrayStorage)
    }

    let parent: ValueEncoder?
    let key: (any CodingKey)?
    var storage = Storage.none

    init(parent: ValueEncoder?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var level: ValueEncoder? = self
        while let current = level {
            if let key = current.key { path.append(key) }
            level = current.parent
        }
        return path.reversed()
    }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectStorage
        if case .object(let existing) = storage {
            object = existing
        } else {
            object = ObjectStorage()
            storage = .object(object)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, object: object))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArrayStorage
        if case .array(let existing) = storage {
            array = existing
        } else {
            array = ArrayStorage()
            storage = .array(array)
        }
        return UnkeyedContainer(encoder: self, array: array)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleContainer(encoder: self) }

    var result: JSONValue {
        switch storage {
        case .none: return .object([:])
        case .value(let value): return value
        case .object(let object): return object.result
        case .array(let array): return array.result
        }
    }

    /// `value` encoded, at `key` under `parent`. Common leaf types skip making an encoder.
    static func box<T: Encodable>(_ value: T, parent: ValueEncoder?, key: (any CodingKey)?) throws -> JSONValue {
        switch value {
        case let string as String: return .string(string)
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .int(Int64(int))
        case let int as Int64: return .int(int)
        case let int as Int32: return .int(Int64(int))
        case let double as Double: return try number(double, parent: parent, key: key)
        case let json as JSONValue:
            return try json.encodedForm { ValueEncoder(parent: parent, key: key).codingPath }
        case is Data, is URL, is Decimal:
            return try JSONValue.parse(JSONEncoder().encode(value))
        default:
            let encoder = ValueEncoder(parent: parent, key: key)
            try value.encode(to: encoder)
            if parent == nil, case .none = encoder.storage {
                throw EncodingError.invalidValue(
                    value, .init(codingPath: [], debugDescription: "Top-level \(T.self) did not encode any values."))
            }
            return encoder.result
        }
    }

    static func number(_ double: Double, parent: ValueEncoder?, key: (any CodingKey)?) throws -> JSONValue {
        guard double.isFinite else {
            throw EncodingError.invalidValue(
                double,
                .init(
                    codingPath: ValueEncoder(parent: parent, key: key).codingPath,
                    debugDescription: "Unable to encode Double.\(double) directly in JSON."))
        }
        return JSONValue.encodedNumber(double)
    }

    static func float(_ float: Float, parent: ValueEncoder?, key: (any CodingKey)?) throws -> JSONValue {
        guard float.isFinite else {
            throw EncodingError.invalidValue(
                float,
                .init(
                    codingPath: ValueEncoder(parent: parent, key: key).codingPath,
                    debugDescription: "Unable to encode Float.\(float) directly in JSON."))
        }
        // JSONEncoder writes a Float's description less a final `.0`, which parses as that text reads.
        let text = float.description
        if text.hasSuffix(".0"), let whole = Int64(text.dropLast(2)) { return .int(whole) }
        return .double(Double(text) ?? Double(float))
    }

    static func unsigned(_ value: UInt64) -> JSONValue {
        value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(Double(value))
    }
}

/// An object being encoded. Nested containers and super encoders asked for by key are kept
/// apart and read when the object is finished, since their owner may still write to them.
private final class ObjectStorage {
    var fields: [String: JSONValue] = [:]
    var nested: [String: ValueEncoder] = [:]

    func set(_ value: JSONValue, for key: String) {
        fields[key] = value
        if !nested.isEmpty { nested[key] = nil }
    }

    var result: JSONValue {
        guard !nested.isEmpty else { return .object(fields) }
        var all = fields
        for (key, encoder) in nested { all[key] = encoder.result }
        return .object(all)
    }
}

/// An array being encoded; nested containers, likewise, are read when it is finished.
private final class ArrayStorage {
    enum Item {
        case value(JSONValue)
        case nested(ValueEncoder)
    }
    var items: [Item] = []

    var result: JSONValue {
        .array(
            items.map {
                switch $0 {
                case .value(let value): return value
                case .nested(let encoder): return encoder.result
                }
            })
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String
    init(_ index: Int) {
        self.intValue = index
        self.stringValue = "Index \(index)"
    }
    init?(intValue: Int) { self.init(intValue) }
    init?(stringValue: String) { return nil }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ValueEncoder
    let object: ObjectStorage

    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil(forKey key: Key) throws { object.set(.null, for: key.stringValue) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { object.set(.bool(value), for: key.stringValue) }
    mutating func encode(_ value: String, forKey key: Key) throws { object.set(.string(value), for: key.stringValue) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        object.set(try ValueEncoder.number(value, parent: encoder, key: key), for: key.stringValue)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        object.set(try ValueEncoder.float(value, parent: encoder, key: key), for: key.stringValue)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { object.set(.int(value), for: key.stringValue) }
    mutating func encode(_ value: UInt, forKey key: Key) throws {
        object.set(ValueEncoder.unsigned(UInt64(value)), for: key.stringValue)
    }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { object.set(.int(Int64(value)), for: key.stringValue) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws {
        object.set(ValueEncoder.unsigned(value), for: key.stringValue)
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        object.set(try ValueEncoder.box(value, parent: encoder, key: key), for: key.stringValue)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        nestedEncoder(for: key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        nestedEncoder(for: key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { nestedEncoder(for: AnyCodingKey("super")) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { nestedEncoder(for: key) }

    private func nestedEncoder(for key: some CodingKey) -> ValueEncoder {
        let nested = ValueEncoder(parent: encoder, key: key)
        object.fields[key.stringValue] = nil
        object.nested[key.stringValue] = nested
        return nested
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: ValueEncoder
    let array: ArrayStorage

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { array.items.count }

    private var nextKey: IndexKey { IndexKey(array.items.count) }

    mutating func encodeNil() throws { array.items.append(.value(.null)) }
    mutating func encode(_ value: Bool) throws { array.items.append(.value(.bool(value))) }
    mutating func encode(_ value: String) throws { array.items.append(.value(.string(value))) }
    mutating func encode(_ value: Double) throws {
        array.items.append(.value(try ValueEncoder.number(value, parent: encoder, key: nextKey)))
    }
    mutating func encode(_ value: Float) throws {
        array.items.append(.value(try ValueEncoder.float(value, parent: encoder, key: nextKey)))
    }
    mutating func encode(_ value: Int) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int8) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int16) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int32) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: Int64) throws { array.items.append(.value(.int(value))) }
    mutating func encode(_ value: UInt) throws { array.items.append(.value(ValueEncoder.unsigned(UInt64(value)))) }
    mutating func encode(_ value: UInt8) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt16) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt32) throws { array.items.append(.value(.int(Int64(value)))) }
    mutating func encode(_ value: UInt64) throws { array.items.append(.value(ValueEncoder.unsigned(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        array.items.append(.value(try ValueEncoder.box(value, parent: encoder, key: nextKey)))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        nestedEncoder().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { nestedEncoder().unkeyedContainer() }

    mutating func superEncoder() -> any Encoder { nestedEncoder() }

    private func nestedEncoder() -> ValueEncoder {
        let nested = ValueEncoder(parent: encoder, key: nextKey)
        array.items.append(.nested(nested))
        return nested
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: JSONValue) { encoder.storage = .value(value) }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try ValueEncoder.number(value, parent: encoder.parent, key: encoder.key)) }
    mutating func encode(_ value: Float) throws { set(try ValueEncoder.float(value, parent: encoder.parent, key: encoder.key)) }
    mutating func encode(_ value: Int) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { set(.int(value)) }
    mutating func encode(_ value: UInt) throws { set(ValueEncoder.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { set(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { set(ValueEncoder.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        set(try ValueEncoder.box(value, parent: encoder.parent, key: encoder.key))
    }
}
