import KctlModel

/// How one protobuf message maps onto its JSON form: field number to JSON name and kind, with
/// field numbers from the Kubernetes `generated.proto` files. It lets `kubectl create
/// deployment|service|ingress` (typed clients, so protobuf bodies) reach the same JSON that
/// `kubectl create -f` sends, without a protobuf library for a handful of messages.
///
/// Go writes every non-pointer field, even when empty, and a pointer field only when set. So an
/// empty string, `false` or `0` is left out unless the field is a pointer (`replicas: 0` stays),
/// and an empty non-pointer message is `{}`, as Go's JSON has it (`"resources": {}`). A field
/// this table does not decode, or does not know, is a 415 naming it when it carries anything:
/// nothing the client sent is silently dropped.
struct ProtoSchema: Sendable {
    /// A JSON field and how its wire value is read.
    struct Field: Sendable {
        indirect enum Kind: Sendable {
            case string, int, bool
            case message(ProtoSchema)
            /// A message whose fields sit in the parent's JSON object (`IngressRule.ingressRuleValue`).
            case inline(ProtoSchema)
            /// ObjectMeta's client-set fields.
            case objectMeta
            /// `map<string, string>`.
            case stringMap
            /// `map<string, Quantity>` (resources): each Quantity is a message holding its string.
            case quantityMap
            /// `IntOrString`: 1 type (0 int, 1 string), 2 intVal, 3 strVal.
            case intOrString
            /// A field kctl does not decode from protobuf (named by its message type); a 415 when set.
            case unsupported(String)
            /// Server-owned (status): read past.
            case ignored
        }

        let json: String
        let kind: Kind
        var repeated = false
        /// A Go pointer: written only when set, so its zero value is kept.
        var pointer = false
    }

    let name: String
    let fields: [Int: Field]

    init(_ name: String, _ fields: [Int: Field]) {
        self.name = name
        self.fields = fields
    }

    /// Decodes one message of this type; `path` (`spec.template`) names fields in errors.
    func decode(_ raw: ArraySlice<UInt8>, path: String) throws -> [String: JSONValue] {
        var object: [String: JSONValue] = [:]
        var reader = ProtoReader(raw)
        while let (number, value) = try reader.next() {
            guard let field = fields[number] else {
                guard value.isEmpty else {
                    throw ProtobufBody.unsupported(
                        "field \(number) of \(name) at \(path.isEmpty ? "the top level" : path) is not known to kctl's protobuf decoding; send the object as application/json")
                }
                continue
            }
            let fieldPath = path.isEmpty ? field.json : "\(path).\(field.json)"
            switch field.kind {
            case .ignored:
                continue
            case .unsupported(let type):
                guard value.isEmpty else {
                    throw ProtobufBody.unsupported(
                        "\(fieldPath) (\(type)) is not decoded from protobuf by kctl; send the object as application/json (kubectl create -f or apply -f do)")
                }
            case .inline(let schema):
                for (key, member) in try schema.decode(value.bytes(), path: path) { object[key] = member }
            case .stringMap, .quantityMap:
                let (key, entry) = try ProtobufBody.mapEntry(value.bytes())
                let member: JSONValue
                if case .quantityMap = field.kind {
                    let quantity = try ProtoSchema.quantity.decode(entry, path: "\(fieldPath).\(key)")
                    member = .string(quantity["string"]?.stringValue ?? "")
                } else {
                    member = .string(String(decoding: entry, as: UTF8.self))
                }
                var map = object[field.json]?.objectValue ?? [:]
                map[key] = member
                object[field.json] = .object(map)
            default:
                guard let member = try decodeValue(value, of: field, path: fieldPath) else { continue }
                if field.repeated {
                    var list = object[field.json]?.arrayValue ?? []
                    list.append(member)
                    object[field.json] = .array(list)
                } else {
                    object[field.json] = member
                }
            }
        }
        return object
    }

