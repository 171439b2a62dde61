import Foundation
import KctlModel
import KctlStore
import NIOCore
import Testing

@testable import KctlProxy

/// Scale from zero at the ingress, against real sockets: a Deployment `web` at 0 replicas behind
/// a Service and an Ingress; the test plays the node agent and the endpoints controller by
/// writing the Endpoints once "a replica is ready".
@Suite struct ScaleFromZeroTests {
    struct Setup {
        let store: any Store
        let proxy: IngressProxy
        let port: Int
        let backend: HTTPTestBackend
        let waker: CountingWaker

        func get(_ uri: String) async throws -> TestResponse {
            try await httpRequest(host: "127.0.0.1", port: port, .GET, uri)
        }

        /// The backend becomes the Service's one ready endpoint.
        func replicaReady() async throws {
            try await put(
                store, endpoints("web", portName: "http", [([backend.host], [], backend.port)]), as: .endpoints)
        }

        func replicas() async throws -> Int64? {
            try await store.get(.deployment, namespace: "default", name: "web").spec?["replicas"]?.intValue
        }

        func wakeEvents() async throws -> [KubeObject] {
            try await store.list(.event, namespace: "default").items.filter {
                $0.json["reason"]?.stringValue == "ScaledFromZero"
            }
        }
    }

    /// A `ServiceWaker` that counts its calls and passes them on.
    final class CountingWaker: ServiceWaker {
        let inner: any ServiceWaker
        let calls = Locked(0)

        init(_ inner: any ServiceWaker) { self.inner = inner }

        func wake(namespace: String, service: String) async -> ServiceWakeResult {
            calls.withLock { $0 += 1 }
            return await inner.wake(namespace: namespace, service: service)
        }
    }

