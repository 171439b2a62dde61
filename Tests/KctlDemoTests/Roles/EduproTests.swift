import Foundation
import Testing

@testable import KctlDemo

/// The learning platform: log in at auth, read a course with the token, which course checks
/// with auth through its Service variables.
@Suite struct EduproTests {
    struct Issued: Decodable { var token: String }

    @Test func theTokenFlow() async throws {
        try await Demo.with(.eduproAuth, ["AUTH_SECRET": "s3cret", "AUTH_USERS": "alice:wonderland"]) { auth in
            let address = try #require(ListenAddress(String(auth.dropFirst("http://".count))))
            let courseEnvironment = ["AUTH_SERVICE_HOST": address.host, "AUTH_SERVICE_PORT": String(address.port)]
            try await Demo.with(.eduproCourse, courseEnvironment) { course in
                let wrong = try await Demo.http.post("\(auth)/auth/login", json: #"{"user":"alice","password":"nope"}"#)
                #expect(wrong.status == 401)
                let login = try await Demo.http.post(
                    "\(auth)/auth/login", json: #"{"user":"alice","password":"wonderland"}"#)
                #expect(login.status == 200)
                let token = try login.decode(Issued.self).token

                let verified = try await Demo.http.get("\(auth)/auth/verify?token=\(token)")
                #expect(verified.status == 200 && verified.body.contains("alice"))

                let list = try await Demo.http.get("\(course)/course/courses").decode([EduproCourse.Course].self)
                #expect(list.count == EduproCourse.catalogue.count)
                #expect(try await Demo.http.get("\(course)/course/courses/1").status == 401)
                #expect(
                    try await Demo.http.get(
                        "\(course)/course/courses/1", headers: [("Authorization", "Bearer forged.token")]
                    )
                    .status == 401)
                let page = try await Demo.http.get(
                    "\(course)/course/courses/1", headers: [("Authorization", "Bearer \(token)")])
                #expect(page.status == 200)
                #expect(page.body.contains(#""viewer":"alice""#))
                #expect(try await Demo.http.get("\(course)/courses/2?token=\(token)").status == 200)
                #expect(try await Demo.http.get("\(course)/course/courses/99?token=\(token)").status == 404)
            }
        }
    }

    @Test func tokensAreSignedAndExpire() {
        let key = Array("key".utf8)
        let token = AuthToken(user: "bob", expires: 1_000).signed(with: key)
        #expect(AuthToken.verify(token, key: key, now: 999) == AuthToken(user: "bob", expires: 1_000))
        #expect(AuthToken.verify(token, key: key, now: 1_000) == nil)
        #expect(AuthToken.verify(token, key: Array("other".utf8), now: 0) == nil)
        let forged = AuthToken(user: "root", expires: 1_000).signed(with: Array("guess".utf8))
        let spliced = String(forged.prefix { $0 != "." }) + String(token.drop { $0 != "." })
        #expect(AuthToken.verify(spliced, key: key, now: 0) == nil)
    }

    /// A 32-byte signature is 43 base64url characters, the last carrying 2 unused bits: a token
    /// changed only there decodes to the same bytes and must still be refused (`demo-edupro`
    /// forges its token by replacing the last character, and passed it when that was all).
    @Test func aTokenChangedInTheSignaturesUnusedBitsIsRefused() throws {
        let key = Array("key".utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var checked = 0
        for expires in Int64(1_000)..<1_200 {
            let token = AuthToken(user: "bob", expires: expires).signed(with: key)
            let last = try #require(alphabet.firstIndex(of: token.last!))
            let twin = String(token.dropLast()) + String(alphabet[last ^ 1])  // the same high 4 bits
            #expect(AuthToken.verify(token, key: key, now: 0) != nil)
            #expect(AuthToken.verify(twin, key: key, now: 0) == nil)
            checked += 1
        }
        #expect(checked == 200)
    }
}