    /// One field's value, or nil for a non-pointer scalar left at its zero value.
    private func decodeValue(_ value: ProtoValue, of field: Field, path: String) throws -> JSONValue? {
        let keepZero = field.pointer || field.repeated
        switch field.kind {
        case .string:
            let text = try value.string()
            return text.isEmpty && !keepZero ? nil : .string(text)
        case .int:
            // int32 and int64 alike: a negative int32 is sent as a 64-bit two's complement varint.
            let number = Int64(bitPattern: try value.varint())
            return number == 0 && !keepZero ? nil : .int(number)
        case .bool:
            let flag = try value.varint() != 0
            return !flag && !keepZero ? nil : .bool(flag)
        case .message(let schema):
            return .object(try schema.decode(value.bytes(), path: path))
        case .objectMeta:
            return try ProtobufBody.objectMeta(value.bytes())
        case .intOrString:
            let parts = try ProtoSchema.intOrString.decode(value.bytes(), path: path)
            if parts["type"]?.intValue == 1 { return .string(parts["strVal"]?.stringValue ?? "") }
            return .int(parts["intVal"]?.intValue ?? 0)
        case .inline, .stringMap, .quantityMap, .unsupported, .ignored:
            return nil  // handled by the caller
        }
    }
}

extension ProtoValue {
    /// Whether the value carries nothing: a zero varint or fixed value, or an empty message or string.
    var isEmpty: Bool {
        switch self {
        case .varint(let v): v == 0
        case .fixed64(let v): v == 0
        case .fixed32(let v): v == 0
        case .bytes(let b): b.isEmpty
        }
    }
}

// MARK: Field constructors

extension ProtoSchema.Field {
    static func string(_ json: String, pointer: Bool = false) -> Self { .init(json: json, kind: .string, pointer: pointer) }
    static func strings(_ json: String) -> Self { .init(json: json, kind: .string, repeated: true) }
    static func int(_ json: String, pointer: Bool = false) -> Self { .init(json: json, kind: .int, pointer: pointer) }
    static func bool(_ json: String, pointer: Bool = false) -> Self { .init(json: json, kind: .bool, pointer: pointer) }
    static func message(_ json: String, _ schema: ProtoSchema) -> Self { .init(json: json, kind: .message(schema)) }
    static func messages(_ json: String, _ schema: ProtoSchema) -> Self {
        .init(json: json, kind: .message(schema), repeated: true)
    }
    static func inline(_ schema: ProtoSchema) -> Self { .init(json: "", kind: .inline(schema)) }
    static func stringMap(_ json: String) -> Self { .init(json: json, kind: .stringMap) }
    static func quantityMap(_ json: String) -> Self { .init(json: json, kind: .quantityMap) }
    static func intOrString(_ json: String) -> Self { .init(json: json, kind: .intOrString) }
    static func unsupported(_ json: String, _ type: String) -> Self { .init(json: json, kind: .unsupported(type)) }
    static let metadata = Self(json: "metadata", kind: .objectMeta)
    static let status = Self(json: "status", kind: .ignored)
}

// MARK: Messages

extension ProtoSchema {
    static let quantity = ProtoSchema("Quantity", [1: .string("string")])
    static let intOrString = ProtoSchema("IntOrString", [1: .int("type"), 2: .int("intVal"), 3: .string("strVal")])

    static let labelSelectorRequirement = ProtoSchema(
        "LabelSelectorRequirement", [1: .string("key"), 2: .string("operator"), 3: .strings("values")])
    static let labelSelector = ProtoSchema(
        "LabelSelector", [1: .stringMap("matchLabels"), 2: .messages("matchExpressions", labelSelectorRequirement)])

    // core/v1

