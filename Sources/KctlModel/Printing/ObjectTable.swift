import Foundation

/// The columns kubectl prints for each kind, computed from raw object JSON. Pure and shared: the
/// CLI prints them, and the API server answers `Table` requests (what kubectl's `get` asks for)
/// with the same columns and cells, so `kctl get` and `kubectl get` print alike.
/// Every cell tolerates missing fields (`<none>`, `0`, `<unknown>`), never fails.
public enum ObjectTable {
    public struct Column: Sendable, Hashable {
        /// Upper-case header, e.g. `UP-TO-DATE` (kubectl upper-cases Table column names anyway).
        public var name: String
        /// 0 = always shown; 1 = only with `-o wide`.
        public var priority: Int
        /// The Table API's column type (`string` or `integer`): an OpenAPI type name.
        public var type: String
        /// The Table API's column format: `name` for the object's name column, else empty.
        public var format: String
        /// What the column shows, for API clients that display it.
        public var description: String

        public init(_ name: String, priority: Int = 0, type: String = "string", format: String = "", description: String = "") {
            self.name = name
            self.priority = priority
            self.type = type
            self.format = format
            self.description = description
        }
    }

    /// One row's inputs: each cell reads what it needs.
    struct Row {
        var object: KubeObject
        var now: Date
        var o: JSONValue { object.value }
        var age: String { Age.since(object.creationTimestamp, now: now) }
    }

    /// A column and how to fill it: the one definition both `columns(for:)` and
    /// `cells(for:type:now:)` read, so headers and cells cannot drift apart.
    struct Field: Sendable {
        var column: Column
        var cell: @Sendable (Row) -> String

        init(_ column: Column, _ cell: @escaping @Sendable (Row) -> String) {
            self.column = column
            self.cell = cell
        }

        static let name = Field(
            Column("NAME", format: "name", description: "The object's name, unique within its namespace.")) { $0.object.name }
        static let age = Field(
            Column("AGE", description: "Time since the object was created (metadata.creationTimestamp).")) { $0.age }

        static func int(_ name: String, _ path: String, default value: Int64 = 0, description: String) -> Field {
            Field(Column(name, type: "integer", description: description)) { "\(ObjectTable.int($0.o, path) ?? value)" }
        }
    }

    /// The columns for a kind, wide ones (priority 1) included.
    public static func columns(for type: ResourceType) -> [Column] {
        fields(for: type).map(\.column)
    }

    /// One row's cells, in `columns(for:)` order (wide ones included).
    public static func cells(for object: KubeObject, type: ResourceType, now: Date) -> [String] {
        let row = Row(object: object, now: now)
        return fields(for: type).map { $0.cell(row) }
    }

    static func fields(for type: ResourceType) -> [Field] {
        kinds[type.plural] ?? [.name, .age]
    }

