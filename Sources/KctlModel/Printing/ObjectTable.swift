import Foundation

/// The columns kubectl prints for each kind, computed from raw object JSON. Pure and shared: the
/// CLI prints them, and the API server can answer `Table` requests with the same cells.
/// Every cell tolerates missing fields (`<none>`, `0`, `<unknown>`), never fails.
public enum ObjectTable {
    public struct Column: Sendable, Hashable {
        /// Upper-case header, e.g. `UP-TO-DATE`.
        public var name: String
        /// 0 = always shown; 1 = only with `-o wide`.
        public var priority: Int
        /// The Table API's column type: `string`, `integer` or `date`-like text.
        public var type: String

        public init(_ name: String, priority: Int = 0, type: String = "string") {
            self.name = name
            self.priority = priority
            self.type = type
        }
    }

    /// The columns for a kind, wide ones (priority 1) included.
    public static func columns(for type: ResourceType) -> [Column] {
        switch type.plural {
        case "pods":
            return [
                Column("NAME"), Column("READY"), Column("STATUS"), Column("RESTARTS", type: "integer"), Column("AGE"),
                Column("IP", priority: 1), Column("NODE", priority: 1),
            ]
        case "deployments":
            return [
                Column("NAME"), Column("READY"), Column("UP-TO-DATE", type: "integer"),
                Column("AVAILABLE", type: "integer"), Column("AGE"),
                Column("CONTAINERS", priority: 1), Column("SELECTOR", priority: 1),
            ]
        case "replicasets":
            return [
                Column("NAME"), Column("DESIRED", type: "integer"), Column("CURRENT", type: "integer"),
                Column("READY", type: "integer"), Column("AGE"),
                Column("CONTAINERS", priority: 1), Column("SELECTOR", priority: 1),
            ]
        case "services":
            return [
                Column("NAME"), Column("TYPE"), Column("CLUSTER-IP"), Column("EXTERNAL-IP"), Column("PORT(S)"),
                Column("AGE"), Column("SELECTOR", priority: 1),
            ]
        case "endpoints":
            return [Column("NAME"), Column("ENDPOINTS"), Column("AGE")]
        case "ingresses":
            return [Column("NAME"), Column("CLASS"), Column("HOSTS"), Column("ADDRESS"), Column("PORTS"), Column("AGE")]
        case "secrets":
            return [Column("NAME"), Column("TYPE"), Column("DATA", type: "integer"), Column("AGE")]
        case "configmaps":
            return [Column("NAME"), Column("DATA", type: "integer"), Column("AGE")]
        case "horizontalpodautoscalers":
            return [
                Column("NAME"), Column("REFERENCE"), Column("TARGETS"), Column("MINPODS", type: "integer"),
                Column("MAXPODS", type: "integer"), Column("REPLICAS", type: "integer"), Column("AGE"),
            ]
        case "nodes":
            return [
                Column("NAME"), Column("STATUS"), Column("ROLES"), Column("AGE"), Column("VERSION"),
                Column("INTERNAL-IP", priority: 1),
            ]
        case "namespaces":
            return [Column("NAME"), Column("STATUS"), Column("AGE")]
        case "events":
            return [Column("LAST SEEN"), Column("TYPE"), Column("REASON"), Column("OBJECT"), Column("MESSAGE")]
        case "leases":
            return [Column("NAME"), Column("HOLDER"), Column("AGE")]
        default:
            return [Column("NAME"), Column("AGE")]
        }
    }

