import Foundation
import KctlModel

/// Client-side apply's decision for one manifest, as a pure function of the manifest and the
/// live object: create it, leave it, or replace it with the manifest merged over the live object.
///
/// The merge is three-way, like kubectl's: fields the manifest sets win; fields the previous
/// apply set (the `last-applied-configuration` annotation) and the manifest no longer sets are
/// removed; everything else on the live object (status, server-set metadata, defaults such as a
/// Service's clusterIP, labels added by others) is kept. Maps merge key by key; lists are
/// replaced whole (JSON merge-patch semantics, not strategic merge by element name).
public enum ApplyPlan {
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    public enum Decision: Sendable, Equatable {
        /// POST this (the manifest with the last-applied annotation).
        case create(KubeObject)
        /// The live object already has every field the manifest sets.
        case unchanged
        /// PUT this (live merged with the manifest, live's resourceVersion kept).
        case update(KubeObject)
    }

    public static func decide(manifest: KubeObject, live: KubeObject?) -> Decision {
        let applied = lastApplied(of: manifest)
        var desired = manifest
        desired.annotations[lastAppliedAnnotation] = applied
        guard let live else { return .create(desired) }

        let previousText = live.annotations[lastAppliedAnnotation]
        if previousText == applied, isSubset(asStored(stripAnnotation(manifest)).value, of: live.value) {
            return .unchanged
        }
        let previous = previousText.flatMap { try? JSONValue.parse($0) }
        var merged = try! KubeObject(json: merge(live: live.value, previous: previous, manifest: desired.value))
        // The manifest's own resourceVersion (if any) must not defeat optimistic concurrency.
        merged.resourceVersion = live.resourceVersion
        return .update(merged)
    }

    /// The compact JSON kubectl stores: the manifest without the annotation itself.
    public static func lastApplied(of manifest: KubeObject) -> String {
        stripAnnotation(manifest).value.serializedString()
    }

    /// The manifest as the server stores it, for comparison: a Secret's `stringData` becomes
    /// base64 `data` (the server folds it in and never returns `stringData`).
    static func asStored(_ manifest: KubeObject) -> KubeObject {
        guard manifest.kind == "Secret", let stringData = manifest["stringData"]?.objectValue else { return manifest }
        var copy = manifest
        var data = copy["data"]?.objectValue ?? [:]
        for (key, value) in stringData {
            if let text = value.stringValue { data[key] = .string(Data(text.utf8).base64EncodedString()) }
        }
        copy["stringData"] = nil
        copy["data"] = .object(data)
        return copy
    }

    private static func stripAnnotation(_ object: KubeObject) -> KubeObject {
        var copy = object
        if copy.annotations[lastAppliedAnnotation] != nil {
            copy.annotations[lastAppliedAnnotation] = nil
            if copy.metadata["annotations"]?.objectValue?.isEmpty ?? false { copy.metadata["annotations"] = nil }
        }
        return copy
    }

    /// Whether every field `part` sets has the same value in `whole`. Lists must have the same
    /// length and match element by element (so server defaults inside elements do not count as
    /// changes); empty maps/lists and null match a missing field; numbers compare by value.
    public static func isSubset(_ part: JSONValue, of whole: JSONValue?) -> Bool {
        switch part {
        case .object(let fields):
            guard let whole else { return fields.isEmpty }
            guard case .object(let wholeFields) = whole else { return false }
            return fields.allSatisfy { key, value in isSubset(value, of: wholeFields[key]) }
        case .array(let items):
            guard let whole else { return items.isEmpty }
            guard case .array(let wholeItems) = whole, wholeItems.count == items.count else { return false }
            return zip(items, wholeItems).allSatisfy { isSubset($0, of: $1) }
        case .null:
            return whole == nil || whole == .null
        case .int, .double:
            guard let a = part.doubleValue, let b = whole?.doubleValue else { return false }
            return a == b
        default:
            return part == whole
        }
    }

    /// `live` with `manifest` merged over it; keys in `previous` that `manifest` dropped are removed.
    public static func merge(live: JSONValue, previous: JSONValue?, manifest: JSONValue) -> JSONValue {
        guard case .object(let manifestFields) = manifest, case .object(var result) = live else { return manifest }
        for (key, value) in manifestFields {
            if case .object = value, let current = result[key], case .object = current {
                result[key] = merge(live: current, previous: previous?[key], manifest: value)
            } else if value == .null {
                result[key] = nil
            } else {
                result[key] = value
            }
        }
        for key in (previous?.objectValue ?? [:]).keys where manifestFields[key] == nil {
            result[key] = nil
        }
        return .object(result)
    }
}
