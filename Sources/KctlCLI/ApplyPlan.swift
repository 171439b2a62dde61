import Foundation
import KctlModel

/// Client-side apply's decision for one manifest, as a pure function of the manifest and the
/// live object: create it, leave it, or patch it.
///
/// The patch is kubectl's: a three-way strategic merge patch (`ThreeWayStrategicMerge`) from the
/// previous apply (the `last-applied-configuration` annotation), the manifest and the live object.
/// Fields the manifest sets win; fields the previous apply set and the manifest no longer sets are
/// removed; everything else on the live object (status, server-set metadata, defaults such as a
/// Service's clusterIP, labels and env entries added by others) is kept, lists with merge keys
/// element by element. So kctl and kubectl find the same objects unchanged and send the same
/// patches, and either may follow the other.
public enum ApplyPlan {
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    public enum Decision: Sendable, Equatable {
        /// POST this (the manifest with the last-applied annotation).
        case create(KubeObject)
        /// The patch would be empty: nothing to send.
        case unchanged
        /// PATCH with this strategic merge patch (which also updates the annotation). `merged` is
        /// only what a client dry run validates: the manifest merged over the live object with
        /// lists taken whole, since the strategic merge itself is the server's.
        case patch(JSONValue, merged: KubeObject)
    }

    /// - Throws: `ThreeWayStrategicMerge.Failure` for a manifest its merge keys cannot diff
    ///   (such as a container without a name).
    public static func decide(manifest: KubeObject, live: KubeObject?) throws -> Decision {
        let desired = annotated(manifest, with: lastApplied(of: manifest))
        guard let live else { return .create(desired) }

        let previous = live.annotations[lastAppliedAnnotation].flatMap { try? JSONValue.parse($0) }
        let patch = try ThreeWayStrategicMerge.patch(
            lastApplied: previous.map(asStored), manifest: asStored(desired.value), live: live.value,
            meta: .of(kind: live.kind.isEmpty ? manifest.kind : live.kind))
        if patch == [:] { return .unchanged }
        var merged = try! KubeObject(json: merge(live: live.value, previous: previous, manifest: desired.value))
        // The manifest's own resourceVersion (if any) must not defeat optimistic concurrency.
        merged.resourceVersion = live.resourceVersion
        return .patch(patch, merged: merged)
    }

    /// The text kubectl stores, byte for byte, so that neither tool sees a change in the other's
    /// apply: the manifest as compact JSON with sorted keys, its own annotation removed but the
    /// `annotations` map kept (empty if need be), `<`, `>`, `&` escaped as Go's encoder writes
    /// them, and a final newline.
    public static func lastApplied(of manifest: KubeObject) -> String {
        // Byte by byte: U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
        var json = annotated(manifest, with: nil).value.serializedString()
        return json.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                switch byte {
                case UInt8(ascii: "<"): out += Array("\\u003c".utf8)
                case UInt8(ascii: ">"): out += Array("\\u003e".utf8)
                case UInt8(ascii: "&"): out += Array("\\u0026".utf8)
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    out += Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8)
                    i += 2
                default: out.append(byte)
                }
                i += 1
            }
            out.append(UInt8(ascii: "\n"))
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `manifest` with the last-applied annotation set to `text` (nil: removed), every other
    /// annotation as it was, and an `annotations` map even if empty, as kubectl leaves it.
    static func annotated(_ manifest: KubeObject, with text: String?) -> KubeObject {
        var copy = manifest
        var annotations = copy.metadata["annotations"]?.objectValue ?? [:]
        annotations[lastAppliedAnnotation] = text.map(JSONValue.string)
        copy.metadata["annotations"] = .object(annotations)
        return copy
    }

    /// A manifest as the server stores it, for comparison: a Secret's `stringData` becomes
    /// base64 `data` (the server folds it in and never returns `stringData`). So kctl, unlike
    /// kubectl (kubernetes/kubernetes#87736), finds such a Secret unchanged when it is.
    static func asStored(_ manifest: JSONValue) -> JSONValue {
        guard manifest["kind"] == "Secret", let stringData = manifest["stringData"]?.objectValue else { return manifest }
        var copy = manifest
        var data = copy["data"]?.objectValue ?? [:]
        for (key, value) in stringData {
            if let text = value.stringValue { data[key] = .string(Data(text.utf8).base64EncodedString()) }
        }
        copy["stringData"] = nil
        copy["data"] = .object(data)
        return copy
    }

    /// `live` with `manifest` merged over it; keys in `previous` that `manifest` dropped are removed;
    /// lists are replaced whole. Only a client dry run's preview: the real merge is the server's.
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
