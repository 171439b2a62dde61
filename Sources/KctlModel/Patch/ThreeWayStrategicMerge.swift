/// The strategic merge patch client-side apply sends, computed as kubectl computes it from three
/// documents: what the previous apply wrote (the last-applied annotation), the new manifest, and
/// the live object. Sending a patch rather than the whole object is what keeps what others added
/// to a list (an env entry from `set env`, a finalizer) across applies, because lists with merge
/// keys are patched element by element.
///
/// The patch is the union of two diffs:
/// - changes and additions, live -> manifest: every field the manifest sets with another value
///   live; never a deletion, so defaults and others' fields stay;
/// - deletions, last-applied -> manifest: `null` for a map key, `{"$patch":"delete", key: v}` for
///   a list element with a merge key, `$deleteFromPrimitiveList/<list>` for a merging list of
///   scalars. Only what the previous apply itself set is ever removed.
///
/// Merging lists also carry `$setElementOrder/<list>` (the manifest's order) when they change, and
/// maps declared `retainKeys` carry `$retainKeys`, as kubectl sends them. Lists without a merge
/// strategy are sent whole when they differ. An empty object means nothing to do: "unchanged".
///
///     let patch = try ThreeWayStrategicMerge.patch(
///         lastApplied: previous, manifest: modified, live: live.value, meta: .of(kind: "Deployment"))
///
/// Deliberately not done: kubectl's conflict check without `--overwrite` (kubectl apply always
/// overwrites), and its preconditions on apiVersion, kind and name, which the server enforces.
public enum ThreeWayStrategicMerge {
    /// A document that cannot be diffed by its metadata (an element without its merge key,
    /// lists of lists, lists mixing objects and scalars), as kubectl would refuse it.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The patch that turns `live` into `manifest`'s fields, deleting what `lastApplied` set and
    /// `manifest` no longer does. `lastApplied` nil (an object never applied) deletes nothing.
    public static func patch(lastApplied: JSONValue?, manifest: JSONValue, live: JSONValue, meta: PatchMeta) throws -> JSONValue {
        let modified = manifest.objectValue ?? [:]
        let delta = try diffMaps(live.objectValue ?? [:], modified, meta, Pass.changes, retainKeys: false)
        let deletions = try diffMaps(lastApplied?.objectValue ?? [:], modified, meta, Pass.deletions, retainKeys: false)
        return .object(try combine(deletions, delta, meta))
    }

    static let patchDirective = "$patch"
    static let retainKeysDirective = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder/"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

    /// Which half of the three-way diff is computed.
    enum Pass {
        /// live -> manifest, without deletions.
        case changes
        /// last-applied -> manifest, only deletions.
        case deletions
    }

    // MARK: Diff

    /// The patch from `original` to `modified` for one pass; `retainKeys` when the field (or the
    /// list the object is an element of) is declared so.
    static func diffMaps(
        _ original: [String: JSONValue], _ modified: [String: JSONValue], _ meta: PatchMeta, _ pass: Pass, retainKeys: Bool
    ) throws -> [String: JSONValue] {
        var patch: [String: JSONValue] = [:]
        for key in modified.keys.sorted() {
            let value = modified[key]!
            guard let old = original[key] else {
                if pass == .changes { patch[key] = value }
                continue
            }
            let fieldMeta = meta.field(key)
            switch (old, value) {
            case (.object(let oldObject), .object(let newObject)):
                if case .replace = fieldMeta.strategy {
                    if pass == .changes && !equal(old, value) { patch[key] = value }
                } else {
                    let nested = try diffMaps(oldObject, newObject, fieldMeta, pass, retainKeys: fieldMeta.retainKeys)
                    if !nested.isEmpty { patch[key] = .object(nested) }
                }
            case (.array(let oldList), .array(let newList)) where fieldMeta.mergesLists:
                let diff = try diffLists(oldList, newList, fieldMeta, pass, field: key)
                if !diff.patch.isEmpty { patch[key] = .array(diff.patch) }
                if !diff.deletions.isEmpty { patch[deleteFromPrimitiveListPrefix + key] = .array(diff.deletions) }
                if let order = diff.order, !order.isEmpty { patch[setElementOrderPrefix + key] = .array(order) }
            default:
                // Scalars, lists replaced whole, or a change of type.
                if pass == .changes && !equal(old, value) { patch[key] = value }
            }
        }
        if pass == .deletions {
            for key in original.keys where modified[key] == nil { patch[key] = .null }
        }
        if retainKeys {
            let kept = modified.filter { !$0.value.isNull }.keys.sorted()
            let clears = original.contains { !$0.value.isNull && modified[$0.key] == nil }
            if !kept.isEmpty && (!patch.isEmpty || clears) {
                patch[retainKeysDirective] = .array(kept.map(JSONValue.string))
            }
        }
        return patch
    }

    struct ListDiff {
        var patch: [JSONValue] = []
        /// Scalars to delete (`$deleteFromPrimitiveList`).
        var deletions: [JSONValue] = []
        /// `$setElementOrder`: the manifest's order, when the list changes.
        var order: [JSONValue]?
    }

