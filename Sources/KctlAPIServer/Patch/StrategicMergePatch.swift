import KctlModel

/// Kubernetes' strategic merge patch, as the API server applies it: a JSON merge patch in which
/// lists declared mergeable (`PatchMeta`) merge element by element instead of being replaced, plus
/// the directives kubectl's three-way diff sends:
///
/// - `"$patch": "replace"` in an object replaces it whole; `"$patch": "delete"` empties it. In a
///   list element, `delete` removes the elements with that merge key and `replace` makes the
///   patch's other elements the whole list.
/// - `"$setElementOrder/F": [...]` orders list F (patch elements first in that order, elements only
///   the server has keep their place relative to them).
/// - `"$deleteFromPrimitiveList/F": [...]` removes those scalars from list F.
/// - `"$retainKeys": [...]` clears every other key of the object before merging.
/// - `null` deletes a key.
///
/// Semantics follow apimachinery's `strategicpatch` (server side: parallel lists merged, nulls
/// for absent keys ignored). Deliberately more forgiving in two places: a value added where the
/// object had none is itself read as a patch against nothing (so nested directives and nulls
/// never reach the stored object), and `null` elements of lists replaced whole are dropped.
public enum StrategicMergePatch {
    static let patchDirective = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"

    /// Applies `patch` (an object) to `original`, reading lists by `meta`.
    ///
    ///     let patched = try StrategicMergePatch.apply(
    ///         ["spec": ["containers": [["name": "web", "image": "v2"]]]], to: pod, meta: .of(kind: "Pod"))
    ///
    /// - Throws: `StatusError` 400 for a malformed patch (a list element without its merge key,
    ///   an unknown `$patch`, a `$setElementOrder` that contradicts the patch's order), 422 for
    ///   lists of lists.
    public static func apply(_ patch: JSONValue, to original: JSONValue, meta: PatchMeta) throws -> JSONValue {
        guard case .object(let patchObject) = patch else {
            throw StatusError.badRequest("a strategic merge patch must be a JSON object, not \(patch.typeName)")
        }
        return .object(try mergeObject(original.objectValue, patchObject, meta, path: ""))
    }

    // MARK: Objects

