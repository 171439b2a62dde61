import Foundation
import KctlModel
import KctlScheduler

/// What `describe` shows besides the object itself, fetched by the command.
struct DescribeContext: Sendable {
    var events: [KubeObject] = []
    /// Deployment: its ReplicaSets. Node: the pods bound to it.
    var related: [KubeObject] = []
    /// Service: its ready `ip:port` endpoints, all ports together ...
    var endpoints: [String]?
    /// ... or, better, its Endpoints object, which `describe` shows port by port as kubectl does.
    var endpointsObject: JSONValue?
    /// Pod: the scheduler's record of its latest decision.
    var scheduling: String?
}

/// Multi-line, kubectl-like descriptions of objects, as a pure function of the object.
/// Secret values are never printed, only their sizes.
enum Describer {
    static func describe(_ object: KubeObject, type: ResourceType, context: DescribeContext, now: Date) -> String {
        var w = DescribeWriter()
        let o = object.value
        w.pair("Name", object.name)
        if type.namespaced { w.pair("Namespace", object.namespace ?? "") }
        switch type.plural {
        case "deployments": deployment(object, &w, context: context)
        case "replicasets": replicaSet(object, &w)
        case "pods": pod(object, &w, context: context, now: now)
        case "services": service(object, &w, context: context)
        case "secrets":
            common(object, &w)
            w.pair("Type", o["type"]?.stringValue ?? "Opaque")
            w.text("")
            w.text("Data")
            w.text("====")
            let data = o["data"]?.objectValue ?? [:]
            for key in data.keys.sorted() {
                let size = data[key]?.stringValue.flatMap { Data(base64Encoded: $0)?.count } ?? 0
                w.pair(key, "\(size) bytes")
            }
        case "configmaps":
            common(object, &w)
            w.text("")
            w.text("Data")
            w.text("====")
            let data = o["data"]?.objectValue ?? [:]
            for key in data.keys.sorted() {
                w.text("\(key):")
                w.text("----")
                w.text(data[key]?.stringValue ?? "")
                w.text("")
            }
            w.text("")
            w.text("BinaryData")
            w.text("====")
            let binary = o["binaryData"]?.objectValue ?? [:]
            for key in binary.keys.sorted() {
                let size = binary[key]?.stringValue.flatMap { Data(base64Encoded: $0)?.count } ?? 0
                w.text("\(key): \(size) bytes")
            }
            w.text("")
        case "horizontalpodautoscalers": hpa(object, &w)
        case "ingresses": ingress(object, &w)
        case "nodes": node(object, &w, context: context, now: now)
        case "namespaces":
            common(object, &w, withTimestamp: false)
            w.pair("Status", o.value(atPath: "status.phase")?.stringValue ?? "Active")
        default:
            common(object, &w)
            for key in ["spec", "status", "data"] {
                guard let value = o[key], value != .object([:]) else { continue }
                w.text("\(key.prefix(1).uppercased() + key.dropFirst()):")
                for line in Printers.yaml(value).split(separator: "\n", omittingEmptySubsequences: false)
                where !line.isEmpty {
                    w.text(String(line), indent: 2)
                }
            }
        }
        events(context.events, &w, now: now)
        return w.render()
    }

    // MARK: - Common parts

    private static func common(_ object: KubeObject, _ w: inout DescribeWriter, withTimestamp: Bool = true) {
        w.pair("Labels", values: labelLines(object.labels))
        w.pair("Annotations", values: annotationLines(object.annotations))
        if withTimestamp { w.pair("CreationTimestamp", timestamp(object.creationTimestamp)) }
    }

    static func labelLines(_ labels: [String: String]) -> [String] {
        labels.keys.sorted().map { "\($0)=\(labels[$0]!)" }
    }

    /// Annotations as `key: value`, without kubectl's bulky last-applied copy of the manifest.
    static func annotationLines(_ annotations: [String: String]) -> [String] {
        annotations.keys.sorted().filter { $0 != ApplyPlan.lastAppliedAnnotation }.map { "\($0): \(annotations[$0]!)" }
    }

    /// `Mon, 01 Jan 2024 10:00:00 +0000`, as kubectl prints times.
    static func timestamp(_ text: String?) -> String {
        guard let text, let date = Timestamp.parse(text) else { return "<unset>" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// A scalar as text; other values as compact JSON.
    private static func scalar(_ value: JSONValue?) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .none, .null: return ""
        case .some(let other): return other.serializedString()
        }
    }

