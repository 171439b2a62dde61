/// Names for objects created with `generateName`: the base (cut so the name fits 63 characters)
/// and five random characters from Kubernetes' alphabet, which has no vowels.
public struct NameGenerator: Sendable {
    public static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
    static let maxNameLength = 63
    static let randomLength = 5

    private let random: @Sendable () -> UInt64

    /// - Parameter random: the source of randomness (tests pass a seeded one).
    public init(random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }) {
        self.random = random
    }

    /// `web-7d9f8b6c5-` → `web-7d9f8b6c5-x2k9p`.
    public func name(base: String) -> String {
        let prefix = base.count > Self.maxNameLength - Self.randomLength
            ? String(base.prefix(Self.maxNameLength - Self.randomLength)) : base
        var value = random()
        var suffix = ""
        for _ in 0..<Self.randomLength {
            suffix.append(Self.alphabet[Int(value % UInt64(Self.alphabet.count))])
            value /= UInt64(Self.alphabet.count)
        }
        return prefix + suffix
    }
}
