/// A group of processes scheduled together onto one node, with one IP.
public struct Pod: APIObject {
    public static let resourceType = ResourceType.pod
    /// Where the scheduler's latest decision for a pod is kept beside it: the name of the pod's
    /// store attachment, and of the subresource that serves it (`GET pods/NAME/scheduling`).
    public static let schedulingRecord = "scheduling"

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PodSpec?
    public var status: PodStatus?

    public init(
        apiVersion: String? = ResourceType.pod.apiVersion,
        kind: String? = ResourceType.pod.kind,
        metadata: ObjectMeta = ObjectMeta(),
        spec: PodSpec? = nil,
        status: PodStatus? = nil
    ) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// The pod a Deployment or ReplicaSet stamps out.
public struct PodTemplateSpec: Codable, Sendable, Hashable {
    public var metadata: ObjectMeta?
    public var spec: PodSpec

    public init(metadata: ObjectMeta? = nil, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

/// What a pod runs and how.
public struct PodSpec: Codable, Sendable, Hashable {
    public var containers: [Container]
    public var initContainers: [Container]?
    public var volumes: [Volume]?
    /// `Always` (default), `OnFailure` or `Never`.
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    public var dnsPolicy: String?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    public var automountServiceAccountToken: Bool?
    /// Set by the scheduler when it binds the pod.
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostname: String?
    public var subdomain: String?
    public var schedulerName: String?
    public var tolerations: [Toleration]?
    /// Free-form: kctl's scheduler reads only what it supports.
    public var affinity: JSONValue?
    public var topologySpreadConstraints: JSONValue?
    public var securityContext: JSONValue?
    public var imagePullSecrets: [LocalObjectReference]?
    public var priorityClassName: String?
    public var priority: Int32?
    public var enableServiceLinks: Bool?
    public var shareProcessNamespace: Bool?
    public var serviceAccount: String?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var hostAliases: JSONValue?
    public var dnsConfig: JSONValue?
    public var readinessGates: JSONValue?
    public var runtimeClassName: String?
    public var preemptionPolicy: String?
    public var overhead: [String: Quantity]?
    public var setHostnameAsFQDN: Bool?
    public var os: JSONValue?
    public var ephemeralContainers: JSONValue?
    public var schedulingGates: JSONValue?
    public var resourceClaims: JSONValue?
    public var hostUsers: Bool?
    public var resources: ResourceRequirements?

    public init(
        containers: [Container],
        initContainers: [Container]? = nil,
        volumes: [Volume]? = nil,
        restartPolicy: String? = nil,
        terminationGracePeriodSeconds: Int64? = nil,
        activeDeadlineSeconds: Int64? = nil,
        dnsPolicy: String? = nil,
        nodeSelector: [String: String]? = nil,
        serviceAccountName: String? = nil,
        automountServiceAccountToken: Bool? = nil,
        nodeName: String? = nil,
        hostNetwork: Bool? = nil,
        hostname: String? = nil,
        subdomain: String? = nil,
        schedulerName: String? = nil,
        tolerations: [Toleration]? = nil,
        affinity: JSONValue? = nil,
        topologySpreadConstraints: JSONValue? = nil,
        securityContext: JSONValue? = nil,
        imagePullSecrets: [LocalObjectReference]? = nil,
        priorityClassName: String? = nil,
        priority: Int32? = nil,
        enableServiceLinks: Bool? = nil,
        shareProcessNamespace: Bool? = nil,
        serviceAccount: String? = nil,
        hostPID: Bool? = nil,
        hostIPC: Bool? = nil,
        hostAliases: JSONValue? = nil,
        dnsConfig: JSONValue? = nil,
        readinessGates: JSONValue? = nil,
        runtimeClassName: String? = nil,
        preemptionPolicy: String? = nil,
        overhead: [String: Quantity]? = nil,
        setHostnameAsFQDN: Bool? = nil,
        os: JSONValue? = nil,
        ephemeralContainers: JSONValue? = nil,
        schedulingGates: JSONValue? = nil,
        resourceClaims: JSONValue? = nil,
        hostUsers: Bool? = nil,
        resources: ResourceRequirements? = nil
    ) {
        self.containers = containers
        self.initContainers = initContainers
        self.volumes = volumes
        self.restartPolicy = restartPolicy
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
        self.activeDeadlineSeconds = activeDeadlineSeconds
        self.dnsPolicy = dnsPolicy
        self.nodeSelector = nodeSelector
        self.serviceAccountName = serviceAccountName
        self.automountServiceAccountToken = automountServiceAccountToken
        self.nodeName = nodeName
        self.hostNetwork = hostNetwork
        self.hostname = hostname
        self.subdomain = subdomain
        self.schedulerName = schedulerName
        self.tolerations = tolerations
        self.affinity = affinity
        self.topologySpreadConstraints = topologySpreadConstraints
        self.securityContext = securityContext
        self.imagePullSecrets = imagePullSecrets
        self.priorityClassName = priorityClassName
        self.priority = priority
        self.enableServiceLinks = enableServiceLinks
        self.shareProcessNamespace = shareProcessNamespace
        self.serviceAccount = serviceAccount
        self.hostPID = hostPID
        self.hostIPC = hostIPC
        self.hostAliases = hostAliases
        self.dnsConfig = dnsConfig
        self.readinessGates = readinessGates
        self.runtimeClassName = runtimeClassName
        self.preemptionPolicy = preemptionPolicy
        self.overhead = overhead
        self.setHostnameAsFQDN = setHostnameAsFQDN
        self.os = os
        self.ephemeralContainers = ephemeralContainers
        self.schedulingGates = schedulingGates
        self.resourceClaims = resourceClaims
        self.hostUsers = hostUsers
        self.resources = resources
    }
}

/// One process of a pod.
public struct Container: Codable, Sendable, Hashable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var env: [EnvVar]?
    public var envFrom: [EnvFromSource]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMount]?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public var lifecycle: JSONValue?
    public var imagePullPolicy: String?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var securityContext: JSONValue?
    public var stdin: Bool?
    public var stdinOnce: Bool?
    public var tty: Bool?
    public var volumeDevices: JSONValue?
    public var resizePolicy: JSONValue?
    /// Only `Always`, for sidecar init containers.
    public var restartPolicy: String?

