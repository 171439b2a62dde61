import KctlModel
import KctlStore
import NIOPosix
import Testing

@testable import KctlProxy

/// The service proxy against real sockets: backends on 127.77.x.y, ClusterIPs on 127.78.x.y.
@Suite struct ServiceProxyTests {
    /// A ClusterIP Service `web` on a free port, two name-echo backends behind it, and a running
    /// proxy with its listener up.
    struct Setup {
        let store: any Store
        let proxy: ServiceProxy
        let clusterIP: String
        let port: Int
        let a: NameEchoServer
        let b: NameEchoServer
        let block: String

        /// The name the backend greets a new connection through the ClusterIP with; nil when the
        /// connection ends first.
        func greeting() async throws -> String? {
            try await withTCPConnection(host: clusterIP, port: port) { try await $0.readLine() }
        }

        func setEndpoints(_ subsets: [(ready: [String], notReady: [String], port: Int)]) async throws {
            try await put(store, endpoints("web", subsets), as: .endpoints)
        }
    }

    func withSetup(_ body: (Setup) async throws -> Void) async throws {
        try await withStore { store in
            let block = loopbackBlock(first: 77)
            let a = try await NameEchoServer.start(name: "a", host: "\(block).1")
            let b = try await NameEchoServer.start(name: "b", host: "\(block).2")
            let clusterIP = "\(loopbackBlock(first: 78)).1"
            let port = try await freePort(on: clusterIP)
            try await put(store, service("web", clusterIP: clusterIP, ports: [(nil, port)]), as: .service)
            let setup = Setup(
                store: store, proxy: ServiceProxy(store: store, logger: testLogger, nodeAddress: "\(block).254"),
                clusterIP: clusterIP, port: port, a: a, b: b, block: block)
            try await setup.setEndpoints([([a.host], [], a.port), ([b.host], [], b.port)])
            try await whileRunning([{ try await setup.proxy.run() }]) {
                try await eventually("the proxy listens on \(clusterIP):\(port)") {
                    setup.proxy.listeners["\(clusterIP):\(port)"] == "default/web:\(port)"
                }
                try await body(setup)
            }
            await a.stop()
            await b.stop()
        }
    }

    @Test func forwardsToTwoBackendsRoundRobinAndEchoes() async throws {
        try await withSetup { setup in
            var seen: [String] = []
            for _ in 0..<4 { seen.append(try await setup.greeting() ?? "closed") }
            #expect(seen.filter { $0 == "a" }.count == 2)
            #expect(seen.filter { $0 == "b" }.count == 2)
            #expect(seen[0] != seen[1])
            let echoed = try await withTCPConnection(host: setup.clusterIP, port: setup.port) { connection in
                _ = try await connection.readLine()
                try await connection.write("hello through the proxy\n")
                return try await connection.readLine()
            }
            #expect(echoed == "hello through the proxy")
        }
    }

    @Test func passesAHalfCloseOn() async throws {
        try await withSetup { setup in
            // The backend closes once our side is done sending; everything sent before comes back.
            let (greeting, echoed, closed) = try await withTCPConnection(host: setup.clusterIP, port: setup.port) {
                connection in
                let greeting = try await connection.readLine()
                try await connection.write("last words\n")
                connection.finish()
                let echoed = try await connection.readLine()
                return (greeting, echoed, try await connection.closesWithoutData())
            }
            #expect(greeting != nil)
            #expect(echoed == "last words")
            #expect(closed)
        }
    }

    @Test func skipsAnEndpointThatRefuses() async throws {
        try await withSetup { setup in
            // .9 has no listener: its connects are refused, and b takes every connection.
            try await setup.setEndpoints([(["\(setup.block).9"], [], setup.b.port), ([setup.b.host], [], setup.b.port)])
            try await eventually("only b answers") {
                var names: Set<String> = []
                for _ in 0..<4 { names.insert(try await setup.greeting() ?? "closed") }
                return names == ["b"]
            }
        }
    }

