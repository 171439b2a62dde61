import KctlTestSupport
import Testing

extension IngressProxyTests {
    /// Randomly edited requests (fixed seeds) on real connections, each sent and half-closed:
    /// whatever the ingress makes of them, it ends every connection and goes on serving. This
    /// runs the connection handler's states (pipelining, bodies being discarded, `100-continue`,
    /// upgrades, answers of its own) on input no client sends on purpose.
    @Test func editedRequestsOnRealConnectionsLeaveTheIngressServing() async throws {
        let seeds = [
            "GET /a/1 HTTP/1.1\r\nHost: test.local\r\n\r\nGET /nothing HTTP/1.1\r\nHost: test.local\r\n\r\n",
            "POST /b/2 HTTP/1.1\r\nHost: test.local\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /a/3 HTTP/1.1\r\nHost: test.local\r\nConnection: close\r\n\r\n",
            "PUT /a/4 HTTP/1.1\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
                + "3\r\nabc\r\n0\r\n\r\n",
            "GET /a/ws HTTP/1.1\r\nHost: test.local\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nframes",
            "GET /empty HTTP/1.0\r\n\r\nGET /missing HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n",
        ]
        try await withSetup { setup in
            var random = ByteMutator(seed: 0x696e_6772, telling: FramerFuzzTests.telling)
            for seed in seeds {
                for bytes in random.variants(of: seed, count: 40) {
                    try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                        try await connection.write(bytes)
                        connection.finish()
                        // Read until the ingress closes: it must not hold the connection forever.
                        while try await connection.read(count: 1) != nil {}
                    }
                }
            }
            let response = try await setup.get("/a/after")
            #expect(response.status == .ok)
        }
    }
}