    static let containerPort = ProtoSchema(
        "ContainerPort",
        [1: .string("name"), 2: .int("hostPort"), 3: .int("containerPort"), 4: .string("protocol"), 5: .string("hostIP")])
    static let envVar = ProtoSchema(
        "EnvVar", [1: .string("name"), 2: .string("value"), 3: .unsupported("valueFrom", "EnvVarSource")])
    static let resourceRequirements = ProtoSchema(
        "ResourceRequirements",
        [1: .quantityMap("limits"), 2: .quantityMap("requests"), 3: .unsupported("claims", "ResourceClaim")])
    static let httpGetAction = ProtoSchema(
        "HTTPGetAction",
        [
            1: .string("path"), 2: .intOrString("port"), 3: .string("host"), 4: .string("scheme"),
            5: .unsupported("httpHeaders", "HTTPHeader"),
        ])
    static let tcpSocketAction = ProtoSchema("TCPSocketAction", [1: .intOrString("port"), 2: .string("host")])
    static let execAction = ProtoSchema("ExecAction", [1: .strings("command")])
    static let probeHandler = ProtoSchema(
        "ProbeHandler",
        [
            1: .message("exec", execAction), 2: .message("httpGet", httpGetAction),
            3: .message("tcpSocket", tcpSocketAction), 4: .unsupported("grpc", "GRPCAction"),
        ])
    static let probe = ProtoSchema(
        "Probe",
        [
            1: .inline(probeHandler), 2: .int("initialDelaySeconds"), 3: .int("timeoutSeconds"),
            4: .int("periodSeconds"), 5: .int("successThreshold"), 6: .int("failureThreshold"),
            7: .int("terminationGracePeriodSeconds", pointer: true),
        ])
    static let container = ProtoSchema(
        "Container",
        [
            1: .string("name"), 2: .string("image"), 3: .strings("command"), 4: .strings("args"),
            5: .string("workingDir"), 6: .messages("ports", containerPort), 7: .messages("env", envVar),
            8: .message("resources", resourceRequirements), 9: .unsupported("volumeMounts", "VolumeMount"),
            10: .message("livenessProbe", probe), 11: .message("readinessProbe", probe),
            12: .unsupported("lifecycle", "Lifecycle"), 13: .string("terminationMessagePath"),
            14: .string("imagePullPolicy"), 15: .unsupported("securityContext", "SecurityContext"),
            16: .bool("stdin"), 17: .bool("stdinOnce"), 18: .bool("tty"),
            19: .unsupported("envFrom", "EnvFromSource"), 20: .string("terminationMessagePolicy"),
            21: .unsupported("volumeDevices", "VolumeDevice"), 22: .message("startupProbe", probe),
            23: .unsupported("resizePolicy", "ContainerResizePolicy"), 24: .string("restartPolicy", pointer: true),
            25: .unsupported("restartPolicyRules", "ContainerRestartRule"),
        ])
    static let podSpec = ProtoSchema(
        "PodSpec",
        [
            1: .unsupported("volumes", "Volume"), 2: .messages("containers", container), 3: .string("restartPolicy"),
            4: .int("terminationGracePeriodSeconds", pointer: true), 5: .int("activeDeadlineSeconds", pointer: true),
            6: .string("dnsPolicy"), 7: .stringMap("nodeSelector"), 8: .string("serviceAccountName"),
            9: .string("serviceAccount"), 10: .string("nodeName"), 11: .bool("hostNetwork"), 12: .bool("hostPID"),
            13: .bool("hostIPC"), 14: .unsupported("securityContext", "PodSecurityContext"),
            15: .unsupported("imagePullSecrets", "LocalObjectReference"), 16: .string("hostname"),
            17: .string("subdomain"), 18: .unsupported("affinity", "Affinity"), 19: .string("schedulerName"),
            20: .messages("initContainers", container), 21: .bool("automountServiceAccountToken", pointer: true),
            22: .unsupported("tolerations", "Toleration"), 23: .unsupported("hostAliases", "HostAlias"),
            24: .string("priorityClassName"), 25: .int("priority", pointer: true),
            26: .unsupported("dnsConfig", "PodDNSConfig"), 27: .bool("shareProcessNamespace", pointer: true),
            28: .unsupported("readinessGates", "PodReadinessGate"), 29: .string("runtimeClassName", pointer: true),
            30: .bool("enableServiceLinks", pointer: true), 31: .string("preemptionPolicy", pointer: true),
            32: .quantityMap("overhead"), 33: .unsupported("topologySpreadConstraints", "TopologySpreadConstraint"),
            34: .unsupported("ephemeralContainers", "EphemeralContainer"),
            35: .bool("setHostnameAsFQDN", pointer: true), 36: .unsupported("os", "PodOS"),
            37: .bool("hostUsers", pointer: true), 38: .unsupported("schedulingGates", "PodSchedulingGate"),
            39: .unsupported("resourceClaims", "PodResourceClaim"), 40: .message("resources", resourceRequirements),
            41: .string("hostnameOverride", pointer: true),
        ])
    static let podTemplateSpec = ProtoSchema("PodTemplateSpec", [1: .metadata, 2: .message("spec", podSpec)])