    @Test func refusesWhenNoEndpointIsReadyAndResetsWhenNoneAccepts() async throws {
        try await withSetup { setup in
            // Not-ready addresses do not count: the listener goes away and connects are refused.
            try await setup.setEndpoints([([], [setup.a.host], setup.a.port)])
            try await eventually("the listener closes") { setup.proxy.listeners.isEmpty }
            try await eventually("connects to \(setup.clusterIP) refused") {
                await connectIsRefused(host: setup.clusterIP, port: setup.port)
            }

            // Ready but dead: the connection is accepted, then reset without a byte (so fast
            // that the client may see the reset as a failed connect).
            try await setup.setEndpoints([(["\(setup.block).9"], [], setup.a.port)])
            try await eventually("the listener is back") { !setup.proxy.listeners.isEmpty }
            let closed: Bool
            do {
                closed = try await withTCPConnection(host: setup.clusterIP, port: setup.port) {
                    try await $0.closesWithoutData()
                }
            } catch let error as NIOConnectionError {
                closed = error.connectionErrors.contains { "\($0.error)".contains("reset") }
            }
            #expect(closed)
        }
    }

    @Test func followsAnEndpointsChangeWithoutDroppingAnOpenConnection() async throws {
        try await withSetup { setup in
            try await setup.setEndpoints([([setup.a.host], [], setup.a.port)])
            try await eventually("new connections go to a") { try await setup.greeting() == "a" }
            try await withTCPConnection(host: setup.clusterIP, port: setup.port) { open in
                #expect(try await open.readLine() == "a")
                try await setup.setEndpoints([([setup.b.host], [], setup.b.port)])
                try await eventually("new connections go to b") { try await setup.greeting() == "b" }
                try await open.write("still here\n")
                #expect(try await open.readLine() == "still here")
            }
        }
    }

    @Test func followsServiceChangesAndDeletion() async throws {
        try await withSetup { setup in
            // A NodePort Service also listens on the node address.
            let nodeAddress = "\(setup.block).254"
            let nodePort = try await freePort(on: nodeAddress)
            try await put(
                setup.store,
                service(
                    "web", clusterIP: setup.clusterIP, ports: [(nil, setup.port)], type: "NodePort",
                    nodePorts: [nodePort]),
                as: .service)
            try await eventually("the node port listens") {
                setup.proxy.listeners["\(nodeAddress):\(nodePort)"] == "default/web:\(setup.port)"
            }
            let viaNodePort = try await withTCPConnection(host: nodeAddress, port: nodePort) { try await $0.readLine() }
            #expect(viaNodePort == "a" || viaNodePort == "b")

            // A new ClusterIP moves the listener.
            let movedIP = "\(loopbackBlock(first: 78)).2"
            try await put(setup.store, service("web", clusterIP: movedIP, ports: [(nil, setup.port)]), as: .service)
            try await eventually("the listener moves") {
                setup.proxy.listeners == ["\(movedIP):\(setup.port)": "default/web:\(setup.port)"]
            }
            try await eventually("connects to \(setup.clusterIP) refused") {
                await connectIsRefused(host: setup.clusterIP, port: setup.port)
            }
            try await eventually("connects to \(nodeAddress) refused") {
                await connectIsRefused(host: nodeAddress, port: nodePort)
            }
            let moved = try await withTCPConnection(host: movedIP, port: setup.port) { try await $0.readLine() }
            #expect(moved == "a" || moved == "b")

            // Deleting the Service closes it.
            _ = try await setup.store.delete(.service, namespace: "default", name: "web")
            try await eventually("the listener closes") { setup.proxy.listeners.isEmpty }
            try await eventually("connects to \(movedIP) refused") {
                await connectIsRefused(host: movedIP, port: setup.port)
            }
        }
    }

    @Test func plansListenersFromServices() {
        let services = [
            service("web", clusterIP: "127.2.0.1", ports: [("http", 80), ("admin", 81)]),
            service("headless", clusterIP: "None", ports: [(nil, 80)]),
            service("node", clusterIP: "127.2.0.2", ports: [(nil, 80)], type: "NodePort", nodePorts: [30080]),
            service("clash", clusterIP: "127.2.0.1", ports: [(nil, 80)]),
            service("idle", clusterIP: "127.2.0.3", ports: [(nil, 80)]),
        ]
        let plan = ServiceListenerPlan(services: services, nodeAddress: "127.0.0.1") { $0.service != "idle" }
        #expect(
            plan.listeners.mapValues(\.description) == [
                .init(host: "127.2.0.1", port: 81): "default/web:admin",
                .init(host: "127.2.0.2", port: 80): "default/node:80",
                .init(host: "127.0.0.1", port: 30080): "default/node:80",
                // "clash" sorts first and keeps 127.2.0.1:80.
                .init(host: "127.2.0.1", port: 80): "default/clash:80",
            ])
        #expect(plan.conflicts.count == 1)
        #expect(plan.conflicts.first?.contains("default/web:http") == true)
    }
}