    static func deployment(_ name: String, replicas: Int64) -> KubeObject {
        KubeObject([
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": [
                "replicas": .int(replicas),
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["containers": [["name": "main", "image": "web"]]],
                ],
            ],
        ])
    }

    /// `web` (Deployment at 0, Service, no ready endpoint) and `plain` (a Service with nothing
    /// behind it), both routed by one Ingress.
    func withSetup(
        wakeTimeout: Duration = .seconds(30), maxHeld: Int = 1000, _ body: (Setup) async throws -> Void
    ) async throws {
        try await withStore { store in
            let backend = try await HTTPTestBackend.start(name: "web", host: "\(loopbackBlock(first: 78)).1")
            for name in ["web", "plain"] {
                try await put(store, service(name, ports: [("http", 80)]), as: .service)
                try await put(store, endpoints(name, portName: "http", []), as: .endpoints)
            }
            try await put(store, Self.deployment("web", replicas: 0), as: .deployment)
            try await put(
                store, ingress("main", rules: [(nil, "/web", "Prefix", "web"), (nil, "/plain", "Prefix", "plain")]),
                as: .ingress)
            let waker = CountingWaker(StoreServiceWaker(store: store, logger: testLogger))
            let proxy = IngressProxy(
                store: store, logger: testLogger, host: "127.0.0.1", port: 0, waker: waker, wakeTimeout: wakeTimeout,
                maxHeldRequestsPerService: maxHeld)
            try await whileRunning([{ try await proxy.run() }]) {
                let port = try #require(await proxy.boundAddress?.port)
                try await body(Setup(store: store, proxy: proxy, port: port, backend: backend, waker: waker))
            }
            await backend.stop()
        }
    }

    @Test func theFirstRequestWakesTheDeploymentAndIsAnsweredOnceAReplicaIsReady() async throws {
        try await withSetup { setup in
            async let response = setup.get("/web/hello")
            try await eventually("the Deployment is scaled to 1") { try await setup.replicas() == 1 }
            try await eventually("a ScaledFromZero Event") { try await !setup.wakeEvents().isEmpty }
            let event = try #require(try await setup.wakeEvents().first)
            #expect(event.json["type"]?.stringValue == "Normal")
            #expect(event.json["involvedObject"]?["kind"]?.stringValue == "Deployment")
            #expect(event.json["involvedObject"]?["name"]?.stringValue == "web")
            #expect(
                event.json["message"]?.stringValue == "woken by a request at the ingress for service default/web")
            let deployment = try await setup.store.get(.deployment, namespace: "default", name: "web")
            let stamp = try #require(deployment.annotations[StoreServiceWaker.wokenAtAnnotation])
            #expect(Timestamp.parse(stamp) != nil)
            // Still held: no replica is ready yet.
            #expect(setup.proxy.heldRequests(for: "default/web") == 1)

            try await setup.replicaReady()
            let answered = try await response
            #expect(answered.status == .ok)
            #expect(answered["backend"] == "web")
            #expect(answered["uri"] == "/web/hello")
            #expect(setup.proxy.heldRequests(for: "default/web") == 0)
        }
    }

    @Test func aHeldRequestKeepsItsBody() async throws {
        try await withSetup { setup in
            async let response = httpRequest(host: "127.0.0.1", port: setup.port, .POST, "/web/upload", bodySize: 5000)
            try await eventually("the request is held") { setup.proxy.heldRequests(for: "default/web") == 1 }
            try await setup.replicaReady()
            let answered = try await response
            #expect(answered.status == .ok)
            #expect(answered["bytes"] == "5000")
        }
    }

    @Test func requestsArrivingTogetherWakeOnce() async throws {
        try await withSetup { setup in
            let count = 5
            try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for index in 0..<count { group.addTask { try await setup.get("/web/\(index)") } }
                try await eventually("all requests are held") {
                    setup.proxy.heldRequests(for: "default/web") == count
                }
                try await eventually("the Deployment is scaled to 1") { try await setup.replicas() == 1 }
                try await setup.replicaReady()
                var statuses: [UInt] = []
                for try await response in group { statuses.append(response.status.code) }
                #expect(statuses == Array(repeating: 200, count: count))
            }
            #expect(setup.waker.calls.withLock { $0 } == 1)
            let events = try await setup.wakeEvents()
            #expect(events.count == 1)
            #expect(events.first?.json["count"]?.intValue == 1)
        }
    }

    @Test func aHeldRequestGetsA503WhenNoReplicaIsReadyInTime() async throws {
        try await withSetup(wakeTimeout: .milliseconds(300)) { setup in
            let response = try await setup.get("/web")
            #expect(response.status == .serviceUnavailable)
            #expect(response.body == "service default/web was woken but no replica became ready within 300ms\n")
            #expect(try await setup.replicas() == 1)
            #expect(setup.proxy.heldRequests(for: "default/web") == 0)
        }
    }

    @Test func aServiceWithNothingToWakeIsAnswered503AtOnce() async throws {
        try await withSetup { setup in
            // The default timeout is 30 s: this answer comes from the waker finding nothing.
            let response = try await setup.get("/plain")
            #expect(response.status == .serviceUnavailable)
            #expect(response.body == "no ready endpoints for service default/plain\n")
            #expect(try await setup.wakeEvents().isEmpty)
            // A Deployment already running is nothing to wake either.
            try await put(setup.store, Self.deployment("plain", replicas: 2), as: .deployment)
            #expect(try await setup.get("/plain").body == "no ready endpoints for service default/plain\n")
            #expect(try await setup.store.get(.deployment, namespace: "default", name: "plain").annotations.isEmpty)
        }
    }

    @Test func aClientThatLeavesReleasesItsWait() async throws {
        try await withSetup { setup in
            try await withTCPConnection(host: "127.0.0.1", port: setup.port) { connection in
                try await connection.write("GET /web HTTP/1.1\r\nHost: test.local\r\n\r\n")
                try await eventually("the request is held") { setup.proxy.heldRequests(for: "default/web") == 1 }
            }
            try await eventually("the wait is released") { setup.proxy.heldRequests(for: "default/web") == 0 }
        }
    }

    @Test func heldRequestsPerServiceAreBounded() async throws {
        try await withSetup(maxHeld: 1) { setup in
            async let first = setup.get("/web/first")
            try await eventually("the first request is held") { setup.proxy.heldRequests(for: "default/web") == 1 }
            let second = try await setup.get("/web/second")
            #expect(second.status == .serviceUnavailable)
            #expect(second.body == "too many requests waiting for service default/web to wake\n")
            try await setup.replicaReady()
            #expect(try await first["uri"] == "/web/first")
        }
    }
}