    public init(
        name: String,
        image: String? = nil,
        command: [String]? = nil,
        args: [String]? = nil,
        workingDir: String? = nil,
        ports: [ContainerPort]? = nil,
        env: [EnvVar]? = nil,
        envFrom: [EnvFromSource]? = nil,
        resources: ResourceRequirements? = nil,
        volumeMounts: [VolumeMount]? = nil,
        livenessProbe: Probe? = nil,
        readinessProbe: Probe? = nil,
        startupProbe: Probe? = nil,
        lifecycle: JSONValue? = nil,
        imagePullPolicy: String? = nil,
        terminationMessagePath: String? = nil,
        terminationMessagePolicy: String? = nil,
        securityContext: JSONValue? = nil,
        stdin: Bool? = nil,
        stdinOnce: Bool? = nil,
        tty: Bool? = nil,
        volumeDevices: JSONValue? = nil,
        resizePolicy: JSONValue? = nil,
        restartPolicy: String? = nil
    ) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.ports = ports
        self.env = env
        self.envFrom = envFrom
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.livenessProbe = livenessProbe
        self.readinessProbe = readinessProbe
        self.startupProbe = startupProbe
        self.lifecycle = lifecycle
        self.imagePullPolicy = imagePullPolicy
        self.terminationMessagePath = terminationMessagePath
        self.terminationMessagePolicy = terminationMessagePolicy
        self.securityContext = securityContext
        self.stdin = stdin
        self.stdinOnce = stdinOnce
        self.tty = tty
        self.volumeDevices = volumeDevices
        self.resizePolicy = resizePolicy
        self.restartPolicy = restartPolicy
    }
}

