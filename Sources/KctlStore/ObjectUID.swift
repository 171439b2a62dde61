/// A new object's `metadata.uid`: a random (version 4) UUID in lowercase text, as Kubernetes
/// writes them. Foundation's `UUID()` opens, reads and closes `/dev/urandom` for every one, and
/// the store makes one for every create; this takes its 16 bytes from the system generator.
enum ObjectUID {
    private static let hex = Array("0123456789abcdef".utf8)

    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = (generator.next() as UInt64) & ~0xF000 | 0x4000  // the version, 4
        let low = (generator.next() as UInt64) & ~(0b11 << 62) | (0b10 << 62)  // the variant, 10
        return String(unsafeUninitializedCapacity: 36) { out in
            var position = 0
            for digit in 0..<32 {
                if digit == 8 || digit == 12 || digit == 16 || digit == 20 {
                    out[position] = UInt8(ascii: "-")
                    position += 1
                }
                let word = digit < 16 ? high : low
                out[position] = hex[Int(truncatingIfNeeded: word >> (60 - 4 * (digit % 16))) & 0xF]
                position += 1
            }
            return position
        }
    }
}