    private static func mergeObject(
        _ original: [String: JSONValue]?, _ patch: [String: JSONValue], _ meta: PatchMeta, path: String
    ) throws -> [String: JSONValue] {
        var patch = patch
        if let directive = patch.removeValue(forKey: patchDirective) {
            switch directive {
            case "replace": return cleanedObject(patch)
            case "delete": return [:]
            default: throw unknownPatchType(directive, patch)
            }
        }
        var result = original ?? [:]
        if let retain = patch.removeValue(forKey: retainKeysDirective) {
            try retainKeys(retain, in: &result, patch: patch)
        }
        for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
            let order = patch.removeValue(forKey: key) ?? .null
            let field = try directiveField(key, prefix: setElementOrderPrefix)
            if let list = try orderedList(field, order: order, original: result[field], patch: patch[field], meta.field(field), path: path) {
                result[field] = .array(list)
            }
            patch[field] = nil
        }
        // Deletions from scalar lists after everything else, so that they see the merged lists.
        let keys = patch.keys.sorted {
            ($0.hasPrefix(deleteFromPrimitiveListPrefix) ? 1 : 0, $0) < ($1.hasPrefix(deleteFromPrimitiveListPrefix) ? 1 : 0, $1)
        }
        for key in keys {
            guard let patchValue = patch[key] else { continue }
            var field = key
            let isDeleteList = key.hasPrefix(deleteFromPrimitiveListPrefix)
            if isDeleteList { field = try directiveField(key, prefix: deleteFromPrimitiveListPrefix) }
            if patchValue.isNull {
                result[field] = nil
                continue
            }
            let fieldMeta = meta.field(field)
            let fieldPath = path.isEmpty ? field : path + "." + field
            if isDeleteList, patchValue.arrayValue == nil {
                throw StatusError.badRequest("invalid patch format of primitive list: \(key) must be a list")
            }
            guard let current = result[field] else {
                if !isDeleteList { result[field] = try added(patchValue, fieldMeta, path: fieldPath) }
                continue
            }
            switch (current, patchValue) {
            case (.object(let currentObject), .object(let patchObject)):
                if case .replace = fieldMeta.strategy {
                    result[field] = .object(cleanedObject(patchObject))
                } else {
                    result[field] = .object(try mergeObject(currentObject, patchObject, fieldMeta, path: fieldPath))
                }
            case (.array(let currentList), .array(let patchList)):
                result[field] = .array(try mergeList(currentList, patchList, fieldMeta, isDeleteList: isDeleteList, path: fieldPath))
            default:
                // Scalars, or a change of type: the patch's value wins (a deletion list has nothing to delete from).
                if !isDeleteList { result[field] = try added(patchValue, fieldMeta, path: fieldPath) }
            }
        }
        return result
    }

    /// `$retainKeys`: every key the patch sets must be listed; unlisted keys of the object go.
    private static func retainKeys(_ directive: JSONValue, in object: inout [String: JSONValue], patch: [String: JSONValue]) throws {
        guard case .array(let list) = directive else {
            throw StatusError.badRequest("invalid patch format of retainKeys: $retainKeys must be a list")
        }
        let kept = Set(list.compactMap(\.stringValue))
        for (key, value) in patch where !value.isNull && !isDirectiveKey(key) && !kept.contains(key) {
            throw StatusError.badRequest("invalid patch format of retainKeys: \(key) is set but not in $retainKeys")
        }
        object = object.filter { kept.contains($0.key) }
    }

    /// The value for a key the object does not have yet: the patch read against nothing, so
    /// its directives are applied rather than stored. Nil when nothing is left to add.
    private static func added(_ value: JSONValue, _ meta: PatchMeta, path: String) throws -> JSONValue? {
        switch value {
        case .object(let object):
            if object[patchDirective] == "delete" { return nil }
            if case .replace = meta.strategy { return .object(cleanedObject(object)) }
            return .object(try mergeObject(nil, object, meta, path: path))
        case .array(let list):
            return .array(try mergeList([], list, meta, isDeleteList: false, path: path))
        case .null:
            return nil
        default:
            return value
        }
    }

    // MARK: Lists

    /// A list field: merged when its metadata says so (or for a deletion list), else replaced.
    private static func mergeList(
        _ original: [JSONValue], _ patch: [JSONValue], _ meta: PatchMeta, isDeleteList: Bool, path: String
    ) throws -> [JSONValue] {
        guard meta.mergesLists || isDeleteList else { return patch.compactMap(cleaned) }
        if original.isEmpty && patch.isEmpty { return original }
        guard try elementsAreObjects(original + patch, path: path) else {
            if isDeleteList { return original.filter { item in !patch.contains { same($0, item) } } }
            var merged: [JSONValue] = []
            for item in original + patch where !merged.contains(where: { same($0, item) }) { merged.append(item) }
            return ordered(merged, patchOrder: patch, serverOrder: original, key: nil)
        }
        if isDeleteList {
            throw StatusError.badRequest("invalid patch format of primitive list: \(path) is a list of objects")
        }
        guard let key = meta.mergeKey else {
            throw StatusError.badRequest("cannot merge lists without merge key for \(path)")
        }
        // Elements carrying `$patch` first: deletions by key, or a replace of the whole list.
        var base = original
        var patchElements: [[String: JSONValue]] = []
        var replace = false
        for element in patch {
            let object = element.objectValue ?? [:]
            guard let directive = object[patchDirective] else {
                patchElements.append(object)
                continue
            }
            switch directive {
            case "delete":
                guard let value = object[key] else { throw noMergeKey(object, key) }
                base.removeAll { same($0[key] ?? .null, value) }
            case "replace":
                replace = true
            case "merge":
                throw StatusError.badRequest("merging lists cannot yet be specified in the patch")
            default:
                throw unknownPatchType(directive, object)
            }
        }
        if replace {
            base = try patchElements.map { .object(try mergeObject(nil, $0, meta, path: path)) }
            patchElements = []
        }
        let serverOrder = base
        for element in patchElements {
            guard let value = element[key] else { throw noMergeKey(element, key) }
            if let at = base.firstIndex(where: { same($0[key] ?? .null, value) }) {
                base[at] = .object(try mergeObject(base[at].objectValue, element, meta, path: path))
            } else {
                base.append(.object(try mergeObject(nil, element, meta, path: path)))
            }
        }
        return ordered(base, patchOrder: patchElements.map(JSONValue.object), serverOrder: serverOrder, key: key)
    }

    /// Whether a list holds objects (else scalars); mixed element types and lists of lists are errors.
    private static func elementsAreObjects(_ items: [JSONValue], path: String) throws -> Bool {
        var kind: String?
        for item in items {
            if case .array = item { throw StatusError(reason: .invalid, code: 422, message: "lists of lists are not supported") }
            let itemKind = item.typeName
            if let kind, kind != itemKind {
                throw StatusError.badRequest("list element types are not identical in \(path): \(kind) and \(itemKind)")
            }
            kind = itemKind
        }
        return kind == "object"
    }

    /// `$setElementOrder/F`: merges list F as usual, then orders it by the directive. Nil when
    /// neither the object nor the patch has the list.
    private static func orderedList(
        _ field: String, order: JSONValue, original: JSONValue?, patch: JSONValue?, _ meta: PatchMeta, path: String
    ) throws -> [JSONValue]? {
        let fieldPath = path.isEmpty ? field : path + "." + field
        guard case .array(let orderList) = order else {
            throw StatusError.badRequest("invalid patch format of setElementOrder list: \(setElementOrderPrefix)/\(field) must be a list")
        }
        let originalList = try listValue(original, fieldPath)
        let patchList = try listValue(patch, fieldPath)
        let key = meta.mergeKey
        try checkOrder(patchList ?? [], against: orderList, key: key, field: fieldPath)
        let merged: [JSONValue]
        switch (originalList, patchList) {
        case (let originalList?, nil): merged = originalList
        case (let originalList, let patchList?):
            merged = try mergeList(originalList ?? [], patchList, meta, isDeleteList: false, path: fieldPath)
        case (nil, nil): return nil
        }
        let elementKey = merged.contains { $0.objectValue != nil } ? key : nil
        return ordered(merged, patchOrder: orderList, serverOrder: originalList ?? [], key: elementKey)
    }

    private static func listValue(_ value: JSONValue?, _ path: String) throws -> [JSONValue]? {
        switch value {
        case nil, .null?: return nil
        case .array(let list)?: return list
        case let other?: throw StatusError.badRequest("expected a list at \(path), found \(other.typeName)")
        }
    }

    /// The patch's elements must appear in `$setElementOrder` in the same relative order.
    private static func checkOrder(_ patch: [JSONValue], against order: [JSONValue], key: String?, field: String) throws {
        guard !order.isEmpty, !patch.isEmpty else { return }
        let listed = patch.filter { $0[patchDirective] == nil }
        var patchIndex = 0
        var orderIndex = 0
        while patchIndex < listed.count && orderIndex < order.count {
            let matches: Bool
            if let key {
                guard let left = listed[patchIndex].objectValue, let leftValue = left[key] else {
                    throw noMergeKey(listed[patchIndex].objectValue ?? [:], key)
                }
                guard let right = order[orderIndex].objectValue, let rightValue = right[key] else {
                    throw noMergeKey(order[orderIndex].objectValue ?? [:], key)
                }
                matches = same(leftValue, rightValue)
            } else {
                matches = same(listed[patchIndex], order[orderIndex])
            }
            if matches { patchIndex += 1 }
            orderIndex += 1
        }
        if patchIndex < listed.count {
            throw StatusError.badRequest(
                "the order in the patch list \(field) doesn't match its \(setElementOrderPrefix) list: \(JSONValue.array(patch).serializedString()) vs \(JSONValue.array(order).serializedString())")
        }
    }

    /// Puts the patch's elements in the patch's order and keeps each element only the server had
    /// where it was relative to them: when both an element only the server has and a patch element
    /// were in the original list, the earlier one there comes first.
    private static func ordered(_ merged: [JSONValue], patchOrder: [JSONValue], serverOrder: [JSONValue], key: String?) -> [JSONValue] {
        func identity(_ item: JSONValue) -> JSONValue {
            guard let key, case .object(let object) = item else { return item }
            return object[key] ?? .null
        }
        func position(_ item: JSONValue, in list: [JSONValue]) -> Int? {
            let id = identity(item)
            return list.firstIndex { same(identity($0), id) }
        }
        func sorted(_ items: [JSONValue], by order: [JSONValue]) -> [JSONValue] {
            items.enumerated()
                .map { (rank: position($0.element, in: order) ?? Int.max, offset: $0.offset, item: $0.element) }
                .sorted { ($0.rank, $0.offset) < ($1.rank, $1.offset) }
                .map(\.item)
        }
        var fromPatch: [JSONValue] = []
        var serverOnly: [JSONValue] = []
        for item in merged {
            if position(item, in: patchOrder) != nil { fromPatch.append(item) } else { serverOnly.append(item) }
        }
        let left = sorted(serverOnly, by: serverOrder)
        let right = sorted(fromPatch, by: patchOrder)
        var result: [JSONValue] = []
        result.reserveCapacity(merged.count)
        var i = 0
        var j = 0
        while i < left.count || j < right.count {
            if j >= right.count {
                result.append(left[i]); i += 1
            } else if i >= left.count {
                result.append(right[j]); j += 1
            } else if let l = position(left[i], in: serverOrder), let r = position(right[j], in: serverOrder), l < r {
                result.append(left[i]); i += 1
            } else {
                result.append(right[j]); j += 1
            }
        }
        return result
    }

    // MARK: Values

    /// Equality as JSON numbers compare (1 and 1.0 are the same merge key).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    private static func isDirectiveKey(_ key: String) -> Bool {
        key == patchDirective || key == retainKeysDirective
            || key.hasPrefix(setElementOrderPrefix + "/") || key.hasPrefix(deleteFromPrimitiveListPrefix + "/")
    }

    /// A value taken whole from a patch, without directives and nulls; nil for an object that
    /// is itself a directive.
    private static func cleaned(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object(let object):
            if object[patchDirective] != nil { return nil }
            return .object(cleanedObject(object))
        case .array(let list):
            return .array(list.compactMap(cleaned))
        case .null:
            return nil
        default:
            return value
        }
    }

    private static func cleanedObject(_ object: [String: JSONValue]) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        for (key, value) in object where !isDirectiveKey(key) {
            if let kept = cleaned(value) { result[key] = kept }
        }
        return result
    }

    /// The field a `$setElementOrder/F` or `$deleteFromPrimitiveList/F` key names.
    private static func directiveField(_ key: String, prefix: String) throws -> String {
        let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == prefix, !parts[1].isEmpty else {
            let what = prefix == setElementOrderPrefix ? "setElementOrder list" : "primitive list"
            throw StatusError.badRequest("invalid patch format of \(what): \(key)")
        }
        return String(parts[1])
    }

    private static func noMergeKey(_ object: [String: JSONValue], _ key: String) -> StatusError {
        StatusError.badRequest("map: \(JSONValue.object(object).serializedString()) does not contain declared merge key: \(key)")
    }

    private static func unknownPatchType(_ directive: JSONValue, _ object: [String: JSONValue]) -> StatusError {
        let name = directive.stringValue ?? directive.serializedString()
        return StatusError.badRequest("unknown patch type: \(name) in map: \(JSONValue.object(object).serializedString())")
    }
}