/// A port a container listens on.
public struct ContainerPort: Codable, Sendable, Hashable {
    public var name: String?
    public var containerPort: Int32
    public var hostPort: Int32?
    public var `protocol`: String?
    public var hostIP: String?

    public init(
        name: String? = nil,
        containerPort: Int32,
        hostPort: Int32? = nil,
        protocol: String? = nil,
        hostIP: String? = nil
    ) {
        self.name = name
        self.containerPort = containerPort
        self.hostPort = hostPort
        self.protocol = `protocol`
        self.hostIP = hostIP
    }
}

/// One environment variable: a literal `value` (with `$(VAR)` references) or `valueFrom`.
public struct EnvVar: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var valueFrom: EnvVarSource?

    public init(name: String, value: String? = nil, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }
}

/// Where an environment variable's value comes from.
public struct EnvVarSource: Codable, Sendable, Hashable {
    public var secretKeyRef: SecretKeySelector?
    public var configMapKeyRef: ConfigMapKeySelector?
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?

    public init(
        secretKeyRef: SecretKeySelector? = nil,
        configMapKeyRef: ConfigMapKeySelector? = nil,
        fieldRef: ObjectFieldSelector? = nil,
        resourceFieldRef: ResourceFieldSelector? = nil
    ) {
        self.secretKeyRef = secretKeyRef
        self.configMapKeyRef = configMapKeyRef
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
    }
}

/// One key of a Secret.
public struct SecretKeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String? = nil, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// One key of a ConfigMap.
public struct ConfigMapKeySelector: Codable, Sendable, Hashable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String? = nil, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// A field of the pod itself (`status.podIP`, `metadata.name`).
public struct ObjectFieldSelector: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var fieldPath: String

    public init(apiVersion: String? = nil, fieldPath: String) {
        self.apiVersion = apiVersion
        self.fieldPath = fieldPath
    }
}

/// A resource request or limit of a container (`limits.cpu`).
public struct ResourceFieldSelector: Codable, Sendable, Hashable {
    public var containerName: String?
    public var resource: String
    public var divisor: Quantity?

    public init(containerName: String? = nil, resource: String, divisor: Quantity? = nil) {
        self.containerName = containerName
        self.resource = resource
        self.divisor = divisor
    }
}

/// Imports every key of a ConfigMap or Secret as environment variables.
public struct EnvFromSource: Codable, Sendable, Hashable {
    public var prefix: String?
    public var configMapRef: ConfigMapEnvSource?
    public var secretRef: SecretEnvSource?

    public init(
        prefix: String? = nil,
        configMapRef: ConfigMapEnvSource? = nil,
        secretRef: SecretEnvSource? = nil
    ) {
        self.prefix = prefix
        self.configMapRef = configMapRef
        self.secretRef = secretRef
    }
}

/// A ConfigMap imported whole by `envFrom`.
public struct ConfigMapEnvSource: Codable, Sendable, Hashable {
    public var name: String?
    public var optional: Bool?