    /// The fields of each kind, by plural; kinds not here get NAME and AGE.
    static let kinds: [String: [Field]] = [
        "pods": [
            .name,
            Field(Column("READY", description: "Ready containers of all containers.")) { podReady($0.o) },
            Field(Column("STATUS", description: "The phase, or the reason a container is not running.")) { podStatus($0.object) },
            Field(Column("RESTARTS", description: "Container restarts, and how long ago the last was.")) {
                podRestarts($0.o, now: $0.now)
            },
            .age,
            Field(Column("IP", priority: 1, description: "The pod's IP address.")) { text($0.o, "status.podIP") },
            Field(Column("NODE", priority: 1, description: "The node the pod is bound to.")) { text($0.o, "spec.nodeName") },
        ],
        "deployments": [
            .name,
            Field(Column("READY", description: "Ready replicas of desired replicas.")) {
                "\(int($0.o, "status.readyReplicas") ?? 0)/\(int($0.o, "spec.replicas") ?? 1)"
            },
            .int("UP-TO-DATE", "status.updatedReplicas", description: "Replicas running the current template."),
            .int("AVAILABLE", "status.availableReplicas", description: "Replicas available to users."),
            .age,
            Field(Column("CONTAINERS", priority: 1, description: "Names of the template's containers.")) { containerNames($0.o) },
            Field(Column("SELECTOR", priority: 1, description: "The label selector of the pods.")) {
                selectorText($0.o.value(atPath: "spec.selector"))
            },
        ],
        "replicasets": [
            .name,
            .int("DESIRED", "spec.replicas", default: 1, description: "Desired replicas."),
            .int("CURRENT", "status.replicas", description: "Replicas created."),
            .int("READY", "status.readyReplicas", description: "Ready replicas."),
            .age,
            Field(Column("CONTAINERS", priority: 1, description: "Names of the template's containers.")) { containerNames($0.o) },
            Field(Column("SELECTOR", priority: 1, description: "The label selector of the pods.")) {
                selectorText($0.o.value(atPath: "spec.selector"))
            },
        ],
        "services": [
            .name,
            Field(Column("TYPE", description: "How the service is exposed.")) {
                $0.o.value(atPath: "spec.type")?.stringValue ?? "ClusterIP"
            },
            Field(Column("CLUSTER-IP", description: "The virtual IP inside the cluster.")) { text($0.o, "spec.clusterIP") },
            Field(Column("EXTERNAL-IP", description: "Addresses outside the cluster.")) { serviceExternalIP($0.o) },
            Field(Column("PORT(S)", description: "Ports, with node ports, and protocols.")) { servicePorts($0.o) },
            .age,
            Field(Column("SELECTOR", priority: 1, description: "The labels of the pods it routes to.")) {
                mapText($0.o.value(atPath: "spec.selector"))
            },
        ],
        "endpoints": [
            .name,
            Field(Column("ENDPOINTS", description: "Ready addresses and ports.")) { endpointsText($0.o) },
            .age,
        ],
        "ingresses": [
            .name,
            Field(Column("CLASS", description: "The ingress class.")) { text($0.o, "spec.ingressClassName") },
            Field(Column("HOSTS", description: "Hosts of the rules.")) { ingressHosts($0.o) },
            Field(Column("ADDRESS", description: "Where the ingress is reachable.")) {
                loadBalancerAddresses($0.o).joined(separator: ",")
            },
            Field(Column("PORTS", description: "Ports served.")) {
                ($0.o.value(atPath: "spec.tls")?.arrayValue ?? []).isEmpty ? "80" : "80, 443"
            },
            .age,
        ],
        "secrets": [
            .name,
            Field(Column("TYPE", description: "The secret's type.")) { $0.o["type"]?.stringValue ?? "Opaque" },
            Field(Column("DATA", type: "integer", description: "Number of keys in data.")) {
                "\($0.o["data"]?.objectValue?.count ?? 0)"
            },
            .age,
        ],
        "configmaps": [
            .name,
            Field(Column("DATA", type: "integer", description: "Number of keys in data and binaryData.")) {
                "\(($0.o["data"]?.objectValue?.count ?? 0) + ($0.o["binaryData"]?.objectValue?.count ?? 0))"
            },
            .age,
        ],
        "horizontalpodautoscalers": [
            .name,
            Field(Column("REFERENCE", description: "The scaled workload.")) {
                let ref = $0.o.value(atPath: "spec.scaleTargetRef")
                return "\(ref?["kind"]?.stringValue ?? "")/\(ref?["name"]?.stringValue ?? "")"
            },
            Field(Column("TARGETS", description: "Current and target values of each metric.")) { hpaTargets($0.o) },
            .int("MINPODS", "spec.minReplicas", default: 1, description: "Lower limit of replicas."),
            .int("MAXPODS", "spec.maxReplicas", description: "Upper limit of replicas."),
            .int("REPLICAS", "status.currentReplicas", description: "Current replicas."),
            .age,
        ],
        "nodes": [
            .name,
            Field(Column("STATUS", description: "Readiness, and whether scheduling is disabled.")) { nodeStatus($0.o) },
            Field(Column("ROLES", description: "Roles from node-role labels.")) { nodeRoles($0.object) },
            .age,
            Field(Column("VERSION", description: "The node agent's version.")) {
                $0.o.value(atPath: "status.nodeInfo.kubeletVersion")?.stringValue ?? ""
            },
            Field(Column("INTERNAL-IP", priority: 1, description: "The node's internal address.")) {
                ($0.o.value(atPath: "status.addresses")?.arrayValue ?? [])
                    .first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue ?? "<none>"
            },
        ],
        "namespaces": [
            .name,
            Field(Column("STATUS", description: "The namespace's phase.")) {
                $0.o.value(atPath: "status.phase")?.stringValue ?? "Active"
            },
            .age,
        ],
        "events": [
            Field(Column("LAST SEEN", description: "When it last happened, and how often.")) {
                eventLastSeen($0.object, now: $0.now)
            },
            Field(Column("TYPE", description: "Normal or Warning.")) { $0.o["type"]?.stringValue ?? "" },
            Field(Column("REASON", description: "Why it happened, in one word.")) { $0.o["reason"]?.stringValue ?? "" },
            Field(Column("OBJECT", description: "The object it is about.")) {
                "\(($0.o.value(atPath: "involvedObject.kind")?.stringValue ?? "").lowercased())/"
                    + ($0.o.value(atPath: "involvedObject.name")?.stringValue ?? "")
            },
            Field(Column("MESSAGE", description: "What happened.")) { $0.o["message"]?.stringValue ?? "" },
        ],
        "leases": [
            .name,
            Field(Column("HOLDER", description: "Who holds the lease.")) {
                $0.o.value(atPath: "spec.holderIdentity")?.stringValue ?? ""
            },
            .age,
        ],
    ]

