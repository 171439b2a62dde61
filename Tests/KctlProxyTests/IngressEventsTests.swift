import Foundation
import KctlModel
import KctlStore
import Testing

@testable import KctlProxy

/// A rule the proxy ignores is visible where users look: a Warning Event on its Ingress.
@Suite struct IngressEventsTests {
    @Test func aDuplicateRuleIsReportedOnTheNewerIngress() async throws {
        try await withStore { store in
            try await put(
                store,
                ingress("first", created: "2025-01-01T00:00:00Z", rules: [(nil, "/shop", "Prefix", "shop")]),
                as: .ingress)
            try await put(
                store,
                ingress("second", created: "2025-02-01T00:00:00Z", rules: [(nil, "/shop", "Prefix", "other")]),
                as: .ingress)
            let proxy = IngressProxy(store: store, logger: testLogger, port: 0)
            try await whileRunning([{ try await proxy.run() }]) {
                try await eventually("a warning on the newer Ingress") {
                    let events = try await store.list(.event, namespace: "default").items
                    return events.contains { event in
                        event.json["reason"]?.stringValue == "IngressRuleIgnored"
                            && event.json["involvedObject"]?["name"]?.stringValue == "second"
                            && event.json["type"]?.stringValue == "Warning"
                    }
                }
            }
        }
    }
}
