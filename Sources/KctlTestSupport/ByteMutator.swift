import KctlModel

/// Random edits of sample inputs for the parsers' fuzz tests, from a fixed seed so that a failure
/// names an input that can be made again. Each parser test says which bytes mean something to it.
public struct ByteMutator: RandomNumberGenerator {
    private var random: SplitMix64
    /// Bytes an edit favours: those the parser under test treats specially.
    public let telling: [UInt8]

    public init(seed: UInt64, telling: some StringProtocol) {
        random = SplitMix64(seed: seed)
        self.telling = Array(telling.utf8) + [0x00, 0x7F, 0x80, 0xFF]
    }

    public mutating func next() -> UInt64 { random.next() }

    /// `seed` with one to three random edits: a byte changed or inserted, a byte or a run
    /// deleted, a run repeated.
    public mutating func mutated(_ seed: [UInt8]) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...3, using: &self) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &self)
            let byte = Bool.random(using: &self) ? telling.randomElement(using: &self)! : UInt8.random(in: 0...255, using: &self)
            switch Int.random(in: 0..<5, using: &self) {
            case 0 where !bytes.isEmpty: bytes[at] = byte
            case 1: bytes.insert(byte, at: at)
            case 2 where !bytes.isEmpty: bytes.remove(at: at)
            case 3 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &self)))
            default:
                let run = bytes[at..<min(bytes.count, at + Int.random(in: 1...12, using: &self))]
                bytes.insert(contentsOf: run, at: at)
            }
        }
        return bytes
    }

    /// `seed` as it is, then `count - 1` random edits of it.
    public mutating func variants(of seed: [UInt8], count: Int) -> [[UInt8]] {
        [seed] + (1..<max(count, 1)).map { _ in mutated(seed) }
    }

    /// `variants(of:count:)` of a text's UTF-8 bytes.
    public mutating func variants(of seed: String, count: Int) -> [[UInt8]] {
        variants(of: Array(seed.utf8), count: count)
    }

    /// Read sizes for `count` bytes: all at once (style 0), a byte at a time (1), or random
    /// pieces of up to 16 bytes (2).
    public mutating func splits(_ count: Int, style: Int) -> [Int] {
        switch style {
        case 0: return [max(count, 1)]
        case 1: return Array(repeating: 1, count: max(count, 1))
        default:
            var sizes: [Int] = []
            var left = count
            while left > 0 {
                let size = min(left, Int.random(in: 1...16, using: &self))
                sizes.append(size)
                left -= size
            }
            return sizes.isEmpty ? [1] : sizes
        }
    }
}