    private static func int(_ o: JSONValue?, _ path: String) -> Int64? { o?.value(atPath: path)?.intValue }
    private static func str(_ o: JSONValue?, _ path: String) -> String? {
        switch o?.value(atPath: path) {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    // MARK: - Workloads

    private static func deployment(_ object: KubeObject, _ w: inout DescribeWriter, context: DescribeContext) {
        let o = object.value
        common(object, &w)
        w.pair("Selector", ObjectTable.selectorText(o.value(atPath: "spec.selector")))
        let desired = int(o, "spec.replicas") ?? 1
        let updated = int(o, "status.updatedReplicas") ?? 0
        let total = int(o, "status.replicas") ?? 0
        let available = int(o, "status.availableReplicas") ?? 0
        let unavailable = int(o, "status.unavailableReplicas") ?? max(total - available, 0)
        w.pair(
            "Replicas",
            "\(desired) desired | \(updated) updated | \(total) total | \(available) available | \(unavailable) unavailable")
        let strategy = str(o, "spec.strategy.type") ?? "RollingUpdate"
        w.pair("StrategyType", strategy)
        w.pair("MinReadySeconds", "\(int(o, "spec.minReadySeconds") ?? 0)")
        if strategy == "RollingUpdate" {
            let unavailableText = str(o, "spec.strategy.rollingUpdate.maxUnavailable") ?? "25%"
            let surge = str(o, "spec.strategy.rollingUpdate.maxSurge") ?? "25%"
            w.pair("RollingUpdateStrategy", "\(unavailableText) max unavailable, \(surge) max surge")
        }
        podTemplate(o.value(atPath: "spec.template"), &w)
        conditions(o, &w, columns: ["Type", "Status", "Reason"])
        // Old and new ReplicaSets: owned by this deployment; the new one matches its template.
        let owned = context.related.filter { rs in
            rs.ownerReferences.contains { $0["uid"]?.stringValue == object.uid && object.uid != nil }
        }
        let revision = object.annotations["deployment.kubernetes.io/revision"]
        let newRS = owned.first { revision != nil && $0.annotations["deployment.kubernetes.io/revision"] == revision }
            ?? owned.max { ($0.creationTimestamp ?? "") < ($1.creationTimestamp ?? "") }
        let old = owned.filter { $0.name != newRS?.name && (int($0.value, "spec.replicas") ?? 0) > 0 }
        func summary(_ rs: KubeObject) -> String {
            "\(rs.name) (\(int(rs.value, "status.replicas") ?? 0)/\(int(rs.value, "spec.replicas") ?? 0) replicas created)"
        }
        w.pair("OldReplicaSets", old.isEmpty ? "<none>" : old.map(summary).joined(separator: ", "))
        w.pair("NewReplicaSet", newRS.map(summary) ?? "<none>")
    }

    private static func replicaSet(_ object: KubeObject, _ w: inout DescribeWriter) {
        let o = object.value
        w.pair("Selector", ObjectTable.selectorText(o.value(atPath: "spec.selector")))
        w.pair("Labels", values: labelLines(object.labels))
        w.pair("Annotations", values: annotationLines(object.annotations))
        if let owner = controller(object) { w.pair("Controlled By", owner) }
        w.pair(
            "Replicas",
            "\(int(o, "status.replicas") ?? 0) current / \(int(o, "spec.replicas") ?? 1) desired")
        w.pair(
            "Pods Status",
            "\(int(o, "status.readyReplicas") ?? 0) Running / 0 Waiting / 0 Succeeded / 0 Failed")
        podTemplate(o.value(atPath: "spec.template"), &w)
        conditions(o, &w, columns: ["Type", "Status", "Reason"])
    }

    private static func controller(_ object: KubeObject) -> String? {
        let owner = object.ownerReferences.first { $0["controller"]?.boolValue == true } ?? object.ownerReferences.first
        guard let owner, let kind = owner["kind"]?.stringValue, let name = owner["name"]?.stringValue else { return nil }
        return "\(kind)/\(name)"
    }

    private static func podTemplate(_ template: JSONValue?, _ w: inout DescribeWriter) {
        w.text("Pod Template:")
        let labels = (template?.value(atPath: "metadata.labels")?.objectValue ?? [:]).compactMapValues(\.stringValue)
        w.pair("Labels", values: labelLines(labels), indent: 2)
        containers(template?.value(atPath: "spec.containers")?.arrayValue ?? [], statuses: nil, &w, indent: 2)
    }

    // MARK: - Pods and containers

    private static func pod(_ object: KubeObject, _ w: inout DescribeWriter, context: DescribeContext, now: Date) {
        let o = object.value
        let node = str(o, "spec.nodeName").map { name in str(o, "status.hostIP").map { "\(name)/\($0)" } ?? name }
        w.pair("Node", node ?? "<none>")
        w.pair("Start Time", timestamp(str(o, "status.startTime")))
        w.pair("Labels", values: labelLines(object.labels))
        var annotations = object.annotations
        // Pods stored by an older kctld keep the record in an annotation (shown here, not there).
        let annotationRecord = annotations.removeValue(forKey: Decision.annotationKey)
        let scheduling = context.scheduling ?? annotationRecord
        w.pair("Annotations", values: annotationLines(annotations))
        w.pair("Status", object.deletionTimestamp != nil ? "Terminating" : (str(o, "status.phase") ?? "Unknown"))
        if let reason = str(o, "status.reason") { w.pair("Reason", reason) }
        if let message = str(o, "status.message") { w.pair("Message", message) }
        w.pair("IP", str(o, "status.podIP") ?? "")
        if let owner = controller(object) { w.pair("Controlled By", owner) }
        containers(
            o.value(atPath: "spec.containers")?.arrayValue ?? [],
            statuses: o.value(atPath: "status.containerStatuses")?.arrayValue ?? [], &w, indent: 0)
        conditions(o, &w, columns: ["Type", "Status"])
        if let scheduling {
            w.text("Scheduling:")
            for line in SchedulingExplanation.render(annotation: scheduling) { w.text(line, indent: 1) }
        }
    }

    private static func containers(_ list: [JSONValue], statuses: [JSONValue]?, _ w: inout DescribeWriter, indent: Int) {
        if list.isEmpty {
            w.pair("Containers", "<none>", indent: indent)
            return
        }
        w.text("Containers:", indent: indent)
        for container in list {
            let name = container["name"]?.stringValue ?? ""
            w.text("\(name):", indent: indent + 1)
            let inner = indent + 2
            if let image = container["image"]?.stringValue { w.pair("Image", image, indent: inner) }
            let ports = (container["ports"]?.arrayValue ?? []).map { port -> String in
                "\(port["containerPort"]?.intValue.map(String.init) ?? "?")/\(port["protocol"]?.stringValue ?? "TCP")"
            }
            if ports.count > 1 {
                w.pair("Ports", ports.joined(separator: ", "), indent: inner)
            } else {
                w.pair("Port", ports.first ?? "<none>", indent: inner)
            }
            for (key, title) in [("command", "Command"), ("args", "Args")] {
                let parts = (container[key]?.arrayValue ?? []).compactMap(\.stringValue)
                if parts.isEmpty { continue }
                w.text("\(title):", indent: inner)
                for part in parts { w.text(part, indent: inner + 2) }
            }
            if let status = statuses?.first(where: { $0["name"]?.stringValue == name }) {
                state(status["state"], title: "State", &w, indent: inner)
                if let last = status["lastState"], last != .object([:]) {
                    state(last, title: "Last State", &w, indent: inner)
                }
                w.pair("Ready", status["ready"]?.boolValue == true ? "True" : "False", indent: inner)
                w.pair("Restart Count", "\(status["restartCount"]?.intValue ?? 0)", indent: inner)
            }
            for (key, title) in [("limits", "Limits"), ("requests", "Requests")] {
                guard let values = container["resources"]?[key]?.objectValue, !values.isEmpty else { continue }
                w.text("\(title):", indent: inner)
                for name in values.keys.sorted() {
                    w.pair(name, scalar(values[name]), indent: inner + 2)
                }
            }
            for (key, title) in [("livenessProbe", "Liveness"), ("readinessProbe", "Readiness"), ("startupProbe", "Startup")] {
                if let probe = container[key] { w.pair(title, probeText(probe), indent: inner) }
            }
            let sources = (container["envFrom"]?.arrayValue ?? []).compactMap { source -> String? in
                if let name = source.value(atPath: "configMapRef.name")?.stringValue { return "\(name)  ConfigMap  Optional: false" }
                if let name = source.value(atPath: "secretRef.name")?.stringValue { return "\(name)  Secret  Optional: false" }
                return nil
            }
            if !sources.isEmpty {
                w.text("Environment Variables from:", indent: inner)
                for source in sources { w.text(source, indent: inner + 2) }
            }
            let env = container["env"]?.arrayValue ?? []
            if env.isEmpty {
                w.pair("Environment", "<none>", indent: inner)
            } else {
                w.text("Environment:", indent: inner)
                for variable in env {
                    let name = variable["name"]?.stringValue ?? ""
                    if let value = variable["value"]?.stringValue {
                        w.pair(name, value, indent: inner + 2)
                    } else if let ref = variable.value(atPath: "valueFrom.secretKeyRef") {
                        w.pair(
                            name, "<set to the key '\(ref["key"]?.stringValue ?? "")' in secret '\(ref["name"]?.stringValue ?? "")'>",
                            indent: inner + 2)
                    } else if let ref = variable.value(atPath: "valueFrom.configMapKeyRef") {
                        w.pair(
                            name,
                            "<set to the key '\(ref["key"]?.stringValue ?? "")' of config map '\(ref["name"]?.stringValue ?? "")'>",
                            indent: inner + 2)
                    } else if let ref = variable.value(atPath: "valueFrom.fieldRef.fieldPath")?.stringValue {
                        w.pair(name, " (v1:\(ref))", indent: inner + 2)
                    } else {
                        w.pair(name, "", indent: inner + 2)
                    }
                }
            }
        }
    }

    private static func state(_ state: JSONValue?, title: String, _ w: inout DescribeWriter, indent: Int) {
        if let running = state?["running"] {
            w.pair(title, "Running", indent: indent)
            w.pair("Started", timestamp(running["startedAt"]?.stringValue), indent: indent + 2)
        } else if let waiting = state?["waiting"] {
            w.pair(title, "Waiting", indent: indent)
            w.pair("Reason", waiting["reason"]?.stringValue ?? "", indent: indent + 2)
            // The runtime's message says why it waits and, in back-off, when the next restart is due.
            if let message = waiting["message"]?.stringValue, !message.isEmpty {
                w.pair("Message", message, indent: indent + 2)
            }
        } else if let terminated = state?["terminated"] {
            w.pair(title, "Terminated", indent: indent)
            w.pair("Reason", terminated["reason"]?.stringValue ?? "", indent: indent + 2)
            if let message = terminated["message"]?.stringValue, !message.isEmpty {
                w.pair("Message", message, indent: indent + 2)
            }
            w.pair("Exit Code", "\(terminated["exitCode"]?.intValue ?? 0)", indent: indent + 2)
            w.pair("Started", timestamp(terminated["startedAt"]?.stringValue), indent: indent + 2)
            w.pair("Finished", timestamp(terminated["finishedAt"]?.stringValue), indent: indent + 2)
        } else {
            w.pair(title, "Waiting", indent: indent)
        }
    }

    /// `http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3`.
    static func probeText(_ probe: JSONValue) -> String {
        var head: String
        if let http = probe["httpGet"] {
            let port = str(http, "port") ?? ""
            let scheme = (http["scheme"]?.stringValue ?? "HTTP").lowercased()
            head = "http-get \(scheme)://\(http["host"]?.stringValue ?? ""):\(port)\(http["path"]?.stringValue ?? "/")"
        } else if let tcp = probe["tcpSocket"] {
            head = "tcp-socket :\(str(tcp, "port") ?? "")"
        } else if let exec = probe["exec"] {
            head = "exec [\((exec["command"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " "))]"
        } else {
            head = "unknown"
        }
        head += " delay=\(int(probe, "initialDelaySeconds") ?? 0)s timeout=\(int(probe, "timeoutSeconds") ?? 1)s"
        head += " period=\(int(probe, "periodSeconds") ?? 10)s #success=\(int(probe, "successThreshold") ?? 1)"
        head += " #failure=\(int(probe, "failureThreshold") ?? 3)"
        return head
    }

    private static func conditions(_ o: JSONValue, _ w: inout DescribeWriter, columns: [String]) {
        let list = o.value(atPath: "status.conditions")?.arrayValue ?? []
        guard !list.isEmpty else { return }
        w.text("Conditions:")
        w.table(columns, list.map { condition in columns.map { str(condition, $0.lowercased()) ?? "" } })
    }

    // MARK: - Networking

    /// kubectl's service description; `Endpoints:` per port reads the Endpoints object.
    private static func service(_ object: KubeObject, _ w: inout DescribeWriter, context: DescribeContext) {
        let o = object.value
        w.pair("Labels", values: labelLines(object.labels))
        w.pair("Annotations", values: annotationLines(object.annotations))
        let selector = (o.value(atPath: "spec.selector")?.objectValue ?? [:]).compactMapValues(\.stringValue)
        w.pair("Selector", labelLines(selector).joined(separator: ","))
        w.pair("Type", str(o, "spec.type") ?? "ClusterIP")
        let clusterIPs = (o.value(atPath: "spec.clusterIPs")?.arrayValue ?? []).compactMap(\.stringValue)
        if !clusterIPs.isEmpty {
            w.pair("IP Family Policy", str(o, "spec.ipFamilyPolicy") ?? "SingleStack")
            let families = (o.value(atPath: "spec.ipFamilies")?.arrayValue ?? []).compactMap(\.stringValue)
            w.pair("IP Families", families.joined(separator: ","))
            w.pair("IP", clusterIPs[0])
            w.pair("IPs", clusterIPs.joined(separator: ","))
        } else {
            w.pair("IP", str(o, "spec.clusterIP") ?? "<none>")
        }
        let externalIPs = (o.value(atPath: "spec.externalIPs")?.arrayValue ?? []).compactMap(\.stringValue)
        if !externalIPs.isEmpty { w.pair("External IPs", externalIPs.joined(separator: ",")) }
        if let name = str(o, "spec.externalName"), !name.isEmpty { w.pair("External Name", name) }
        let ingress = ObjectTable.loadBalancerAddresses(o)
        if !ingress.isEmpty { w.pair("LoadBalancer Ingress", ingress.joined(separator: ", ")) }
        for port in o.value(atPath: "spec.ports")?.arrayValue ?? [] {
            let proto = port["protocol"]?.stringValue ?? "TCP"
            let name = port["name"]?.stringValue ?? ""
            let shownName = name.isEmpty ? "<unset>" : name
            w.pair("Port", "\(shownName)  \(str(port, "port") ?? "?")/\(proto)")
            w.pair("TargetPort", "\(str(port, "targetPort") ?? str(port, "port") ?? "?")/\(proto)")
            if let nodePort = port["nodePort"]?.intValue, nodePort != 0 {
                w.pair("NodePort", "\(shownName)  \(nodePort)/\(proto)")
            }
            if let endpoints = context.endpointsObject {
                w.pair("Endpoints", ObjectTable.endpointsText(endpoints, portName: name))
            } else {
                w.pair("Endpoints", context.endpoints?.joined(separator: ",") ?? "")
            }
        }
        w.pair("Session Affinity", str(o, "spec.sessionAffinity") ?? "None")
        if let policy = str(o, "spec.externalTrafficPolicy"), !policy.isEmpty {
            w.pair("External Traffic Policy", policy)
        }
        if let port = int(o, "spec.healthCheckNodePort"), port != 0 { w.pair("HealthCheck NodePort", "\(port)") }
        if let policy = str(o, "spec.internalTrafficPolicy"), !policy.isEmpty {
            w.pair("Internal Traffic Policy", policy)
        }
    }

    private static func ingress(_ object: KubeObject, _ w: inout DescribeWriter) {
        let o = object.value
        common(object, &w)
        w.pair("Ingress Class", str(o, "spec.ingressClassName") ?? "<none>")
        w.pair("Default backend", backendText(o.value(atPath: "spec.defaultBackend")) ?? "<default>")
        let tls = o.value(atPath: "spec.tls")?.arrayValue ?? []
        if !tls.isEmpty {
            w.text("TLS:")
            for entry in tls {
                let hosts = (entry["hosts"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ",")
                w.text("\(entry["secretName"]?.stringValue ?? "") terminates \(hosts)", indent: 2)
            }
        }
        w.text("Rules:")
        var rows: [[String]] = []
        for rule in o.value(atPath: "spec.rules")?.arrayValue ?? [] {
            let host = rule["host"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "*"
            rows.append([host, "", ""])
            for path in rule.value(atPath: "http.paths")?.arrayValue ?? [] {
                rows.append(["", path["path"]?.stringValue ?? "/", backendText(path["backend"]) ?? "<none>"])
            }
        }
        w.table(["Host", "Path", "Backends"], rows)
    }

    private static func backendText(_ backend: JSONValue?) -> String? {
        guard let service = backend?["service"], let name = service["name"]?.stringValue else { return nil }
        let port = str(service, "port.number") ?? str(service, "port.name") ?? ""
        return "\(name):\(port)"
    }

    // MARK: - Autoscaling, nodes

    private static func hpa(_ object: KubeObject, _ w: inout DescribeWriter) {
        let o = object.value
        common(object, &w)
        w.pair("Reference", "\(str(o, "spec.scaleTargetRef.kind") ?? "")/\(str(o, "spec.scaleTargetRef.name") ?? "")")
        w.text("Metrics:                                              ( current / target )")
        for target in ObjectTable.hpaTargets(o).split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
        where target != "<none>" {
            w.text(target, indent: 2)
        }
        w.pair("Min replicas", "\(int(o, "spec.minReplicas") ?? 1)")
        w.pair("Max replicas", "\(int(o, "spec.maxReplicas") ?? 0)")
        w.pair(
            "\(str(o, "spec.scaleTargetRef.kind") ?? "Target") pods",
            "\(int(o, "status.currentReplicas") ?? 0) current / \(int(o, "status.desiredReplicas") ?? 0) desired")
        conditions(o, &w, columns: ["Type", "Status", "Reason", "Message"])
    }

    private static func node(_ object: KubeObject, _ w: inout DescribeWriter, context: DescribeContext, now: Date) {
        let o = object.value
        w.pair("Roles", ObjectTable.nodeRoles(object))
        common(object, &w)
        w.pair("Unschedulable", o.value(atPath: "spec.unschedulable")?.boolValue == true ? "true" : "false")
        let conditionList = o.value(atPath: "status.conditions")?.arrayValue ?? []
        if !conditionList.isEmpty {
            w.text("Conditions:")
            w.table(
                ["Type", "Status", "LastHeartbeatTime", "Reason", "Message"],
                conditionList.map { c in
                    [
                        str(c, "type") ?? "", str(c, "status") ?? "", timestamp(str(c, "lastHeartbeatTime")),
                        str(c, "reason") ?? "", str(c, "message") ?? "",
                    ]
                })
        }
        let addresses = o.value(atPath: "status.addresses")?.arrayValue ?? []
        if !addresses.isEmpty {
            w.text("Addresses:")
            for address in addresses { w.pair(str(address, "type") ?? "", str(address, "address") ?? "", indent: 2) }
        }
        for (key, title) in [("capacity", "Capacity"), ("allocatable", "Allocatable")] {
            guard let values = o.value(atPath: "status.\(key)")?.objectValue, !values.isEmpty else { continue }
            w.text("\(title):")
            for name in values.keys.sorted() { w.pair(name, scalar(values[name]), indent: 2) }
        }
        if let info = o.value(atPath: "status.nodeInfo")?.objectValue, !info.isEmpty {
            w.text("System Info:")
            for name in info.keys.sorted() { w.pair(name, scalar(info[name]), indent: 2) }
        }
        let pods = context.related
        w.text("Non-terminated Pods:          (\(pods.count) in total)")
        w.table(
            ["Namespace", "Name", "CPU Requests", "Memory Requests", "Age"],
            pods.map { pod in
                let containers = pod.value.value(atPath: "spec.containers")?.arrayValue ?? []
                let cpu = containers.compactMap { str($0, "resources.requests.cpu") }.joined(separator: "+")
                let memory = containers.compactMap { str($0, "resources.requests.memory") }.joined(separator: "+")
                return [
                    pod.namespace ?? "", pod.name, cpu.isEmpty ? "0" : cpu, memory.isEmpty ? "0" : memory,
                    Age.since(pod.creationTimestamp, now: now),
                ]
            })
    }

    // MARK: - Events

    private static func events(_ events: [KubeObject], _ w: inout DescribeWriter, now: Date) {
        guard !events.isEmpty else {
            w.pair("Events", "<none>")
            return
        }
        w.text("Events:")
        let sorted = events.sorted { eventTime($0) < eventTime($1) }
        w.table(
            ["Type", "Reason", "Age", "From", "Message"],
            sorted.map { event in
                let o = event.value
                return [
                    str(o, "type") ?? "", str(o, "reason") ?? "",
                    ObjectTable.cells(for: event, type: .event, now: now).first ?? "",
                    str(o, "source.component") ?? str(o, "reportingComponent") ?? "",
                    str(o, "message") ?? "",
                ]
            })
    }

    private static func eventTime(_ event: KubeObject) -> String {
        let o = event.value
        return str(o, "lastTimestamp") ?? str(o, "eventTime") ?? str(o, "firstTimestamp") ?? event.creationTimestamp ?? ""
    }
}
