import Foundation

/// The learning platform's tokens: `base64url(user \n expiry) . base64url(HMAC-SHA-256)`, so any
/// `auth` replica holding the same `AUTH_SECRET` can verify what another issued, with no shared
/// session store.
struct AuthToken: Sendable, Equatable {
    var user: String
    /// Seconds since 1970.
    var expires: Int64

    func signed(with key: [UInt8]) -> String {
        let payload = Array("\(user)\n\(expires)".utf8)
        return Self.base64url(payload) + "." + Self.base64url(SHA256.hmac(key: key, message: payload))
    }

    /// The token's claims when its signature is right and it has not expired at `now`.
    static func verify(_ token: String, key: [UInt8], now: Int64) -> AuthToken? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = unbase64url(parts[0]), let signature = unbase64url(parts[1]) else {
            return nil
        }
        let expected = SHA256.hmac(key: key, message: payload)
        // Compare every byte, whatever the first difference.
        guard signature.count == expected.count, zip(signature, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
            return nil
        }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "\n")
        guard fields.count == 2, let expires = Int64(fields[1]), expires > now else { return nil }
        return AuthToken(user: String(fields[0]), expires: expires)
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The bytes of canonical base64url text only: a last character that differs from the
    /// encoding in its unused low bits decodes to the same bytes, and would let a token changed
    /// there pass as the one that was signed.
    static func unbase64url(_ text: Substring) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let bytes = Data(base64Encoded: base64).map(Array.init), base64url(bytes) == text else { return nil }
        return bytes
    }
}
