import KctlModel

/// What resolving a container's environment may read besides the pod itself. Closures rather than
/// maps so the runner can answer from its informer caches without copying every Secret.
public struct EnvironmentInputs: Sendable {
    /// Secret data by name in the pod's namespace, base64-decoded; nil when there is no such Secret.
    public var secret: @Sendable (String) -> [String: String]?
    /// ConfigMap `data` by name in the pod's namespace; nil when there is no such ConfigMap.
    public var configMap: @Sendable (String) -> [String: String]?
    /// The Services of the pod's namespace, for the service-link variables.
    public var services: [Service]
    /// The node's allocatable resources: what `resourceFieldRef` reports for a limit the container
    /// does not set, as the kubelet does.
    public var nodeAllocatable: [String: Quantity]

    public init(
        secret: @escaping @Sendable (String) -> [String: String]?,
        configMap: @escaping @Sendable (String) -> [String: String]?,
        services: [Service] = [],
        nodeAllocatable: [String: Quantity] = [:]
    ) {
        self.secret = secret
        self.configMap = configMap
        self.services = services
        self.nodeAllocatable = nodeAllocatable
    }

    /// Inputs from fixed maps (Secret data already decoded), for tests and simple callers.
    public init(
        secrets: [String: [String: String]] = [:],
        configMaps: [String: [String: String]] = [:],
        services: [Service] = [],
        nodeAllocatable: [String: Quantity] = [:]
    ) {
        self.init(
            secret: { secrets[$0] }, configMap: { configMaps[$0] }, services: services,
            nodeAllocatable: nodeAllocatable)
    }
}

/// Why a container cannot be configured yet (a missing Secret, ConfigMap or key, no command). The
/// runner shows it as the waiting reason `CreateContainerConfigError` and tries again later, since
/// the missing object may still be created.
public struct ContainerConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// A container ready to start: its whole environment and its expanded command line.
public struct ResolvedContainer: Sendable, Hashable {
    public var environment: [String: String]
    /// `command` followed by `args`, `$(VAR)`-expanded against `environment`; never empty.
    public var commandLine: [String]
    /// `$(VAR)` names that matched nothing and stayed literal, once each in order of appearance.
    /// Kubernetes accepts them silently; the runner reports them in a Warning event.
    public var unresolvedReferences: [String]
    /// Messages for Warning events with reason `InvalidEnvironmentVariableNames`: `envFrom` keys
    /// that were skipped because they cannot be variable names.
    public var warnings: [String]

    public init(
        environment: [String: String], commandLine: [String], unresolvedReferences: [String] = [],
        warnings: [String] = []
    ) {
        self.environment = environment
        self.commandLine = commandLine
        self.unresolvedReferences = unresolvedReferences
        self.warnings = warnings
    }
}

/// Builds a container's environment and command line the way the kubelet does, as pure functions
/// of the pod and what it references.
public enum ContainerEnvironment {
    /// The pod's root as kctl places volume mounts (its working directory): `mountPath:
    /// /var/lib/chat` is `$KCTL_POD_ROOT/var/lib/chat`. Part of the base environment, so env values
    /// and args may say `$(KCTL_POD_ROOT)`.
    public static let podRootVariable = "KCTL_POD_ROOT"