    /// A merging list: objects by merge key, scalars as a set.
    static func diffLists(_ original: [JSONValue], _ modified: [JSONValue], _ meta: PatchMeta, _ pass: Pass, field: String) throws -> ListDiff {
        if original.isEmpty {
            // Nothing to merge with: the manifest's list as it is.
            return pass == .changes && !modified.isEmpty ? ListDiff(patch: modified) : ListDiff()
        }
        guard try holdsObjects(original + modified, field: field) else {
            return diffScalars(original, modified, pass)
        }
        guard let key = meta.mergeKey else {
            throw Failure(message: "cannot merge lists without merge key for \(field)")
        }
        let originalElements = try original.map { try element($0, key: key) }
        let modifiedElements = try modified.map { try element($0, key: key) }
        var diff = ListDiff()
        var deletes: [JSONValue] = []
        for (value, object) in modifiedElements {
            if let old = originalElements.first(where: { same($0.key, value) }) {
                var nested = try diffMaps(old.object, object, meta, pass, retainKeys: meta.retainKeys)
                if !nested.isEmpty {
                    nested[key] = value
                    diff.patch.append(.object(nested))
                }
            } else if pass == .changes {
                diff.patch.append(.object(object))
            }
        }
        if pass == .deletions {
            for (value, _) in originalElements where !modifiedElements.contains(where: { same($0.key, value) }) {
                deletes.append([key: value, patchDirective: "delete"])
            }
        }
        diff.patch += deletes
        let orderSame = originalElements.count == modifiedElements.count
            && zip(originalElements, modifiedElements).allSatisfy { same($0.key, $1.key) }
        if !diff.patch.isEmpty || (pass == .changes && !orderSame) {
            diff.order = modifiedElements.map { [key: $0.key] }
        }
        return diff
    }

    /// A merging list of scalars (finalizers): additions in the patch, deletions in the parallel
    /// list, the manifest's order whenever the list differs.
    static func diffScalars(_ original: [JSONValue], _ modified: [JSONValue], _ pass: Pass) -> ListDiff {
        var diff = ListDiff()
        switch pass {
        case .changes:
            diff.patch = modified.filter { item in !original.contains { same($0, item) } }
            if !equal(.array(original), .array(modified)) { diff.order = modified }
        case .deletions:
            for item in original where !modified.contains(where: { same($0, item) }) && !diff.deletions.contains(where: { same($0, item) }) {
                diff.deletions.append(item)
            }
            if !diff.deletions.isEmpty { diff.order = modified }
        }
        return diff
    }

    /// Whether a list holds objects (else scalars).
    static func holdsObjects(_ items: [JSONValue], field: String) throws -> Bool {
        var kind: String?
        for item in items {
            if case .array = item { throw Failure(message: "lists of lists are not supported: \(field)") }
            if let kind, kind != item.typeName {
                throw Failure(message: "list element types are not identical in \(field): \(kind) and \(item.typeName)")
            }
            kind = item.typeName
        }
        return kind == "object"
    }

    static func element(_ item: JSONValue, key: String) throws -> (key: JSONValue, object: [String: JSONValue]) {
        guard case .object(let object) = item, let value = object[key] else {
            throw Failure(message: "map: \(item.serializedString()) does not contain declared merge key: \(key)")
        }
        return (value, object)
    }

    // MARK: Combining the two passes

    /// The deletions with the changes merged in. Neither pass removes what the other adds, so
    /// this only unions them: maps key by key, merging lists by merge key (elements in the
    /// manifest's order, deletions last), directives side by side.
    static func combine(_ base: [String: JSONValue], _ patch: [String: JSONValue], _ meta: PatchMeta) throws -> [String: JSONValue] {
        var result = base
        for (key, value) in patch {
            guard let current = result[key], !key.hasPrefix("$") else {
                result[key] = value
                continue
            }
            let fieldMeta = meta.field(key)
            switch (current, value) {
            case (.object(let a), .object(let b)):
                if case .replace = fieldMeta.strategy {
                    result[key] = value
                } else {
                    result[key] = .object(try combine(a, b, fieldMeta))
                }
            case (.array(let a), .array(let b)) where fieldMeta.mergesLists:
                let order = (result[setElementOrderPrefix + key] ?? patch[setElementOrderPrefix + key])?.arrayValue
                result[key] = .array(try combineLists(a, b, fieldMeta, order: order, field: key))
            default:
                result[key] = value
            }
        }
        return result
    }

    static func combineLists(_ base: [JSONValue], _ patch: [JSONValue], _ meta: PatchMeta, order: [JSONValue]?, field: String) throws -> [JSONValue] {
        guard try holdsObjects(base + patch, field: field) else {
            return base + patch.filter { item in !base.contains { same($0, item) } }
        }
        guard let key = meta.mergeKey else { throw Failure(message: "cannot merge lists without merge key for \(field)") }
        var merged = base
        for item in patch {
            let (value, object) = try element(item, key: key)
            if let at = try merged.firstIndex(where: { try same(element($0, key: key).key, value) }) {
                merged[at] = .object(try combine(merged[at].objectValue ?? [:], object, meta))
            } else {
                merged.append(item)
            }
        }
        // Elements in the manifest's order, deletions after them, so the list agrees with its
        // `$setElementOrder` (the server checks that it does).
        func rank(_ item: JSONValue) -> Int {
            if item[patchDirective] != nil { return Int.max }
            let value = item[key] ?? .null
            return order?.firstIndex { same($0[key] ?? .null, value) } ?? Int.max - 1
        }
        return merged.enumerated()
            .sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }
            .map(\.element)
    }

    // MARK: Values

    /// Numbers compare by value (1 and 1.0 are the same), everything else structurally.
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    /// Deep equality with numbers compared by value.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default:
            return same(a, b)
        }
    }
}
