import Foundation
import KctlControllerRuntime
import KctlControllers
import KctlModel
import KctlStore
import Testing

/// A pod as the node agent leaves it: labels, container ports, an IP and a Ready condition.
private func backend(
    _ name: String, ip: String?, ready: Bool = true, labels: [String: String] = ["app": "users"],
    ports: [ContainerPort] = [ContainerPort(name: "http", containerPort: 8080)], namespace: String = "default",
    phase: String = "Running", terminating: Bool = false, node: String? = "node-1"
) -> Pod {
    var pod = Pod(
        metadata: ObjectMeta(name: name, namespace: namespace, uid: "uid-\(name)", labels: labels),
        spec: PodSpec(containers: [Container(name: "app", ports: ports)], nodeName: node),
        status: PodStatus(
            phase: phase, conditions: [PodCondition(type: "Ready", status: ready ? "True" : "False")], podIP: ip))
    if terminating { pod.metadata.deletionTimestamp = "2020-01-01T00:00:00Z" }
    return pod
}

private func usersService(
    ports: [ServicePort] = [ServicePort(name: "http", port: 80, targetPort: 8080)],
    selector: [String: String]? = ["app": "users"], clusterIP: String? = "127.2.0.1"
) -> Service {
    Service(
        metadata: ObjectMeta(name: "users", namespace: "default", labels: ["team": "chat"]),
        spec: ServiceSpec(ports: ports, selector: selector, clusterIP: clusterIP, type: "ClusterIP"))
}

private func ips(_ addresses: [EndpointAddress]?) -> [String] { (addresses ?? []).map(\.ip) }

@Suite struct EndpointsBuilderTests {
    @Test func readyPodsAreAddressesOthersAreNotReady() throws {
        let pods = [
            backend("b", ip: "127.1.0.10"),
            backend("a", ip: "127.1.0.9"),
            backend("slow", ip: "127.1.0.11", ready: false),
            backend("leaving", ip: "127.1.0.12", terminating: true),
            backend("pending", ip: nil, ready: false),
            backend("done", ip: "127.1.0.13", phase: "Succeeded"),
            backend("other", ip: "127.1.0.14", labels: ["app": "messages"]),
            backend("elsewhere", ip: "127.1.0.15", namespace: "shop"),
        ]
        let result = EndpointsBuilder.build(for: usersService(), pods: pods)
        let endpoints = result.endpoints
        #expect(endpoints.metadata.name == "users")
        #expect(endpoints.metadata.namespace == "default")
        #expect(endpoints.metadata.labels == ["team": "chat"])
        let subset = try #require(endpoints.subsets?.first)
        #expect(endpoints.subsets?.count == 1)
        // Sorted by address, numerically.
        #expect(ips(subset.addresses) == ["127.1.0.9", "127.1.0.10"])
        #expect(ips(subset.notReadyAddresses) == ["127.1.0.11", "127.1.0.12"])
        #expect(subset.ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        let first = try #require(subset.addresses?.first)
        #expect(first.nodeName == "node-1")
        #expect(first.targetRef == ObjectReference(kind: "Pod", namespace: "default", name: "a", uid: "uid-a"))
        #expect(result.readyCount == 2 && result.notReadyCount == 2)
        #expect(result.unresolved.isEmpty)
    }

