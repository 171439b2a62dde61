import Foundation
import KctlAPIServer
import KctlClient
import KctlModel
import KctlTestSupport
import Testing

/// Cluster IPs and node ports: the pure allocation first, then through the API of a real kctld.
@Suite struct ServiceAllocationTests {
    static func service(
        _ name: String, type: String? = nil, clusterIP: String? = nil, ports: [ServicePort] = [ServicePort(port: 80)]
    ) -> Service {
        Service(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: ServiceSpec(ports: ports, selector: ["app": name], clusterIP: clusterIP, type: type ?? "ClusterIP"))
    }

    static func ip(_ text: String) -> UInt32 {
        let octets = text.split(separator: ".").map { UInt32($0)! }
        return octets.reduce(0) { $0 << 8 | $1 }
    }

    static func invalid(_ body: () throws -> Void) -> StatusError? {
        do {
            try body()
            return nil
        } catch let error as StatusError {
            return error
        } catch {
            return nil
        }
    }

    // MARK: Cluster IPs

    @Test func picksTheLowestFreeAddressAndMirrorsItInClusterIPs() throws {
        var allocation = ServiceAllocation(usedIPs: [Self.ip("127.2.0.1"), Self.ip("127.2.0.3")])
        let first = try allocation.assign(Self.service("a"))
        #expect(first.spec?.clusterIP == "127.2.0.2")
        #expect(first.spec?.clusterIPs == ["127.2.0.2"])
        #expect(first.spec?.ipFamilies == ["IPv4"])
        #expect(first.spec?.ipFamilyPolicy == "SingleStack")
        // What it assigned counts as used for the next one.
        #expect(try allocation.assign(Self.service("b")).spec?.clusterIP == "127.2.0.4")
    }

    @Test func skipsAddressesEndingInZeroOr255() throws {
        let used = Set((1...254).map { Self.ip("127.2.0.\($0)") })
        var allocation = ServiceAllocation(usedIPs: used)
        #expect(try allocation.assign(Self.service("a")).spec?.clusterIP == "127.2.1.1")
        #expect(Self.invalid { _ = try allocation.assign(Self.service("b", clusterIP: "127.2.3.0")) } != nil)
        #expect(Self.invalid { _ = try allocation.assign(Self.service("b", clusterIP: "127.2.3.255")) } != nil)
    }

    @Test func aFullRangeIsAnInternalError() {
        var used = Set<UInt32>()
        for third in 0...255 { for fourth in 1...254 { used.insert(Self.ip("127.2.\(third).\(fourth)")) } }
        var allocation = ServiceAllocation(usedIPs: used)
        let error = Self.invalid { _ = try allocation.assign(Self.service("a")) }
        #expect(error?.code == 500)
        #expect(error?.message.contains("range is full") == true)
    }

