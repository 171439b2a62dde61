import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import KctlAgent

@Suite struct PodIPAllocatorTests {
    @Test func podsGetDistinctAddressesAndKeepTheirs() {
        let allocator = PodIPAllocator(listening: { [] })
        let a = allocator.allocate(for: "a")
        let b = allocator.allocate(for: "b")
        #expect(a == "127.1.0.1")
        #expect(b == "127.1.0.2")
        #expect(allocator.allocate(for: "a") == a)
        allocator.release(uid: "a")
        #expect(allocator.allocate(for: "c", preferring: "127.1.0.9") == "127.1.0.9")
        #expect(allocator.allocate(for: "d", preferring: "127.1.0.9") != "127.1.0.9", "taken by c")
        #expect(allocator.owner(of: "127.1.0.9") == "c")
    }

    @Test func addressesOtherProgramsListenOnAreSkipped() async throws {
        // Something else on this host listens on 127.1.0.1 (another kctld's pod, say).
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.1.0.1", port: 0).get()
        #expect(PodIPAllocator.listeningHosts(prefix: (127, 1)).contains(1))
        let allocator = PodIPAllocator()
        #expect(allocator.allocate(for: "a") != "127.1.0.1")
        try await channel.close()
    }
}