    @Test func namedTargetPortsResolvePerPod() throws {
        let service = usersService(ports: [ServicePort(name: "web", port: 80, targetPort: "http")])
        let pods = [
            backend("old", ip: "127.1.0.1", ports: [ContainerPort(name: "http", containerPort: 8080)]),
            backend("new", ip: "127.1.0.2", ports: [ContainerPort(name: "http", containerPort: 9090)]),
            backend("udp", ip: "127.1.0.3", ports: [ContainerPort(name: "http", containerPort: 8080, protocol: "UDP")]),
            backend("bare", ip: "127.1.0.4", ports: []),
        ]
        let result = EndpointsBuilder.build(for: service, pods: pods)
        let subsets = try #require(result.endpoints.subsets)
        #expect(subsets.map { $0.ports?.first?.port } == [8080, 9090])
        #expect(subsets.map { ips($0.addresses) } == [["127.1.0.1"], ["127.1.0.2"]])
        #expect(subsets.allSatisfy { $0.ports?.first?.name == "web" })
        // Pods without a TCP port named http are left out and reported.
        #expect(
            result.unresolved == [
                EndpointsBuilder.UnresolvedPort(servicePort: "web", targetPort: "http", protocol: "TCP", pods: ["bare", "udp"])
            ])
    }

    @Test func podsWithTheSamePortsShareASubset() throws {
        let service = usersService(ports: [
            ServicePort(name: "http", port: 80, targetPort: "http"), ServicePort(name: "metrics", port: 9100, targetPort: 9100),
        ])
        let pods = [
            backend("a", ip: "127.1.0.1"), backend("b", ip: "127.1.0.2", ready: false),
            backend("c", ip: "127.1.0.3", ports: []),
        ]
        let subsets = try #require(EndpointsBuilder.endpoints(for: service, pods: pods).subsets)
        #expect(subsets.count == 2)
        // a and b serve both ports; c only the numbered one.
        #expect(subsets[0].ports?.map(\.name) == ["http", "metrics"])
        #expect(ips(subsets[0].addresses) == ["127.1.0.1"])
        #expect(ips(subsets[0].notReadyAddresses) == ["127.1.0.2"])
        #expect(subsets[1].ports?.map(\.name) == ["metrics"])
        #expect(ips(subsets[1].addresses) == ["127.1.0.3"])
    }

    @Test func aServiceSelectingNothingHasNoSubsets() {
        let endpoints = EndpointsBuilder.endpoints(
            for: usersService(selector: ["app": "nobody"]), pods: [backend("a", ip: "127.1.0.1")])
        #expect(endpoints.subsets == nil)
        #expect(endpoints.metadata.name == "users")
        #expect(EndpointsBuilder.endpoints(for: usersService(), pods: []).subsets == nil)
    }

    @Test func publishNotReadyAddressesAndHeadlessServices() throws {
        var service = usersService(ports: [], clusterIP: "None")
        service.spec?.publishNotReadyAddresses = true
        let endpoints = EndpointsBuilder.endpoints(
            for: service, pods: [backend("a", ip: "127.1.0.1", ready: false), backend("b", ip: "127.1.0.2")])
        let subset = try #require(endpoints.subsets?.first)
        #expect(ips(subset.addresses) == ["127.1.0.1", "127.1.0.2"])
        #expect(subset.ports == nil)
        #expect(endpoints.metadata.labels?["service.kubernetes.io/headless"] == "")
    }

    @Test func theSameInputGivesTheSameObject() {
        let pods = (1...20).map { backend("p\($0)", ip: "127.1.0.\($0)", ready: $0 % 3 != 0) }
        let forward = EndpointsBuilder.endpoints(for: usersService(), pods: pods)
        #expect(EndpointsBuilder.endpoints(for: usersService(), pods: pods.reversed()) == forward)
    }
}

// MARK: - The controller against a real store

extension SQLiteStore {
    func endpoints(_ name: String) async -> Endpoints? {
        guard let object = try? await get(.endpoints, namespace: "default", name: name) else { return nil }
        return try? Endpoints(object)
    }
}

@Suite struct EndpointsControllerTests {
    static func create(_ store: SQLiteStore, _ pod: Pod) async throws {
        _ = try await store.create(try Admission.admit(pod.kubeObject, as: .pod), as: .pod)
        // Status as the node agent writes it (a create starts with the admitted status as given).
        _ = try await store.update(.pod, namespace: "default", name: pod.name, subresource: .status) {
            $0.status = try JSONValue(encoding: pod.status)
        }
    }

    static func setReady(_ store: SQLiteStore, _ name: String, _ ready: Bool) async throws {
        _ = try await store.update(.pod, namespace: "default", name: name, subresource: .status) {
            $0.status?["conditions"] = [["type": "Ready", "status": .string(ready ? "True" : "False")]]
        }
    }

    @Test func keepsEndpointsInStepWithPodsAndDeletesThemWithTheService() async throws {
        try await withControllers { store, _ in
            try await Self.create(store, backend("users-a", ip: "127.1.0.4"))
            try await Self.create(store, backend("users-b", ip: "127.1.0.5", ready: false))
            _ = try await store.create(try Admission.admit(usersService().kubeObject, as: .service), as: .service)
            try await eventually("endpoints with one ready, one not ready address") {
                let subset = await store.endpoints("users")?.subsets?.first
                return ips(subset?.addresses) == ["127.1.0.4"] && ips(subset?.notReadyAddresses) == ["127.1.0.5"]
            }
            let stored = try await store.get(.endpoints, namespace: "default", name: "users")
            #expect(stored.labels == ["team": "chat"])
            #expect(ObjectTable.cells(for: stored, type: .endpoints, now: Date())[1] == "127.1.0.4:8080")

            // Readiness moves an address between the lists.
            try await Self.setReady(store, "users-b", true)
            try await eventually("both ready") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["127.1.0.4", "127.1.0.5"]
            }
            // A pod relabelled out of the selector leaves; a deleted one too.
            _ = try await store.update(.pod, namespace: "default", name: "users-a", subresource: .main) {
                $0.labels = ["app": "other"]
            }
            try await eventually("users-a gone") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["127.1.0.5"]
            }
            _ = try await store.delete(
                .pod, namespace: "default", name: "users-b", preconditions: Preconditions(), gracePeriodSeconds: 0)
            try await eventually("no subsets left") {
                let endpoints = await store.endpoints("users")
                return endpoints != nil && endpoints?.subsets == nil
            }