    /// One row's cells, in `columns(for:)` order (wide ones included).
    public static func cells(for object: KubeObject, type: ResourceType, now: Date) -> [String] {
        let o = object.value
        let age = Age.since(object.creationTimestamp, now: now)
        switch type.plural {
        case "pods":
            return [
                object.name, podReady(o), podStatus(object), podRestarts(o, now: now), age,
                text(o, "status.podIP"), text(o, "spec.nodeName"),
            ]
        case "deployments":
            let desired = int(o, "spec.replicas") ?? 1
            return [
                object.name, "\(int(o, "status.readyReplicas") ?? 0)/\(desired)",
                "\(int(o, "status.updatedReplicas") ?? 0)", "\(int(o, "status.availableReplicas") ?? 0)", age,
                containerNames(o), selectorText(o.value(atPath: "spec.selector")),
            ]
        case "replicasets":
            return [
                object.name, "\(int(o, "spec.replicas") ?? 1)", "\(int(o, "status.replicas") ?? 0)",
                "\(int(o, "status.readyReplicas") ?? 0)", age,
                containerNames(o), selectorText(o.value(atPath: "spec.selector")),
            ]
        case "services":
            return [
                object.name, o.value(atPath: "spec.type")?.stringValue ?? "ClusterIP", text(o, "spec.clusterIP"),
                serviceExternalIP(o), servicePorts(o), age, mapText(o.value(atPath: "spec.selector")),
            ]
        case "endpoints":
            return [object.name, endpointsText(o), age]
        case "ingresses":
            return [
                object.name, text(o, "spec.ingressClassName"), ingressHosts(o),
                loadBalancerAddresses(o).joined(separator: ","),
                (o.value(atPath: "spec.tls")?.arrayValue ?? []).isEmpty ? "80" : "80, 443", age,
            ]
        case "secrets":
            return [
                object.name, o["type"]?.stringValue ?? "Opaque", "\(o["data"]?.objectValue?.count ?? 0)", age,
            ]
        case "configmaps":
            let count = (o["data"]?.objectValue?.count ?? 0) + (o["binaryData"]?.objectValue?.count ?? 0)
            return [object.name, "\(count)", age]
        case "horizontalpodautoscalers":
            let ref = o.value(atPath: "spec.scaleTargetRef")
            let reference = "\(ref?["kind"]?.stringValue ?? "")/\(ref?["name"]?.stringValue ?? "")"
            return [
                object.name, reference, hpaTargets(o), "\(int(o, "spec.minReplicas") ?? 1)",
                "\(int(o, "spec.maxReplicas") ?? 0)", "\(int(o, "status.currentReplicas") ?? 0)", age,
            ]
        case "nodes":
            let internalIP = (o.value(atPath: "status.addresses")?.arrayValue ?? [])
                .first { $0["type"]?.stringValue == "InternalIP" }?["address"]?.stringValue
            return [
                object.name, nodeStatus(o), nodeRoles(object), age,
                o.value(atPath: "status.nodeInfo.kubeletVersion")?.stringValue ?? "", internalIP ?? "<none>",
            ]
        case "namespaces":
            return [object.name, o.value(atPath: "status.phase")?.stringValue ?? "Active", age]
        case "events":
            return [
                eventLastSeen(object, now: now), o["type"]?.stringValue ?? "", o["reason"]?.stringValue ?? "",
                "\((o.value(atPath: "involvedObject.kind")?.stringValue ?? "").lowercased())/"
                    + (o.value(atPath: "involvedObject.name")?.stringValue ?? ""),
                o["message"]?.stringValue ?? "",
            ]
        case "leases":
            return [object.name, o.value(atPath: "spec.holderIdentity")?.stringValue ?? "", age]
        default:
            return [object.name, age]
        }
    }

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
    private static func text(_ o: JSONValue, _ path: String) -> String {
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

    private static func int(_ o: JSONValue, _ path: String) -> Int64? { o.value(atPath: path)?.intValue }

    /// `a=1,b=2` from a string map, or `<none>`.
    private static func mapText(_ value: JSONValue?) -> String {
        guard let map = value?.objectValue, !map.isEmpty else { return "<none>" }
        return map.keys.sorted().map { "\($0)=\(map[$0]?.stringValue ?? "")" }.joined(separator: ",")
    }
}