    static let servicePort = ProtoSchema(
        "ServicePort",
        [
            1: .string("name"), 2: .string("protocol"), 3: .int("port"), 4: .intOrString("targetPort"),
            5: .int("nodePort"), 6: .string("appProtocol", pointer: true),
        ])
    static let serviceSpec = ProtoSchema(
        "ServiceSpec",
        [
            1: .messages("ports", servicePort), 2: .stringMap("selector"), 3: .string("clusterIP"), 4: .string("type"),
            5: .strings("externalIPs"), 7: .string("sessionAffinity"), 8: .string("loadBalancerIP"),
            9: .strings("loadBalancerSourceRanges"), 10: .string("externalName"),
            11: .string("externalTrafficPolicy"), 12: .int("healthCheckNodePort"),
            13: .bool("publishNotReadyAddresses"), 14: .unsupported("sessionAffinityConfig", "SessionAffinityConfig"),
            17: .string("ipFamilyPolicy", pointer: true), 18: .strings("clusterIPs"), 19: .strings("ipFamilies"),
            20: .bool("allocateLoadBalancerNodePorts", pointer: true), 21: .string("loadBalancerClass", pointer: true),
            22: .string("internalTrafficPolicy", pointer: true), 23: .string("trafficDistribution", pointer: true),
        ])
    static let service = ProtoSchema("Service", [1: .metadata, 2: .message("spec", serviceSpec), 3: .status])

    // apps/v1

    static let rollingUpdateDeployment = ProtoSchema(
        "RollingUpdateDeployment", [1: .intOrString("maxUnavailable"), 2: .intOrString("maxSurge")])
    static let deploymentStrategy = ProtoSchema(
        "DeploymentStrategy", [1: .string("type"), 2: .message("rollingUpdate", rollingUpdateDeployment)])
    static let deploymentSpec = ProtoSchema(
        "DeploymentSpec",
        [
            1: .int("replicas", pointer: true), 2: .message("selector", labelSelector),
            3: .message("template", podTemplateSpec), 4: .message("strategy", deploymentStrategy),
            5: .int("minReadySeconds"), 6: .int("revisionHistoryLimit", pointer: true), 7: .bool("paused"),
            9: .int("progressDeadlineSeconds", pointer: true),
        ])
    static let deployment = ProtoSchema("Deployment", [1: .metadata, 2: .message("spec", deploymentSpec), 3: .status])

    // networking.k8s.io/v1

    static let serviceBackendPort = ProtoSchema("ServiceBackendPort", [1: .string("name"), 2: .int("number")])
    static let ingressServiceBackend = ProtoSchema(
        "IngressServiceBackend", [1: .string("name"), 2: .message("port", serviceBackendPort)])
    static let ingressBackend = ProtoSchema(
        "IngressBackend",
        [3: .unsupported("resource", "TypedLocalObjectReference"), 4: .message("service", ingressServiceBackend)])
    static let httpIngressPath = ProtoSchema(
        "HTTPIngressPath",
        [1: .string("path"), 2: .message("backend", ingressBackend), 3: .string("pathType", pointer: true)])
    static let httpIngressRuleValue = ProtoSchema("HTTPIngressRuleValue", [1: .messages("paths", httpIngressPath)])
    static let ingressRuleValue = ProtoSchema("IngressRuleValue", [1: .message("http", httpIngressRuleValue)])
    static let ingressRule = ProtoSchema("IngressRule", [1: .string("host"), 2: .inline(ingressRuleValue)])
    static let ingressTLS = ProtoSchema("IngressTLS", [1: .strings("hosts"), 2: .string("secretName")])
    static let ingressSpec = ProtoSchema(
        "IngressSpec",
        [
            1: .message("defaultBackend", ingressBackend), 2: .messages("tls", ingressTLS),
            3: .messages("rules", ingressRule), 4: .string("ingressClassName", pointer: true),
        ])
    static let ingress = ProtoSchema("Ingress", [1: .metadata, 2: .message("spec", ingressSpec), 3: .status])
}