            // A hand edit of the managed object is put back; deleting the Service deletes it.
            try await Self.create(store, backend("users-c", ip: "127.1.0.6"))
            try await eventually("users-c listed") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["127.1.0.6"]
            }
            _ = try await store.update(.endpoints, namespace: "default", name: "users", subresource: .main) {
                $0.json["subsets"] = [["addresses": [["ip": "10.9.9.9"]], "ports": [["port": 1, "protocol": "TCP"]]]]
            }
            try await eventually("the edit reverted") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["127.1.0.6"]
            }
            _ = try await store.delete(.service, namespace: "default", name: "users")
            try await eventually("the endpoints deleted with the service") { await store.endpoints("users") == nil }
        }
    }

    @Test func writesOnlyWhenTheContentChanges() async throws {
        try await withControllers { store, _ in
            try await Self.create(store, backend("users-a", ip: "127.1.0.4"))
            _ = try await store.create(try Admission.admit(usersService().kubeObject, as: .service), as: .service)
            try await eventually("endpoints") { await store.endpoints("users")?.subsets != nil }
            let before = try await store.get(.endpoints, namespace: "default", name: "users").resourceVersion
            // A status change that does not touch readiness or the IP, then one that does.
            _ = try await store.update(.pod, namespace: "default", name: "users-a", subresource: .status) {
                $0.status?["startTime"] = "2020-01-01T00:00:00Z"
            }
            try await Self.create(store, backend("users-b", ip: "127.1.0.5"))
            try await eventually("users-b listed") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses).count == 2
            }
            let after = try await store.get(.endpoints, namespace: "default", name: "users").resourceVersion
            let writes = try await store.watch(.endpoints, namespace: "default", from: Int64(before!)! - 1)
            var revisions: [String] = []
            for try await event in writes {
                revisions.append(event.object.resourceVersion ?? "")
                if event.object.resourceVersion == after { break }
            }
            // The create, then exactly one update (for users-b).
            #expect(revisions == [before!, after!])
        }
    }

    @Test func leavesServicesWithoutSelectorAlone() async throws {
        try await withControllers { store, _ in
            let manual = Endpoints(
                metadata: ObjectMeta(name: "users", namespace: "default"),
                subsets: [EndpointSubset(addresses: [EndpointAddress(ip: "10.0.0.5")], ports: [EndpointPort(port: 5432)])])
            _ = try await store.create(try Admission.admit(manual.kubeObject, as: .endpoints), as: .endpoints)
            _ = try await store.create(
                try Admission.admit(usersService(selector: nil).kubeObject, as: .service), as: .service)
            // Another Service with a selector is handled meanwhile: once it has its Endpoints, the first was seen too.
            var other = usersService()
            other.metadata.name = "other"
            _ = try await store.create(try Admission.admit(other.kubeObject, as: .service), as: .service)
            try await eventually("the other service's endpoints") { await store.endpoints("other") != nil }
            #expect(ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["10.0.0.5"])
        }
    }

    @Test func aPortNameNoContainerDeclaresIsAWarningOnce() async throws {
        try await withControllers { store, _ in
            try await Self.create(store, backend("users-a", ip: "127.1.0.4", ports: []))
            let service = usersService(ports: [ServicePort(name: "web", port: 80, targetPort: "http")])
            _ = try await store.create(try Admission.admit(service.kubeObject, as: .service), as: .service)
            try await eventually("the warning") { try await store.events(reason: "FailedToResolvePort").count == 1 }
            let warnings = try await store.events(reason: "FailedToResolvePort")
            let event = try #require(warnings.first)
            #expect(event.json["type"] == "Warning")
            #expect(event.json["involvedObject"]?["kind"] == "Service")
            #expect(event.json["message"]?.stringValue?.contains(#"no container port named "http""#) == true)
            #expect(event.json["message"]?.stringValue?.contains("users-a") == true)
            #expect(await store.endpoints("users")?.subsets == nil)

            // More reconciles (another pod arrives) do not repeat it.
            try await Self.create(store, backend("users-b", ip: "127.1.0.5"))
            try await eventually("users-b listed") {
                ips(await store.endpoints("users")?.subsets?.first?.addresses) == ["127.1.0.5"]
            }
            let events = try await store.events(reason: "FailedToResolvePort")
            #expect(events.count == 1 && events.first?.json["count"] == 1)
        }
    }
}