    /// Resolves `container` of `pod`. Layers, each overriding the one before: `base` (PATH,
    /// HOSTNAME, POD_IP, ... given by the runner), the service-link variables (unless
    /// `spec.enableServiceLinks` is false), `envFrom` in order, then `env` in order. A literal `value`
    /// is `$(VAR)`-expanded against everything defined before it; values from `valueFrom` and
    /// `envFrom` are taken as they are. The command line is expanded against the final environment.
    ///
    /// Throws with Kubernetes' messages: `secret "x" not found`, `couldn't find key token in Secret
    /// default/x`, `configmap "y" not found`, and `no command specified` (without images there is
    /// no default entrypoint).
    public static func resolve(
        _ container: Container, in pod: Pod, podIP: String, hostIP: String, base: [String: String],
        inputs: EnvironmentInputs
    ) throws(ContainerConfigError) -> ResolvedContainer {
        let namespace = pod.metadata.namespace ?? "default"
        var environment = base
        var unresolved: [String] = []
        var warnings: [String] = []

        if pod.spec?.enableServiceLinks != false {
            environment.merge(serviceVariables(inputs.services)) { _, service in service }
        }

        for source in container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            let data: [String: String]
            let what: String
            let name: String
            if let ref = source.configMapRef {
                name = ref.name ?? ""
                what = "configMap"
                guard let found = inputs.configMap(name) else {
                    if ref.optional == true { continue }
                    throw ContainerConfigError("configmap \(quote(name)) not found")
                }
                data = found
            } else if let ref = source.secretRef {
                name = ref.name ?? ""
                what = "secret"
                guard let found = inputs.secret(name) else {
                    if ref.optional == true { continue }
                    throw ContainerConfigError("secret \(quote(name)) not found")
                }
                data = found
            } else {
                continue
            }
            var invalid: [String] = []
            for (key, value) in data {
                let variable = prefix + key
                guard isValidName(variable) else {
                    invalid.append(variable)
                    continue
                }
                environment[variable] = value
            }
            if !invalid.isEmpty {
                warnings.append(
                    "Keys [\(invalid.sorted().joined(separator: ", "))] from the EnvFrom \(what) \(namespace)/\(name) "
                        + "were skipped since they are considered invalid environment variable names.")
            }
        }

        for variable in container.env ?? [] {
            if let value = variable.value, !value.isEmpty {
                let expanded = expand(value, unresolved: &unresolved) { environment[$0] }
                environment[variable.name] = expanded
            } else if let source = variable.valueFrom {
                guard
                    let value = try valueFrom(
                        source, container: container, pod: pod, namespace: namespace, podIP: podIP, hostIP: hostIP,
                        inputs: inputs)
                else { continue }  // an optional reference to something missing: no variable at all
                environment[variable.name] = value
            } else {
                environment[variable.name] = ""
            }
        }

