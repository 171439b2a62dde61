import KctlAgent
import KctlModel
import Testing

@Suite struct SimulatedNodesTests {
    @Test func nodesAreSpreadRoundRobinOverZones() throws {
        let nodes = SimulatedNodes.make(count: 5, zones: ["a", "b"])
        #expect(nodes.map(\.name) == ["node-1", "node-2", "node-3", "node-4", "node-5"])
        #expect(nodes.map { $0.labels["topology.kubernetes.io/zone"] } == ["a", "b", "a", "b", "a"])
        #expect(SimulatedNodes.make(count: 0).isEmpty)
    }

    @Test func nodesCarryKubeletLabels() throws {
        let node = SimulatedNodes.make(count: 2)[1]
        #expect(node.labels["kubernetes.io/hostname"] == "node-2")
        #expect(node.labels["kubernetes.io/os"] == "linux")
        #expect(node.labels["node.kctl.dev/simulated"] == "true")
        #expect(node.labels["topology.kubernetes.io/zone"] == "zone-b")
        #expect(node.apiVersion == "v1" && node.kind == "Node")
    }

    @Test func capacityEqualsAllocatable() throws {
        let node = try Node(SimulatedNodes.make(count: 1, cpu: "8", memory: "16Gi", pods: 50)[0])
        let status = try #require(node.status)
        #expect(status.capacity == status.allocatable)
        #expect(status.capacity?["cpu"]?.milliValue == 8000)
        #expect(status.capacity?["memory"]?.value == 16 << 30)
        #expect(status.capacity?["pods"]?.value == 50)
        #expect(status.nodeInfo?.kubeletVersion == "v1.32.0-kctl")
        #expect(status.nodeInfo?.operatingSystem == "linux")
        #expect(status.addresses?.first { $0.type == "InternalIP" }?.address == "127.0.1.1")
    }

    @Test func addressesStayOnLoopbackOutsideThePodRange() {
        #expect(SimulatedNodes.address(index: 1) == "127.0.1.1")
        #expect(SimulatedNodes.address(index: 254) == "127.0.1.254")
        #expect(SimulatedNodes.address(index: 255) == "127.0.2.1")
        let all = Set((1...5000).map(SimulatedNodes.address(index:)))
        #expect(all.count == 5000)
        #expect(all.allSatisfy { $0.hasPrefix("127.0.") })
        #expect(SimulatedNodes.address(forNodeNamed: "node-7") == "127.0.1.7")
        #expect(SimulatedNodes.address(forNodeNamed: "worker") == SimulatedNodes.address(forNodeNamed: "worker"))
    }

    @Test func ensureCreatesOnlyMissingNodes() async throws {
        try await withStore { store in
            let first = try await SimulatedNodes.ensure(store: store, count: 2, logger: testLogger)
            #expect(first == ["node-1", "node-2"])
            let second = try await SimulatedNodes.ensure(store: store, count: 3, logger: testLogger)
            #expect(second == ["node-3"])
            #expect(try await SimulatedNodes.ensure(store: store, count: 3, logger: testLogger).isEmpty)
            #expect(try await store.list(.node, namespace: nil).items.count == 3)
        }
    }
}