    public init(name: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

/// A Secret imported whole by `envFrom`.
public struct SecretEnvSource: Codable, Sendable, Hashable {
    public var name: String?
    public var optional: Bool?

    public init(name: String? = nil, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

/// Requests (what the scheduler reserves) and limits (the most a container may use).
public struct ResourceRequirements: Codable, Sendable, Hashable {
    public var limits: [String: Quantity]?
    public var requests: [String: Quantity]?
    public var claims: JSONValue?

    public init(
        limits: [String: Quantity]? = nil,
        requests: [String: Quantity]? = nil,
        claims: JSONValue? = nil
    ) {
        self.limits = limits
        self.requests = requests
        self.claims = claims
    }
}

/// A health check: exactly one handler, and how often and how strictly to run it.
public struct Probe: Codable, Sendable, Hashable {
    public var exec: ExecAction?
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var grpc: GRPCAction?
    public var initialDelaySeconds: Int32?
    public var timeoutSeconds: Int32?
    public var periodSeconds: Int32?
    public var successThreshold: Int32?
    public var failureThreshold: Int32?
    public var terminationGracePeriodSeconds: Int64?

    public init(
        exec: ExecAction? = nil,
        httpGet: HTTPGetAction? = nil,
        tcpSocket: TCPSocketAction? = nil,
        grpc: GRPCAction? = nil,
        initialDelaySeconds: Int32? = nil,
        timeoutSeconds: Int32? = nil,
        periodSeconds: Int32? = nil,
        successThreshold: Int32? = nil,
        failureThreshold: Int32? = nil,
        terminationGracePeriodSeconds: Int64? = nil
    ) {
        self.exec = exec
        self.httpGet = httpGet
        self.tcpSocket = tcpSocket
        self.grpc = grpc
        self.initialDelaySeconds = initialDelaySeconds
        self.timeoutSeconds = timeoutSeconds
        self.periodSeconds = periodSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
    }
}

/// Runs a command; exit status 0 is healthy.
public struct ExecAction: Codable, Sendable, Hashable {
    public var command: [String]?

    public init(command: [String]? = nil) {
        self.command = command
    }
}

/// An HTTP GET; a status in 200..<400 is healthy.
public struct HTTPGetAction: Codable, Sendable, Hashable {
    public var path: String?
    public var port: IntOrString
    public var host: String?
    public var scheme: String?
    public var httpHeaders: [HTTPHeader]?

    public init(
        path: String? = nil,
        port: IntOrString,
        host: String? = nil,
        scheme: String? = nil,
        httpHeaders: [HTTPHeader]? = nil
    ) {
        self.path = path
        self.port = port
        self.host = host
        self.scheme = scheme
        self.httpHeaders = httpHeaders
    }
}

/// A header sent with an HTTP probe.
public struct HTTPHeader: Codable, Sendable, Hashable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// A TCP connect; success is healthy.
public struct TCPSocketAction: Codable, Sendable, Hashable {
    public var port: IntOrString
    public var host: String?

    public init(port: IntOrString, host: String? = nil) {
        self.port = port
        self.host = host
    }
}

/// A gRPC health check.
public struct GRPCAction: Codable, Sendable, Hashable {
    public var port: Int32
    public var service: String?

    public init(port: Int32, service: String? = nil) {
        self.port = port
        self.service = service
    }
}

/// A volume pods can mount (kctl supports few sources; the rest stay free-form).
public struct Volume: Codable, Sendable, Hashable {
    public var name: String
    public var emptyDir: EmptyDirVolumeSource?
    public var configMap: ConfigMapVolumeSource?
    public var secret: SecretVolumeSource?
    public var hostPath: HostPathVolumeSource?
    public var persistentVolumeClaim: JSONValue?
    public var projected: JSONValue?
    public var downwardAPI: JSONValue?
    public var ephemeral: JSONValue?
    public var csi: JSONValue?
    public var nfs: JSONValue?
    public var image: JSONValue?

    public init(
        name: String,
        emptyDir: EmptyDirVolumeSource? = nil,
        configMap: ConfigMapVolumeSource? = nil,
        secret: SecretVolumeSource? = nil,
        hostPath: HostPathVolumeSource? = nil,
        persistentVolumeClaim: JSONValue? = nil,
        projected: JSONValue? = nil,
        downwardAPI: JSONValue? = nil,
        ephemeral: JSONValue? = nil,
        csi: JSONValue? = nil,
        nfs: JSONValue? = nil,
        image: JSONValue? = nil
    ) {
        self.name = name
        self.emptyDir = emptyDir
        self.configMap = configMap
        self.secret = secret
        self.hostPath = hostPath
        self.persistentVolumeClaim = persistentVolumeClaim
        self.projected = projected
        self.downwardAPI = downwardAPI
        self.ephemeral = ephemeral
        self.csi = csi
        self.nfs = nfs
        self.image = image
    }
}

/// A scratch directory that lives as long as the pod.
public struct EmptyDirVolumeSource: Codable, Sendable, Hashable {
    public var medium: String?
    public var sizeLimit: Quantity?

    public init(medium: String? = nil, sizeLimit: Quantity? = nil) {
        self.medium = medium
        self.sizeLimit = sizeLimit
    }
}

/// A ConfigMap's keys as files.
public struct ConfigMapVolumeSource: Codable, Sendable, Hashable {
    public var name: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(
        name: String? = nil,
        items: [KeyToPath]? = nil,
        defaultMode: Int32? = nil,
        optional: Bool? = nil
    ) {
        self.name = name
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// A Secret's keys as files.
public struct SecretVolumeSource: Codable, Sendable, Hashable {
    public var secretName: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(
        secretName: String? = nil,
        items: [KeyToPath]? = nil,
        defaultMode: Int32? = nil,
        optional: Bool? = nil
    ) {
        self.secretName = secretName
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// Maps one key to a file path in a volume.
public struct KeyToPath: Codable, Sendable, Hashable {
    public var key: String
    public var path: String
    public var mode: Int32?

    public init(key: String, path: String, mode: Int32? = nil) {
        self.key = key
        self.path = path
        self.mode = mode
    }
}

/// A directory of the host.
public struct HostPathVolumeSource: Codable, Sendable, Hashable {
    public var path: String
    public var type: String?

    public init(path: String, type: String? = nil) {
        self.path = path
        self.type = type
    }
}

/// Where a volume appears in a container.
public struct VolumeMount: Codable, Sendable, Hashable {
    public var name: String
    public var mountPath: String
    public var readOnly: Bool?
    public var subPath: String?
    public var subPathExpr: String?
    public var mountPropagation: String?
    public var recursiveReadOnly: String?

    public init(
        name: String,
        mountPath: String,
        readOnly: Bool? = nil,
        subPath: String? = nil,
        subPathExpr: String? = nil,
        mountPropagation: String? = nil,
        recursiveReadOnly: String? = nil
    ) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.subPath = subPath
        self.subPathExpr = subPathExpr
        self.mountPropagation = mountPropagation
        self.recursiveReadOnly = recursiveReadOnly
    }
}

/// Lets a pod run on nodes with a matching taint.
public struct Toleration: Codable, Sendable, Hashable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(
        key: String? = nil,
        operator: String? = nil,
        value: String? = nil,
        effect: String? = nil,
        tolerationSeconds: Int64? = nil
    ) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// What the node agent last reported about a pod.
public struct PodStatus: Codable, Sendable, Hashable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    public var conditions: [PodCondition]?
    public var message: String?
    public var reason: String?
    public var nominatedNodeName: String?
    public var hostIP: String?
    public var hostIPs: [HostIP]?
    public var podIP: String?
    public var podIPs: [PodIP]?
    public var startTime: String?
    public var initContainerStatuses: [ContainerStatus]?
    public var containerStatuses: [ContainerStatus]?
    public var ephemeralContainerStatuses: [ContainerStatus]?
    public var qosClass: String?
    public var observedGeneration: Int64?
    public var resize: String?
    public var resourceClaimStatuses: JSONValue?

    public init(
        phase: String? = nil,
        conditions: [PodCondition]? = nil,
        message: String? = nil,
        reason: String? = nil,
        nominatedNodeName: String? = nil,
        hostIP: String? = nil,
        hostIPs: [HostIP]? = nil,
        podIP: String? = nil,
        podIPs: [PodIP]? = nil,
        startTime: String? = nil,
        initContainerStatuses: [ContainerStatus]? = nil,
        containerStatuses: [ContainerStatus]? = nil,
        ephemeralContainerStatuses: [ContainerStatus]? = nil,
        qosClass: String? = nil,
        observedGeneration: Int64? = nil,
        resize: String? = nil,
        resourceClaimStatuses: JSONValue? = nil
    ) {
        self.phase = phase
        self.conditions = conditions
        self.message = message
        self.reason = reason
        self.nominatedNodeName = nominatedNodeName
        self.hostIP = hostIP
        self.hostIPs = hostIPs
        self.podIP = podIP
        self.podIPs = podIPs
        self.startTime = startTime
        self.initContainerStatuses = initContainerStatuses
        self.containerStatuses = containerStatuses
        self.ephemeralContainerStatuses = ephemeralContainerStatuses
        self.qosClass = qosClass
        self.observedGeneration = observedGeneration
        self.resize = resize
        self.resourceClaimStatuses = resourceClaimStatuses
    }
}

/// One IP of the pod's node.
public struct HostIP: Codable, Sendable, Hashable {
    public var ip: String

    public init(ip: String) {
        self.ip = ip
    }
}

/// One IP of the pod.
public struct PodIP: Codable, Sendable, Hashable {
    public var ip: String

    public init(ip: String) {
        self.ip = ip
    }
}

/// `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`.
public struct PodCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var lastProbeTime: String?
    public var lastTransitionTime: String?
    public var reason: String?
    public var message: String?

    public init(
        type: String,
        status: String,
        lastProbeTime: String? = nil,
        lastTransitionTime: String? = nil,
        reason: String? = nil,
        message: String? = nil
    ) {
        self.type = type
        self.status = status
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

/// The state of one container's process.
public struct ContainerStatus: Codable, Sendable, Hashable {
    public var name: String
    public var state: ContainerState?
    public var lastState: ContainerState?
    public var ready: Bool
    public var restartCount: Int32
    public var image: String?
    public var imageID: String?
    public var containerID: String?
    public var started: Bool?
    public var allocatedResources: [String: Quantity]?
    public var resources: ResourceRequirements?
    public var volumeMounts: JSONValue?
    public var user: JSONValue?
    public var stopSignal: String?

    public init(
        name: String,
        state: ContainerState? = nil,
        lastState: ContainerState? = nil,
        ready: Bool,
        restartCount: Int32,
        image: String? = nil,
        imageID: String? = nil,
        containerID: String? = nil,
        started: Bool? = nil,
        allocatedResources: [String: Quantity]? = nil,
        resources: ResourceRequirements? = nil,
        volumeMounts: JSONValue? = nil,
        user: JSONValue? = nil,
        stopSignal: String? = nil
    ) {
        self.name = name
        self.state = state
        self.lastState = lastState
        self.ready = ready
        self.restartCount = restartCount
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
        self.allocatedResources = allocatedResources
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.user = user
        self.stopSignal = stopSignal
    }
}

/// Exactly one of waiting, running or terminated.
public struct ContainerState: Codable, Sendable, Hashable {
    public var waiting: ContainerStateWaiting?
    public var running: ContainerStateRunning?
    public var terminated: ContainerStateTerminated?

    public init(
        waiting: ContainerStateWaiting? = nil,
        running: ContainerStateRunning? = nil,
        terminated: ContainerStateTerminated? = nil
    ) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }
}

/// Not running yet, or backing off (`CrashLoopBackOff`).
public struct ContainerStateWaiting: Codable, Sendable, Hashable {
    public var reason: String?
    public var message: String?

    public init(reason: String? = nil, message: String? = nil) {
        self.reason = reason
        self.message = message
    }
}

/// Running since `startedAt`.
public struct ContainerStateRunning: Codable, Sendable, Hashable {
    public var startedAt: String?

    public init(startedAt: String? = nil) {
        self.startedAt = startedAt
    }
}

/// Exited.
public struct ContainerStateTerminated: Codable, Sendable, Hashable {
    public var exitCode: Int32
    public var signal: Int32?
    public var reason: String?
    public var message: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var containerID: String?

    public init(
        exitCode: Int32,
        signal: Int32? = nil,
        reason: String? = nil,
        message: String? = nil,
        startedAt: String? = nil,
        finishedAt: String? = nil,
        containerID: String? = nil
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.containerID = containerID
    }
}