        let words = (container.command ?? []) + (container.args ?? [])
        guard let first = container.command?.first, !first.isEmpty else {
            throw ContainerConfigError("no command specified")
        }
        let commandLine = words.map { expand($0, unresolved: &unresolved) { environment[$0] } }
        var seen = Set<String>()
        let references = unresolved.filter { seen.insert($0).inserted }
        return ResolvedContainer(
            environment: environment, commandLine: commandLine, unresolvedReferences: references, warnings: warnings)
    }

    /// Kubernetes' `$(VAR)` expansion: `$(NAME)` becomes the value `lookup` gives, or stays as written
    /// (and NAME is appended to `unresolved`) when there is none; `$$` is a literal `$`; any other
    /// `$`, and a `$(` without a closing parenthesis, stay as they are. Never fails.
    public static func expand(_ text: String, unresolved: inout [String], lookup: (String) -> String?) -> String {
        let dollar = UInt8(ascii: "$")
        let open = UInt8(ascii: "(")
        let close = UInt8(ascii: ")")
        let bytes = Array(text.utf8)
        guard bytes.contains(dollar) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == dollar, i + 1 < bytes.count else {
                out.append(byte)
                i += 1
                continue
            }
            let next = bytes[i + 1]
            if next == dollar {
                out.append(dollar)
                i += 2
            } else if next == open, let end = bytes[(i + 2)...].firstIndex(of: close) {
                // Only ASCII delimiters are matched, so slicing bytes keeps the UTF-8 valid.
                let name = String(decoding: bytes[(i + 2)..<end], as: UTF8.self)
                if let value = lookup(name) {
                    out.append(contentsOf: value.utf8)
                } else {
                    out.append(contentsOf: bytes[i...end])
                    unresolved.append(name)
                }
                i = end + 1
            } else {
                out.append(dollar)
                out.append(next)
                i += 2
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The Docker-link style variables Kubernetes gives every container for each Service with a
    /// cluster IP (not headless, not ExternalName): `NAME_SERVICE_HOST`, `NAME_SERVICE_PORT` (first
    /// port), `NAME_SERVICE_PORT_<PORTNAME>`, `NAME_PORT` (`tcp://ip:port` of the first port), and per
    /// port `NAME_PORT_<port>_<PROTO>` with `_PROTO`, `_PORT` and `_ADDR`. Names are upper-cased with
    /// `-` and `.` turned into `_`, and `_` put before a leading digit.
    public static func serviceVariables(_ services: [Service]) -> [String: String] {
        var variables: [String: String] = [:]
        // Sorted so that two Services whose names map to one variable resolve the same way every time.
        let sorted = services.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
        for service in sorted {
            guard let ip = service.spec?.clusterIP, !ip.isEmpty, ip != "None",
                let ports = service.spec?.ports, let firstPort = ports.first
            else { continue }
            let prefix = variableName(service.metadata.name ?? "")
            variables["\(prefix)_SERVICE_HOST"] = ip
            variables["\(prefix)_SERVICE_PORT"] = String(firstPort.port)
            for port in ports {
                if let name = port.name, !name.isEmpty {
                    variables["\(prefix)_SERVICE_PORT_\(variableName(name))"] = String(port.port)
                }
                let proto = port.protocol.flatMap { $0.isEmpty ? nil : $0 } ?? "TCP"
                let url = "\(proto.lowercased())://\(ip):\(port.port)"
                let portPrefix = "\(prefix)_PORT_\(port.port)_\(proto.uppercased())"
                variables[portPrefix] = url
                variables["\(portPrefix)_PROTO"] = proto.lowercased()
                variables["\(portPrefix)_PORT"] = String(port.port)
                variables["\(portPrefix)_ADDR"] = ip
            }
            let firstProto = firstPort.protocol.flatMap { $0.isEmpty ? nil : $0 } ?? "TCP"
            variables["\(prefix)_PORT"] = "\(firstProto.lowercased())://\(ip):\(firstPort.port)"
        }
        return variables
    }

    // MARK: valueFrom

    /// The value of one `valueFrom`, or nil when it names an optional Secret, ConfigMap or key that
    /// does not exist (then the variable is left out, as in Kubernetes).
    private static func valueFrom(
        _ source: EnvVarSource, container: Container, pod: Pod, namespace: String, podIP: String, hostIP: String,
        inputs: EnvironmentInputs
    ) throws(ContainerConfigError) -> String? {
        if let field = source.fieldRef {
            return try fieldValue(field.fieldPath, pod: pod, podIP: podIP, hostIP: hostIP)
        }
        if let field = source.resourceFieldRef {
            return try resourceValue(field, container: container, pod: pod, allocatable: inputs.nodeAllocatable)
        }
        if let ref = source.configMapKeyRef {
            let name = ref.name ?? ""
            let optional = ref.optional == true
            guard let data = inputs.configMap(name) else {
                if optional { return nil }
                throw ContainerConfigError("configmap \(quote(name)) not found")
            }
            guard let value = data[ref.key] else {
                if optional { return nil }
                throw ContainerConfigError("couldn't find key \(ref.key) in ConfigMap \(namespace)/\(name)")
            }
            return value
        }
        if let ref = source.secretKeyRef {
            let name = ref.name ?? ""
            let optional = ref.optional == true
            guard let data = inputs.secret(name) else {
                if optional { return nil }
                throw ContainerConfigError("secret \(quote(name)) not found")
            }
            guard let value = data[ref.key] else {
                if optional { return nil }
                throw ContainerConfigError("couldn't find key \(ref.key) in Secret \(namespace)/\(name)")
            }
            return value
        }
        return ""
    }

    /// The downward-API fields Kubernetes allows in `env[].valueFrom.fieldRef`.
    private static func fieldValue(
        _ path: String, pod: Pod, podIP: String, hostIP: String
    ) throws(ContainerConfigError) -> String {
        switch path {
        case "metadata.name": return pod.metadata.name ?? ""
        case "metadata.namespace": return pod.metadata.namespace ?? "default"
        case "metadata.uid": return pod.metadata.uid ?? ""
        case "spec.nodeName": return pod.spec?.nodeName ?? ""
        case "spec.serviceAccountName": return pod.spec?.serviceAccountName ?? ""
        case "status.podIP", "status.podIPs": return podIP
        case "status.hostIP", "status.hostIPs": return hostIP
        case "metadata.labels": return formatMap(pod.metadata.labels)
        case "metadata.annotations": return formatMap(pod.metadata.annotations)
        default:
            if let key = subscriptKey(of: path, field: "metadata.labels") { return pod.metadata.labels?[key] ?? "" }
            if let key = subscriptKey(of: path, field: "metadata.annotations") {
                return pod.metadata.annotations?[key] ?? ""
            }
            throw ContainerConfigError("unsupported fieldPath: \(path)")
        }
    }

    /// `key` of `field['key']`.
    private static func subscriptKey(of path: String, field: String) -> String? {
        let opening = field + "['"
        guard path.hasPrefix(opening), path.hasSuffix("']"), path.count >= opening.count + 2 else { return nil }
        return String(path.dropFirst(opening.count).dropLast(2))
    }

    /// Kubernetes' text for a whole map: `key="value"` lines in key order.
    private static func formatMap(_ map: [String: String]?) -> String {
        (map ?? [:]).sorted { $0.key < $1.key }.map { entry in
            var escaped = ""
            for ch in entry.value {
                switch ch {
                case "\\", "\"": escaped += "\\\(ch)"
                case "\n": escaped += "\\n"
                default: escaped.append(ch)
                }
            }
            return "\(entry.key)=\"\(escaped)\""
        }.joined(separator: "\n")
    }

    /// A container's request or limit in units of `divisor` (default 1), rounded up. An unset limit
    /// is the node's allocatable amount and an unset request the limit, as Kubernetes defaults them.
    private static func resourceValue(
        _ selector: ResourceFieldSelector, container: Container, pod: Pod, allocatable: [String: Quantity]
    ) throws(ContainerConfigError) -> String {
        var target = container
        if let name = selector.containerName, !name.isEmpty {
            let all = (pod.spec?.containers ?? []) + (pod.spec?.initContainers ?? [])
            guard let named = all.first(where: { $0.name == name }) else {
                throw ContainerConfigError("container \(name) not found")
            }
            target = named
        }
        let parts = selector.resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests",
            ["cpu", "memory", "ephemeral-storage"].contains(parts[1])
        else { throw ContainerConfigError("unsupported container resource : \(selector.resource)") }
        let resource = parts[1]
        let limit = target.resources?.limits?[resource] ?? allocatable[resource]
        let amount =
            (parts[0] == "limits" ? limit : target.resources?.requests?[resource] ?? target.resources?.limits?[resource])
            ?? .zero
        let divisor = selector.divisor.flatMap { $0.isZero ? nil : $0 } ?? Quantity(value: 1)
        if resource == "cpu" {
            return String(ceilingDivide(amount.milliValue, max(divisor.milliValue, 1)))
        }
        return String(ceilingDivide(amount.value, max(divisor.value, 1)))
    }

    private static func ceilingDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let (q, r) = a.quotientAndRemainder(dividingBy: b)
        return r > 0 ? q + 1 : q
    }

    // MARK: Names

    /// Kubernetes' rule since 1.34 (relaxed validation): any printable ASCII but `=`, not empty.
    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 >= 32 && $0 <= 126 && $0 != UInt8(ascii: "=") }
    }

    /// A Service or port name as a variable name: `chat-api` -> `CHAT_API`, `3d` -> `_3D`.
    static func variableName(_ name: String) -> String {
        let upper = String(name.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
        if let first = upper.unicodeScalars.first, ("0"..."9").contains(first) { return "_" + upper }
        return upper
    }

    private static func quote(_ text: String) -> String { "\"\(text)\"" }
}