    @Test func aGivenAddressMustBeInTheRangeAndFree() throws {
        var allocation = ServiceAllocation(usedIPs: [Self.ip("127.2.0.7")])
        let outside = Self.invalid { _ = try allocation.assign(Self.service("a", clusterIP: "10.0.0.1")) }
        #expect(outside?.code == 422)
        #expect(outside?.causes.first?.field == "spec.clusterIP")
        #expect(
            outside?.message == #"Service "a" is invalid: spec.clusterIP: Invalid value: "10.0.0.1": provided IP is not in "#
                + "the valid range. The range of valid IPs is 127.2.0.0/16")
        let taken = Self.invalid { _ = try allocation.assign(Self.service("a", clusterIP: "127.2.0.7")) }
        #expect(taken?.message == #"Service "a" is invalid: spec.clusterIP: Invalid value: "127.2.0.7": provided IP is already allocated"#)
        #expect(try allocation.assign(Self.service("a", clusterIP: "127.2.9.9")).spec?.clusterIPs == ["127.2.9.9"])
    }

    @Test func clusterIPsAloneRequestsItsAddressAndMustAgreeWithClusterIP() throws {
        var allocation = ServiceAllocation()
        var service = Self.service("a")
        service.spec?.clusterIPs = ["127.2.0.9"]
        #expect(try allocation.assign(service).spec?.clusterIP == "127.2.0.9")
        service.spec?.clusterIP = "127.2.0.10"
        #expect(Self.invalid { _ = try allocation.assign(service) }?.causes.first?.field == "spec.clusterIPs[0]")
        service.spec?.clusterIPs = ["127.2.0.10", "fd00::1"]
        #expect(Self.invalid { _ = try allocation.assign(service) }?.causes.first?.field == "spec.clusterIPs")
    }

    @Test func headlessStaysHeadlessAndExternalNameGetsNothing() throws {
        var allocation = ServiceAllocation()
        let headless = try allocation.assign(Self.service("h", clusterIP: "None"))
        #expect(headless.spec?.clusterIP == "None")
        #expect(headless.spec?.clusterIPs == ["None"])
        var external = Self.service("e", type: "ExternalName", ports: [])
        external.spec?.externalName = "example.com"
        #expect(try allocation.assign(external) == external)
        #expect(allocation.usedIPs.isEmpty)
    }

    @Test func anUpdateKeepsTheAllocatedAddress() throws {
        var allocation = ServiceAllocation(usedIPs: [Self.ip("127.2.0.1")])
        let stored = try allocation.assign(Self.service("a", clusterIP: "127.2.0.5"))
        // The other Services hold .1; the stored one is excluded, as the server lists it.
        var next = ServiceAllocation(usedIPs: [Self.ip("127.2.0.1")])
        var replacement = Self.service("a")
        replacement.spec?.ports = [ServicePort(port: 81)]
        let updated = try next.assign(replacement, previous: stored)
        #expect(updated.spec?.clusterIP == "127.2.0.5")
        #expect(updated.spec?.clusterIPs == ["127.2.0.5"])
        // Given again: its own address is not "already allocated".
        #expect(try next.assign(Self.service("a", clusterIP: "127.2.0.5"), previous: stored).spec?.clusterIP == "127.2.0.5")
    }

    @Test func usedAddressesComeFromTheStoredServicesButTheOneWritten() {
        let objects = [
            Self.service("a", clusterIP: "127.2.0.1").kubeObject,
            Self.service("b", type: "NodePort", clusterIP: "127.2.0.2", ports: [ServicePort(port: 80, nodePort: 30005)])
                .kubeObject,
            Self.service("c", clusterIP: "None").kubeObject,
        ]
        let allocation = ServiceAllocation(existing: objects, excluding: (namespace: "default", name: "a"))
        #expect(allocation.usedIPs == [Self.ip("127.2.0.2")])
        #expect(allocation.usedNodePorts == [30005])
    }

    // MARK: Node ports

    @Test func nodePortsAreAssignedAndChecked() throws {
        var allocation = ServiceAllocation(usedNodePorts: [30000, 30002])
        let ports = [ServicePort(name: "http", port: 80), ServicePort(name: "admin", port: 81, nodePort: 30001)]
        let assigned = try allocation.assign(Self.service("a", type: "NodePort", ports: ports))
        #expect(assigned.spec?.ports?.map(\.nodePort) == [30003, 30001])
        #expect(allocation.usedNodePorts == [30000, 30001, 30002, 30003])

        let loadBalancer = try allocation.assign(Self.service("lb", type: "LoadBalancer"))
        #expect(loadBalancer.spec?.ports?.first?.nodePort == 30004)
        var noNodePorts = Self.service("lb2", type: "LoadBalancer")
        noNodePorts.spec?.allocateLoadBalancerNodePorts = false
        #expect(try allocation.assign(noNodePorts).spec?.ports?.first?.nodePort == nil)
        #expect(try allocation.assign(Self.service("plain")).spec?.ports?.first?.nodePort == nil)

        let low = Self.invalid {
            _ = try allocation.assign(Self.service("x", type: "NodePort", ports: [ServicePort(port: 80, nodePort: 8080)]))
        }
        #expect(low?.causes.first?.field == "spec.ports[0].nodePort")
        #expect(
            low?.causes.first?.message
                == "Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767")
        let taken = Self.invalid {
            _ = try allocation.assign(Self.service("x", type: "NodePort", ports: [ServicePort(port: 80, nodePort: 30001)]))
        }
        #expect(taken?.causes.first?.message == "Invalid value: 30001: provided port is already allocated")
    }

    @Test func anUpdateKeepsNodePortsOfTheSamePort() throws {
        var allocation = ServiceAllocation(usedNodePorts: [30000])
        let stored = try allocation.assign(
            Self.service("a", type: "NodePort", ports: [ServicePort(name: "http", port: 80), ServicePort(name: "x", port: 81)]))
        #expect(stored.spec?.ports?.map(\.nodePort) == [30001, 30002])
        // A re-apply replaces the port list without node ports and adds a port.
        var next = ServiceAllocation(usedNodePorts: [30000])
        let ports = [ServicePort(name: "http", port: 80), ServicePort(name: "y", port: 82), ServicePort(name: "x", port: 81)]
        let updated = try next.assign(Self.service("a", type: "NodePort", ports: ports), previous: stored)
        #expect(updated.spec?.ports?.map(\.nodePort) == [30001, 30003, 30002])
    }

    // MARK: Through the API

    static func create(_ client: KubeClient, _ service: Service) async throws -> Service {
        try Service(try await client.create(service.kubeObject, as: .service, namespace: "default"))
    }

    @Test func createsGetAddressesThatSurviveUpdatesAndRestarts() async throws {
        let dir = TestFiles.temporaryDirectory()
        let first = try await TestDaemon.start(dataDir: dir)
        let a = try await Self.create(first.client, Self.service("a"))
        #expect(a.spec?.clusterIP == "127.2.0.1")
        #expect(a.spec?.clusterIPs == ["127.2.0.1"])
        let b = try await Self.create(first.client, Self.service("b", type: "NodePort"))
        #expect(b.spec?.clusterIP == "127.2.0.2")
        #expect(b.spec?.ports?.first?.nodePort == 30000)

        // PUT without the addresses (as `kubectl replace` would) keeps them.
        var replacement = Self.service("b", type: "NodePort", ports: [ServicePort(port: 80), ServicePort(name: "m", port: 90)])
        replacement.spec?.ports?[0].name = "web"
        let updated = try Service(try await first.client.update(replacement.kubeObject, as: .service))
        #expect(updated.spec?.clusterIP == "127.2.0.2")
        #expect(updated.spec?.ports?.map(\.nodePort) == [30000, 30001])
        // A merge patch that leaves them out keeps them too.
        let patched = try await first.client.patch(
            .service, namespace: "default", name: "a", patch: ["metadata": ["labels": ["tier": "x"]]])
        #expect(patched.spec?["clusterIP"] == "127.2.0.1")
        // Changing it is refused.
        var moved = try await first.client.get(.service, namespace: "default", name: "a")
        moved.spec?["clusterIP"] = "127.2.0.50"
        moved.spec?["clusterIPs"] = ["127.2.0.50"]
        await #expect(throws: StatusError.self) { try await first.client.update(moved, as: .service) }
        await first.stop(removeData: false)

        let second = try await TestDaemon.start(dataDir: dir)
        defer { Task { await second.stop() } }
        let c = try await Self.create(second.client, Self.service("c", type: "NodePort"))
        #expect(c.spec?.clusterIP == "127.2.0.3")
        #expect(c.spec?.ports?.first?.nodePort == 30002)
        // Deleting frees the address for the next create.
        try await second.client.delete(.service, namespace: "default", name: "a")
        #expect(try await Self.create(second.client, Self.service("d")).spec?.clusterIP == "127.2.0.1")
    }

    @Test func givenAddressesAreCheckedByTheServer() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        _ = try await Self.create(d.client, Self.service("a", clusterIP: "127.2.0.10"))
        do {
            _ = try await Self.create(d.client, Self.service("b", clusterIP: "127.2.0.10"))
            Issue.record("expected Invalid")
        } catch let error as StatusError {
            #expect(error.code == 422)
            #expect(error.message.contains(#"spec.clusterIP: Invalid value: "127.2.0.10": provided IP is already allocated"#))
        }
        do {
            _ = try await Self.create(d.client, Self.service("b", clusterIP: "10.0.0.1"))
            Issue.record("expected Invalid")
        } catch let error as StatusError {
            #expect(error.code == 422)
            #expect(
                error.message.contains(
                    #"spec.clusterIP: Invalid value: "10.0.0.1": provided IP is not in the valid range. The range of valid IPs is 127.2.0.0/16"#))
        }
        // A dry run shows the address a create would get, and reserves nothing.
        let path = ResourceType.service.collectionPath(namespace: "default") + "?dryRun=All"
        let (status, body) = try await d.client.raw(method: "POST", path: path, body: Self.service("c").kubeObject.serialized())
        #expect(status == 201)
        #expect(try KubeObject(data: body).spec?["clusterIP"] == "127.2.0.1")
        #expect(try await Self.create(d.client, Self.service("c")).spec?.clusterIP == "127.2.0.1")
    }

    @Test func concurrentCreatesNeverShareAnAddress() async throws {
        let d = try await TestDaemon.start()
        defer { Task { await d.stop() } }
        let client = d.client
        let created = try await withThrowingTaskGroup(of: Service.self) { group in
            for index in 0..<24 {
                group.addTask { try await Self.create(client, Self.service("s\(index)", type: "NodePort")) }
            }
            var all: [Service] = []
            for try await service in group { all.append(service) }
            return all
        }
        let ips = created.compactMap { $0.spec?.clusterIP }
        let nodePorts = created.compactMap { $0.spec?.ports?.first?.nodePort }
        #expect(Set(ips).count == 24)
        #expect(Set(nodePorts).count == 24)
        #expect(Set(ips) == Set((1...24).map { "127.2.0.\($0)" }))
    }
}
