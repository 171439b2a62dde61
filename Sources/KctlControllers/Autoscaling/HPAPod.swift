import Foundation
import KctlModel

/// What the autoscaler reads of one pod of its target: whether the pod's samples count (phase,
/// deletion, readiness, start) and its containers' requests. A value, so the algorithm can be
/// tested without a store.
public struct HPAPod: Sendable, Hashable {
    public struct Container: Sendable, Hashable {
        public var name: String
        /// Requests in thousandths (millicores for `cpu`, thousandths of a byte for `memory`).
        public var requests: [String: Int64]

        public init(name: String, requests: [String: Int64] = [:]) {
            self.name = name
            self.requests = requests
        }
    }

    public var name: String
    /// `Pending`, `Running`, `Succeeded`, `Failed`.
    public var phase: String
    /// Marked for deletion (`deletionTimestamp` set).
    public var deleting: Bool
    /// The Ready condition's status; nil when the pod has no Ready condition.
    public var ready: Bool?
    /// When the Ready condition last changed.
    public var readyTransition: Date?
    /// `status.startTime`.
    public var startTime: Date?
    public var containers: [Container]

    public init(
        name: String, phase: String = "Running", deleting: Bool = false, ready: Bool? = true,
        readyTransition: Date? = nil, startTime: Date? = nil, containers: [Container] = []
    ) {
        self.name = name
        self.phase = phase
        self.deleting = deleting
        self.ready = ready
        self.readyTransition = readyTransition
        self.startTime = startTime
        self.containers = containers
    }

    /// Reads a pod object as stored (fields it lacks count as unknown, never as an error).
    public init(_ pod: KubeObject) {
        let status = pod.status
        let readyCondition = status?["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
        let containers = (pod.spec?["containers"]?.arrayValue ?? []).map { container -> Container in
            var requests: [String: Int64] = [:]
            for (resource, value) in container.value(atPath: "resources.requests")?.objectValue ?? [:] {
                if let quantity = try? value.decode(Quantity.self) { requests[resource] = quantity.milliValue }
            }
            return Container(name: container["name"]?.stringValue ?? "", requests: requests)
        }
        self.init(
            name: pod.name,
            phase: status?["phase"]?.stringValue ?? "Pending",
            deleting: pod.deletionTimestamp != nil,
            ready: readyCondition?["status"]?.stringValue.map { $0 == "True" },
            readyTransition: readyCondition?["lastTransitionTime"]?.stringValue.flatMap(Timestamp.parse),
            startTime: status?["startTime"]?.stringValue.flatMap(Timestamp.parse),
            containers: containers)
    }

    /// Running and Ready: what an Object or External metric's replica count is based on.
    public var isRunningAndReady: Bool { phase == "Running" && ready == true }

    /// The pod's request of `resource` summed over its containers, in thousandths; an error
    /// naming the first container without one (utilization is meaningless without requests).
    func request(_ resource: String) throws(HPAMetricError) -> Int64 {
        var sum: Int64 = 0
        for container in containers {
            guard let request = container.requests[resource] else {
                throw HPAMetricError("missing request for \(resource) in container \(container.name) of Pod \(name)")
            }
            sum += request
        }
        return sum
    }
}