    /// `app=web,tier=api` (sorted), or `<none>`: the `--show-labels` column.
    public static func labelsText(_ labels: [String: String]) -> String {
        labels.isEmpty ? "<none>" : labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }.joined(separator: ",")
    }

    /// A label selector (`matchLabels` + `matchExpressions`) as text: `app=web,tier in (a,b),!legacy`.
    public static func selectorText(_ selector: JSONValue?) -> String {
        guard let selector else { return "<none>" }
        var parts: [String] = []
        if let labels = selector["matchLabels"]?.objectValue {
            parts += labels.keys.sorted().map { "\($0)=\(labels[$0]?.stringValue ?? "")" }
        }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
            switch expression["operator"]?.stringValue ?? "" {
            case "In": parts.append("\(key) in (\(values))")
            case "NotIn": parts.append("\(key) notin (\(values))")
            case "Exists": parts.append(key)
            case "DoesNotExist": parts.append("!\(key)")
            default: continue
            }
        }
        return parts.isEmpty ? "<none>" : parts.joined(separator: ",")
    }

    // MARK: - Pods

    static func podReady(_ o: JSONValue) -> String {
        let total = o.value(atPath: "spec.containers")?.arrayValue?.count ?? 0
        let ready = (o.value(atPath: "status.containerStatuses")?.arrayValue ?? [])
            .filter { $0["ready"]?.boolValue == true }.count
        return "\(ready)/\(total)"
    }

    /// kubectl's STATUS: the phase, overridden by a pod reason, an init container's or a
    /// container's waiting/terminated reason, or `Terminating` once deletion started.
    public static func podStatus(_ object: KubeObject) -> String {
        let o = object.value
        var reason = o.value(atPath: "status.phase")?.stringValue ?? "Unknown"
        if let podReason = o.value(atPath: "status.reason")?.stringValue, !podReason.isEmpty { reason = podReason }

        var initializing = false
        let initStatuses = o.value(atPath: "status.initContainerStatuses")?.arrayValue ?? []
        let initCount = o.value(atPath: "spec.initContainers")?.arrayValue?.count ?? initStatuses.count
        for (i, status) in initStatuses.enumerated() {
            if let terminated = status.value(atPath: "state.terminated"), terminated["exitCode"]?.intValue == 0 {
                continue
            }
            initializing = true
            if let terminated = status.value(atPath: "state.terminated") {
                reason = "Init:" + terminatedReason(terminated)
            } else if let waiting = status.value(atPath: "state.waiting"),
                let waitingReason = waiting["reason"]?.stringValue, !waitingReason.isEmpty,
                waitingReason != "PodInitializing"
            {
                reason = "Init:" + waitingReason
            } else {
                reason = "Init:\(i)/\(initCount)"
            }
            break
        }

        if !initializing {
            var hasRunning = false
            for status in (o.value(atPath: "status.containerStatuses")?.arrayValue ?? []).reversed() {
                if let waitingReason = status.value(atPath: "state.waiting.reason")?.stringValue, !waitingReason.isEmpty {
                    reason = waitingReason
                } else if let terminated = status.value(atPath: "state.terminated") {
                    reason = terminatedReason(terminated)
                } else if status["ready"]?.boolValue == true, status.value(atPath: "state.running") != nil {
                    hasRunning = true
                }
            }
            if reason == "Completed", hasRunning { reason = "Running" }
        }

        if object.deletionTimestamp != nil {
            reason = o.value(atPath: "status.reason")?.stringValue == "NodeLost" ? "Unknown" : "Terminating"
        }
        return reason
    }

    private static func terminatedReason(_ terminated: JSONValue) -> String {
        if let reason = terminated["reason"]?.stringValue, !reason.isEmpty { return reason }
        if let signal = terminated["signal"]?.intValue, signal != 0 { return "Signal:\(signal)" }
        return "ExitCode:\(terminated["exitCode"]?.intValue ?? 0)"
    }

    /// `0`, or `3 (2m ago)` with the time since the last restart when known.
    static func podRestarts(_ o: JSONValue, now: Date) -> String {
        var restarts: Int64 = 0
        var last: Date?
        for status in o.value(atPath: "status.containerStatuses")?.arrayValue ?? [] {
            restarts += status["restartCount"]?.intValue ?? 0
            if let finished = status.value(atPath: "lastState.terminated.finishedAt")?.stringValue,
                let date = Timestamp.parse(finished), last.map({ date > $0 }) ?? true
            {
                last = date
            }
        }
        if restarts > 0, let last { return "\(restarts) (\(Age.format(now.timeIntervalSince(last))) ago)" }
        return "\(restarts)"
    }

    // MARK: - Workloads, services, ingresses

    static func containerNames(_ o: JSONValue) -> String {
        let names = (o.value(atPath: "spec.template.spec.containers")?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        return names.isEmpty ? "<none>" : names.joined(separator: ",")
    }

    static func servicePorts(_ o: JSONValue) -> String {
        let ports = (o.value(atPath: "spec.ports")?.arrayValue ?? []).map { port -> String in
            let number = port["port"]?.intValue.map(String.init) ?? "?"
            let proto = port["protocol"]?.stringValue ?? "TCP"
            if let nodePort = port["nodePort"]?.intValue, nodePort != 0 { return "\(number):\(nodePort)/\(proto)" }
            return "\(number)/\(proto)"
        }
        return ports.isEmpty ? "<none>" : ports.joined(separator: ",")
    }

    /// kubectl's ENDPOINTS cell: ready `ip:port` pairs (a bare `ip` in a subset without ports), the
    /// first three then ` + N more...`; `<none>` without subsets, empty when only not-ready ones exist.
    public static func endpointsText(_ o: JSONValue, portName: String? = nil) -> String {
        let subsets = o["subsets"]?.arrayValue ?? []
        if subsets.isEmpty { return "<none>" }
        let shown = 3
        var listed: [String] = []
        var total = 0
        for subset in subsets {
            let ips = (subset["addresses"]?.arrayValue ?? []).map { $0["ip"]?.stringValue ?? "" }
            let ports = subset["ports"]?.arrayValue ?? []
            var pairs: [String] = []
            if ports.isEmpty {
                pairs = ips
            } else {
                for port in ports where portName == nil || (port["name"]?.stringValue ?? "") == portName {
                    let number = port["port"]?.intValue.map(String.init) ?? "?"
                    pairs += ips.map { ip in ip.contains(":") ? "[\(ip)]:\(number)" : "\(ip):\(number)" }
                }
            }
            total += pairs.count
            listed += pairs.prefix(max(0, shown - listed.count))
        }
        let text = listed.joined(separator: ",")
        return total > listed.count ? "\(text) + \(total - listed.count) more..." : text
    }

    static func serviceExternalIP(_ o: JSONValue) -> String {
        let type = o.value(atPath: "spec.type")?.stringValue ?? "ClusterIP"
        let external = (o.value(atPath: "spec.externalIPs")?.arrayValue ?? []).compactMap(\.stringValue)
        switch type {
        case "ExternalName":
            return o.value(atPath: "spec.externalName")?.stringValue ?? "<none>"
        case "LoadBalancer":
            let all = loadBalancerAddresses(o) + external
            return all.isEmpty ? "<pending>" : all.joined(separator: ",")
        default:
            return external.isEmpty ? "<none>" : external.joined(separator: ",")
        }
    }

    public static func loadBalancerAddresses(_ o: JSONValue) -> [String] {
        (o.value(atPath: "status.loadBalancer.ingress")?.arrayValue ?? []).compactMap {
            $0["ip"]?.stringValue ?? $0["hostname"]?.stringValue
        }
    }

    static func ingressHosts(_ o: JSONValue) -> String {
        let rules = o.value(atPath: "spec.rules")?.arrayValue ?? []
        if rules.isEmpty { return "*" }
        return rules.map { rule -> String in
            let host = rule["host"]?.stringValue ?? ""
            return host.isEmpty ? "*" : host
        }.joined(separator: ",")
    }

    // MARK: - HPA, nodes, events

    /// `cpu: 45%/70%`, `cpu: <unknown>/70%`, several joined by `, `; `<none>` without metrics.
    public static func hpaTargets(_ o: JSONValue) -> String {
        let metrics = o.value(atPath: "spec.metrics")?.arrayValue ?? []
        let current = o.value(atPath: "status.currentMetrics")?.arrayValue ?? []
        // autoscaling/v1 style: one CPU utilization target.
        if metrics.isEmpty, let target = o.value(atPath: "spec.targetCPUUtilizationPercentage")?.intValue {
            let now = o.value(atPath: "status.currentCPUUtilizationPercentage")?.intValue.map { "\($0)%" } ?? "<unknown>"
            return "cpu: \(now)/\(target)%"
        }
        if metrics.isEmpty { return "<none>" }
        return metrics.map { metric -> String in
            let kind = metric["type"]?.stringValue ?? "Resource"
            let key = kind == "ContainerResource" ? "containerResource" : kind.prefix(1).lowercased() + kind.dropFirst()
            let spec = metric[key]
            let name = spec?["name"]?.stringValue ?? spec?.value(atPath: "metric.name")?.stringValue ?? kind.lowercased()
            let target = spec?["target"]
            let live = current.first {
                $0["type"]?.stringValue == kind
                    && ($0[key]?["name"]?.stringValue ?? $0[key]?.value(atPath: "metric.name")?.stringValue) == name
            }?[key]?["current"]
            if let utilization = target?["averageUtilization"]?.intValue {
                let now = live?["averageUtilization"]?.intValue.map { "\($0)%" } ?? "<unknown>"
                return "\(name): \(now)/\(utilization)%"
            }
            let wanted = target?["averageValue"] ?? target?["value"]
            let have = live?["averageValue"] ?? live?["value"]
            return "\(name): \(scalarText(have) ?? "<unknown>")/\(scalarText(wanted) ?? "<unknown>")"
        }.joined(separator: ", ")
    }

    static func nodeStatus(_ o: JSONValue) -> String {
        let ready = (o.value(atPath: "status.conditions")?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }
        var status: String
        switch ready?["status"]?.stringValue {
        case "True": status = "Ready"
        case .none: status = "Unknown"
        default: status = "NotReady"
        }
        if o.value(atPath: "spec.unschedulable")?.boolValue == true { status += ",SchedulingDisabled" }
        return status
    }

    public static func nodeRoles(_ object: KubeObject) -> String {
        var roles = Set<String>()
        for (key, value) in object.labels {
            if key.hasPrefix("node-role.kubernetes.io/") {
                let role = String(key.dropFirst("node-role.kubernetes.io/".count))
                if !role.isEmpty { roles.insert(role) }
            } else if key == "kubernetes.io/role", !value.isEmpty {
                roles.insert(value)
            }
        }
        return roles.isEmpty ? "<none>" : roles.sorted().joined(separator: ",")
    }

    /// `5m`, or `5m (x3 over 20m)` for a repeated event.
    static func eventLastSeen(_ object: KubeObject, now: Date) -> String {
        let o = object.value
        let last = o["lastTimestamp"]?.stringValue ?? o["eventTime"]?.stringValue
            ?? o["firstTimestamp"]?.stringValue ?? object.creationTimestamp
        let seen = Age.since(last, now: now)
        let count = o["count"]?.intValue ?? 1
        if count > 1, let first = o["firstTimestamp"]?.stringValue {
            return "\(seen) (x\(count) over \(Age.since(first, now: now)))"
        }
        return seen
    }

    // MARK: - Helpers

    /// A string (or number) at `path`, else `<none>`.
    static func text(_ o: JSONValue, _ path: String) -> String {
        guard let value = o.value(atPath: path), let text = scalarText(value), !text.isEmpty else { return "<none>" }
        return text
    }

    private static func scalarText(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    static func int(_ o: JSONValue, _ path: String) -> Int64? { o.value(atPath: path)?.intValue }

    /// `a=1,b=2` from a string map, or `<none>`.
    static func mapText(_ value: JSONValue?) -> String {
        guard let map = value?.objectValue, !map.isEmpty else { return "<none>" }
        return map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ",")
    }
}
