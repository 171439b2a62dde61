import Foundation
import Testing

@testable import KctlStore

/// New objects' uids are random version-4 UUIDs in the text form Kubernetes uses.
@Suite struct ObjectUIDTests {
    @Test func uidsAreVersion4UUIDsInLowercaseText() throws {
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let uid = ObjectUID.make()
            let parsed = try #require(UUID(uuidString: uid), "\(uid)")
            #expect(uid == parsed.uuidString.lowercased())
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version: \(uid)")
            #expect(bytes.8 >> 6 == 0b10, "variant: \(uid)")
            seen.insert(uid)
        }
        #expect(seen.count == 10_000)
    }
}
