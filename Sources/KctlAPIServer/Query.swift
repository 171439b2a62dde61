/// Decoded query parameters. Kubernetes clients encode spaces as `+` (Go's url.Values), which a
/// plain percent-decoder leaves alone, so this decodes both.
struct Query {
    private var values: [String: String] = [:]
    /// Every pair in order, for keys that repeat (`command=sh&command=-c`).
    private var pairs: [(key: String, value: String)] = []

    init(_ raw: String?) {
        guard let raw else { return }
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Query.decode(kv[0])
            let value = kv.count > 1 ? Query.decode(kv[1]) : ""
            values[key] = value
            pairs.append((key, value))
        }
    }

    subscript(key: String) -> String? { values[key] }

    /// Every value given for `key`, in order.
    func all(_ key: String) -> [String] { pairs.filter { $0.key == key }.map(\.value) }

    func bool(_ key: String) -> Bool {
        guard let v = values[key] else { return false }
        return v == "true" || v == "1" || v == ""
    }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
