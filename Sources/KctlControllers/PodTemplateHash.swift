import KctlModel

/// The `pod-template-hash` of a pod template: FNV-32a over the template's canonical JSON (sorted
/// keys, without a `pod-template-hash` label), mixed with the Deployment's collision count, and
/// written with the digits of its decimal form mapped onto characters that never spell words
/// (as Kubernetes' `SafeEncodeString`), e.g. `7d9f8b6c5`.
public enum PodTemplateHash {
    public static let label = "pod-template-hash"

    /// The generated-name alphabet: vowels and look-alike digits left out, so names never spell words.
    static let alphabet = NameGenerator.alphabet

    public static func compute(_ template: JSONValue, collisionCount: Int32? = nil) -> String {
        var hash = FNV32a()
        hash.add(withoutHashLabel(template).serialized())
        if let collisionCount, collisionCount > 0 {
            hash.add(Array(String(collisionCount).utf8))
        }
        return safeEncode(String(hash.value))
    }

    /// The template with the `pod-template-hash` label removed (the labels map too, when it empties).
    public static func withoutHashLabel(_ template: JSONValue) -> JSONValue {
        guard var metadata = template["metadata"]?.objectValue, var labels = metadata["labels"]?.objectValue,
            labels[label] != nil
        else { return template }
        labels[label] = nil
        metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        var copy = template
        copy["metadata"] = .object(metadata)
        return copy
    }

    /// Maps each character to the safe alphabet.
    static func safeEncode(_ text: String) -> String {
        String(text.utf8.map { alphabet[Int($0) % alphabet.count] })
    }
}

/// The 32-bit Fowler–Noll–Vo hash, variant 1a.
struct FNV32a {
    private(set) var value: UInt32 = 2_166_136_261

    mutating func add(_ bytes: [UInt8]) {
        for byte in bytes {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
    }
}
