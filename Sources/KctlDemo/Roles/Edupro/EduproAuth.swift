import Foundation
import Hummingbird

/// edupro `auth` (port 8080): `POST /auth/login {user, password}` issues a signed token,
/// `GET /auth/verify?token=` (or a bearer header) says whose it is. Accounts come from
/// `AUTH_USERS` (`alice:wonderland,bob:builder`); the signing key from `AUTH_SECRET`, else a
/// random one per process (then a token verifies only on the replica that issued it).
struct EduproAuth: DemoRoleHandler {
    struct Login: Decodable {
        var user: String?
        var password: String?
    }

    struct Issued: Encodable {
        var token: String
        var user: String
        var expiresAt: String
    }

    struct Verified: Encodable {
        var user: String
        var expiresAt: String
    }

    static let defaultAccounts = "alice:wonderland,bob:builder,carol:secret"

    let accounts: [String: String]
    let key: [UInt8]
    let lifetime: Duration
    let metrics: MetricsRegistry

    init(_ environment: RoleEnvironment) {
        let settings = environment.settings
        var accounts: [String: String] = [:]
        for entry in (settings["AUTH_USERS"] ?? Self.defaultAccounts).split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            if parts.count == 2 { accounts[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1] }
        }
        self.accounts = accounts
        if let secret = settings["AUTH_SECRET"] {
            key = Array(secret.utf8)
        } else {
            key = (0..<32).map { _ in UInt8.random(in: 0...255) }
            environment.logger.warning("AUTH_SECRET not set: tokens verify only on this replica")
        }
        lifetime = settings.duration("TOKEN_TTL") ?? .seconds(3600)
        metrics = environment.metrics
        metrics.declare("auth_logins_total", .counter, help: "Logins, by result (ok, denied).")
        metrics.declare("auth_verifications_total", .counter, help: "Token checks, by result (valid, invalid).")
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post("login") { request, _ in
            var request = request
            guard let login = await request.decodeJSON(Login.self), let user = login.user, let password = login.password
            else {
                return Response.error(.badRequest, #"expected {"user": "...", "password": "..."}"#)
            }
            guard let expected = accounts[user], expected == password else {
                metrics.increment("auth_logins_total", labels: [("result", "denied")])
                return Response.error(.unauthorized, "wrong user or password")
            }
            metrics.increment("auth_logins_total", labels: [("result", "ok")])
            let expires = Int64(Date().timeIntervalSince1970 + lifetime.seconds)
            let token = AuthToken(user: user, expires: expires)
            return Response.json(.ok, Issued(token: token.signed(with: key), user: user, expiresAt: Self.time(expires)))
        }
        api.get("verify") { request, _ in
            let token = request.uri.queryParameters["token"].map(String.init) ?? request.bearerToken
            guard let token,
                let claims = AuthToken.verify(token, key: key, now: Int64(Date().timeIntervalSince1970))
            else {
                metrics.increment("auth_verifications_total", labels: [("result", "invalid")])
                return Response.error(.unauthorized, "invalid or expired token")
            }
            metrics.increment("auth_verifications_total", labels: [("result", "valid")])
            return Response.json(.ok, Verified(user: claims.user, expiresAt: Self.time(claims.expires)))
        }
    }

    static func time(_ seconds: Int64) -> String {
        Timestamp.format(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
