import KctlAgent
import KctlModel
import Testing

@Suite struct ContainerEnvironmentTests {
    static func pod(
        _ containers: [Container], enableServiceLinks: Bool? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil
    ) -> Pod {
        Pod(
            metadata: ObjectMeta(
                name: "web-1", namespace: "shop", uid: "uid-1", labels: labels, annotations: annotations),
            spec: PodSpec(
                containers: containers, serviceAccountName: "builder", nodeName: "node-2",
                enableServiceLinks: enableServiceLinks))
    }

    static func service(_ name: String, clusterIP: String?, ports: [ServicePort]) -> Service {
        Service(metadata: ObjectMeta(name: name, namespace: "shop"), spec: ServiceSpec(ports: ports, clusterIP: clusterIP))
    }

    static func resolve(
        _ container: Container, pod: Pod? = nil, base: [String: String] = [:],
        inputs: EnvironmentInputs = EnvironmentInputs()
    ) throws(ContainerConfigError) -> ResolvedContainer {
        try ContainerEnvironment.resolve(
            container, in: pod ?? Self.pod([container]), podIP: "127.1.0.7", hostIP: "10.0.0.2", base: base,
            inputs: inputs)
    }

    // MARK: Expansion

    @Test(arguments: [
        ("$(A)", "alpha", [String]()),
        ("x$(A)y$(B)z", "xalphaybetaz", []),
        ("$$(A)", "$(A)", []),
        ("$$$(A)", "$alpha", []),
        ("$(MISSING)-$(A)", "$(MISSING)-alpha", ["MISSING"]),
        ("$(A", "$(A", []),
        ("a$", "a$", []),
        ("$A and $", "$A and $", []),
        ("$()", "$()", [""]),
        ("pré$(A)ü", "préalphaü", []),
        ("$(EMPTY)!", "!", []),
        ("no references", "no references", []),
    ])
    func expansion(input: String, expected: String, unresolved: [String]) {
        let values = ["A": "alpha", "B": "beta", "EMPTY": ""]
        var missing: [String] = []
        #expect(ContainerEnvironment.expand(input, unresolved: &missing) { values[$0] } == expected)
        #expect(missing == unresolved)
    }

    // MARK: Layers and order

    @Test func envOverridesEnvFromWhichOverridesServicesWhichOverrideBase() throws {
        let container = Container(
            name: "app", command: ["/bin/app"],
            env: [EnvVar(name: "FROM_ENV", value: "env"), EnvVar(name: "SHARED", value: "env")],
            envFrom: [EnvFromSource(configMapRef: ConfigMapEnvSource(name: "settings"))])
        let inputs = EnvironmentInputs(
            configMaps: ["settings": ["SHARED": "configmap", "DB_SERVICE_HOST": "configmap", "PATH": "/cm"]],
            services: [Self.service("db", clusterIP: "10.96.0.5", ports: [ServicePort(port: 5432)])])
        let resolved = try Self.resolve(
            container, base: ["PATH": "/usr/bin:/bin", "HOSTNAME": "web-1", "DB_SERVICE_PORT": "base"], inputs: inputs)
        #expect(resolved.environment["FROM_ENV"] == "env")
        #expect(resolved.environment["SHARED"] == "env")
        #expect(resolved.environment["DB_SERVICE_HOST"] == "configmap")
        #expect(resolved.environment["DB_SERVICE_PORT"] == "5432")
        #expect(resolved.environment["PATH"] == "/cm")
        #expect(resolved.environment["HOSTNAME"] == "web-1")
    }

    @Test func valuesExpandAgainstWhatIsDefinedSoFar() throws {
        let container = Container(
            name: "app", command: ["/bin/app"],
            env: [
                EnvVar(name: "LATER_REF", value: "$(SECOND)"),  // SECOND is not defined yet
                EnvVar(name: "FIRST", value: "one"),
                EnvVar(name: "SECOND", value: "$(FIRST)-two"),
                EnvVar(name: "ADDR", value: "http://$(POD_IP):$(API_SERVICE_PORT)"),
                EnvVar(name: "FROM_CM", value: "[$(LEVEL)]"),
                EnvVar(name: "EMPTY"),
            ],
            envFrom: [EnvFromSource(prefix: "", configMapRef: ConfigMapEnvSource(name: "cfg"))])
        let inputs = EnvironmentInputs(
            configMaps: ["cfg": ["LEVEL": "debug"]],
            services: [Self.service("api", clusterIP: "10.96.0.9", ports: [ServicePort(port: 80)])])
        let resolved = try Self.resolve(container, base: ["POD_IP": "127.1.0.7"], inputs: inputs)
        #expect(resolved.environment["LATER_REF"] == "$(SECOND)")
        #expect(resolved.environment["SECOND"] == "one-two")
        #expect(resolved.environment["ADDR"] == "http://127.1.0.7:80")
        #expect(resolved.environment["FROM_CM"] == "[debug]")
        #expect(resolved.environment["EMPTY"] == "")
        #expect(resolved.unresolvedReferences == ["SECOND"])
    }

    @Test func commandAndArgsExpandAgainstTheFinalEnvironment() throws {
        let container = Container(
            name: "app", command: ["/bin/sh", "-c"], args: ["echo $(GREETING) $(NOBODY) $$(GREETING) $(NOBODY)"],
            env: [EnvVar(name: "GREETING", value: "hello")])
        let resolved = try Self.resolve(container)
        #expect(resolved.commandLine == ["/bin/sh", "-c", "echo hello $(NOBODY) $(GREETING) $(NOBODY)"])
        #expect(resolved.unresolvedReferences == ["NOBODY"])
    }

    @Test(arguments: [nil, [String](), [""]])
    func aMissingCommandIsAnError(command: [String]?) {
        let container = Container(name: "app", command: command, args: ["--port", "80"])
        #expect(throws: ContainerConfigError("no command specified")) { try Self.resolve(container) }
    }

    // MARK: envFrom

    @Test func envFromAppliesPrefixesInOrderAndReportsInvalidKeys() throws {
        let container = Container(
            name: "app", command: ["/bin/app"],
            envFrom: [
                EnvFromSource(prefix: "CM_", configMapRef: ConfigMapEnvSource(name: "cfg")),
                EnvFromSource(secretRef: SecretEnvSource(name: "creds")),
                EnvFromSource(prefix: "CM_", secretRef: SecretEnvSource(name: "override")),
            ])
        let inputs = EnvironmentInputs(
            secrets: ["creds": ["TOKEN": "s3cret", "bad=key": "x"], "override": ["mode": "secret"]],
            configMaps: ["cfg": ["mode": "fast", "app.properties": "a=b", "": "empty"]])
        let resolved = try Self.resolve(container, inputs: inputs)
        #expect(resolved.environment["CM_mode"] == "secret")
        #expect(resolved.environment["CM_app.properties"] == "a=b")
        #expect(resolved.environment["TOKEN"] == "s3cret")
        #expect(resolved.environment["bad=key"] == nil)
        #expect(
            resolved.warnings == [
                "Keys [bad=key] from the EnvFrom secret shop/creds were skipped since they are considered invalid environment variable names."
            ])
    }

    @Test func anEmptyKeyWithoutPrefixIsInvalid() throws {
        let container = Container(
            name: "app", command: ["/bin/app"], envFrom: [EnvFromSource(configMapRef: ConfigMapEnvSource(name: "cfg"))])
        let resolved = try Self.resolve(container, inputs: EnvironmentInputs(configMaps: ["cfg": ["": "v", "OK": "1"]]))
        #expect(resolved.environment["OK"] == "1")
        #expect(resolved.warnings.count == 1)
    }

    @Test func envFromMissingSourcesFailUnlessOptional() throws {
        let missingSecret = Container(
            name: "app", command: ["/bin/app"], envFrom: [EnvFromSource(secretRef: SecretEnvSource(name: "nope"))])
        #expect(throws: ContainerConfigError("secret \"nope\" not found")) { try Self.resolve(missingSecret) }
        let missingMap = Container(
            name: "app", command: ["/bin/app"], envFrom: [EnvFromSource(configMapRef: ConfigMapEnvSource(name: "nope"))])
        #expect(throws: ContainerConfigError("configmap \"nope\" not found")) { try Self.resolve(missingMap) }
        let optional = Container(
            name: "app", command: ["/bin/app"],
            envFrom: [
                EnvFromSource(secretRef: SecretEnvSource(name: "nope", optional: true)),
                EnvFromSource(configMapRef: ConfigMapEnvSource(name: "nope", optional: true)),
            ])
        #expect(try Self.resolve(optional).environment.isEmpty)
    }

    // MARK: valueFrom

    @Test func secretAndConfigMapKeyReferences() throws {
        let container = Container(
            name: "app", command: ["/bin/app"],
            env: [
                EnvVar(name: "TOKEN", valueFrom: EnvVarSource(secretKeyRef: SecretKeySelector(name: "x", key: "token"))),
                EnvVar(
                    name: "LEVEL", valueFrom: EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "y", key: "level"))),
                EnvVar(name: "NOT_EXPANDED", valueFrom: EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "y", key: "raw"))),
                EnvVar(
                    name: "OPTIONAL_KEY",
                    valueFrom: EnvVarSource(secretKeyRef: SecretKeySelector(name: "x", key: "other", optional: true))),
                EnvVar(
                    name: "OPTIONAL_MAP",
                    valueFrom: EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "gone", key: "k", optional: true))),
            ])
        let inputs = EnvironmentInputs(
            secrets: ["x": ["token": "abc"]], configMaps: ["y": ["level": "info", "raw": "$(TOKEN)"]])
        let resolved = try Self.resolve(container, base: ["OPTIONAL_KEY": "from-base"], inputs: inputs)
        #expect(resolved.environment["TOKEN"] == "abc")
        #expect(resolved.environment["LEVEL"] == "info")
        #expect(resolved.environment["NOT_EXPANDED"] == "$(TOKEN)")
        #expect(resolved.environment["OPTIONAL_KEY"] == "from-base")  // left alone, as Kubernetes skips it
        #expect(resolved.environment.keys.contains("OPTIONAL_MAP") == false)
        #expect(resolved.unresolvedReferences.isEmpty)
    }

    @Test(arguments: [
        (EnvVarSource(secretKeyRef: SecretKeySelector(name: "x", key: "token")), "secret \"x\" not found"),
        (EnvVarSource(secretKeyRef: SecretKeySelector(name: "present", key: "token")), "couldn't find key token in Secret shop/present"),
        (EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "y", key: "k")), "configmap \"y\" not found"),
        (EnvVarSource(configMapKeyRef: ConfigMapKeySelector(name: "present", key: "k")), "couldn't find key k in ConfigMap shop/present"),
        (EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: "spec.containers")), "unsupported fieldPath: spec.containers"),
        (EnvVarSource(resourceFieldRef: ResourceFieldSelector(resource: "limits.gpu")), "unsupported container resource : limits.gpu"),
        (EnvVarSource(resourceFieldRef: ResourceFieldSelector(containerName: "ghost", resource: "limits.cpu")), "container ghost not found"),
    ])
    func referenceErrors(source: EnvVarSource, message: String) {
        let container = Container(name: "app", command: ["/bin/app"], env: [EnvVar(name: "V", valueFrom: source)])
        let inputs = EnvironmentInputs(secrets: ["present": [:]], configMaps: ["present": [:]])
        #expect(throws: ContainerConfigError(message)) { try Self.resolve(container, inputs: inputs) }
    }

    @Test func fieldReferences() throws {
        let paths = [
            "NAME": "metadata.name", "NAMESPACE": "metadata.namespace", "UID": "metadata.uid",
            "APP": "metadata.labels['app']", "NO_LABEL": "metadata.labels['missing']",
            "NOTE": "metadata.annotations['note']", "LABELS": "metadata.labels",
            "NODE": "spec.nodeName", "SA": "spec.serviceAccountName",
            "POD_IP": "status.podIP", "POD_IPS": "status.podIPs", "HOST_IP": "status.hostIP",
            "HOST_IPS": "status.hostIPs",
        ]
        let container = Container(
            name: "app", command: ["/bin/app"],
            env: paths.sorted { $0.key < $1.key }.map {
                EnvVar(name: $0.key, valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: $0.value)))
            })
        let pod = Self.pod(
            [container], labels: ["app": "web", "tier": "front"], annotations: ["note": "hello \"world\""])
        let env = try Self.resolve(container, pod: pod).environment
        #expect(env["NAME"] == "web-1")
        #expect(env["NAMESPACE"] == "shop")
        #expect(env["UID"] == "uid-1")
        #expect(env["APP"] == "web")
        #expect(env["NO_LABEL"] == "")
        #expect(env["NOTE"] == "hello \"world\"")
        #expect(env["LABELS"] == "app=\"web\"\ntier=\"front\"")
        #expect(env["NODE"] == "node-2")
        #expect(env["SA"] == "builder")
        #expect(env["POD_IP"] == "127.1.0.7")
        #expect(env["POD_IPS"] == "127.1.0.7")
        #expect(env["HOST_IP"] == "10.0.0.2")
        #expect(env["HOST_IPS"] == "10.0.0.2")
    }

    @Test func resourceFieldReferencesRoundUpInUnitsOfTheDivisor() throws {
        func ref(_ resource: String, _ divisor: String? = nil, container: String? = nil) throws -> EnvVarSource {
            EnvVarSource(
                resourceFieldRef: ResourceFieldSelector(
                    containerName: container, resource: resource, divisor: try divisor.map { try Quantity($0) }))
        }
        let app = Container(
            name: "app", command: ["/bin/app"],
            env: [
                EnvVar(name: "CPU_LIMIT", valueFrom: try ref("limits.cpu")),
                EnvVar(name: "CPU_LIMIT_MILLI", valueFrom: try ref("limits.cpu", "1m")),
                EnvVar(name: "CPU_REQUEST", valueFrom: try ref("requests.cpu", "1m")),
                EnvVar(name: "MEM_LIMIT_MI", valueFrom: try ref("limits.memory", "1Mi")),
                EnvVar(name: "MEM_REQUEST", valueFrom: try ref("requests.memory")),
                EnvVar(name: "MEM_REQUEST_DEFAULTED", valueFrom: try ref("requests.memory", "1Mi", container: "side")),
                EnvVar(name: "SIDE_CPU_LIMIT", valueFrom: try ref("limits.cpu", "1m", container: "side")),
                EnvVar(name: "SIDE_CPU_REQUEST", valueFrom: try ref("requests.cpu", container: "side")),
            ],
            resources: ResourceRequirements(
                limits: ["cpu": try Quantity("1500m"), "memory": try Quantity("100Mi")],
                requests: ["cpu": try Quantity("250m"), "memory": try Quantity("1000")]))
        let side = Container(
            name: "side", command: ["/bin/side"],
            resources: ResourceRequirements(limits: ["memory": try Quantity("64Mi")]))
        let pod = Self.pod([app, side])
        let inputs = EnvironmentInputs(nodeAllocatable: ["cpu": try Quantity("4"), "memory": try Quantity("8Gi")])
        let env = try Self.resolve(app, pod: pod, inputs: inputs).environment
        #expect(env["CPU_LIMIT"] == "2")
        #expect(env["CPU_LIMIT_MILLI"] == "1500")
        #expect(env["CPU_REQUEST"] == "250")
        #expect(env["MEM_LIMIT_MI"] == "100")
        #expect(env["MEM_REQUEST"] == "1000")
        #expect(env["MEM_REQUEST_DEFAULTED"] == "64")  // no request: the limit, as the API server defaults it
        #expect(env["SIDE_CPU_LIMIT"] == "4000")  // no limit: the node's allocatable
        #expect(env["SIDE_CPU_REQUEST"] == "0")
    }

    // MARK: Service links

    @Test func serviceVariablesFollowTheDockerLinkConvention() {
        let services = [
            Self.service(
                "chat-api", clusterIP: "10.96.0.10",
                ports: [ServicePort(name: "http", port: 80), ServicePort(name: "metrics.port", protocol: "UDP", port: 9090)]),
            Self.service("3d", clusterIP: "10.96.0.11", ports: [ServicePort(port: 7000)]),
            Self.service("headless", clusterIP: "None", ports: [ServicePort(port: 80)]),
            Self.service("external", clusterIP: nil, ports: [ServicePort(port: 80)]),
            Self.service("empty", clusterIP: "", ports: [ServicePort(port: 80)]),
        ]
        let expected = [
            "CHAT_API_SERVICE_HOST": "10.96.0.10",
            "CHAT_API_SERVICE_PORT": "80",
            "CHAT_API_SERVICE_PORT_HTTP": "80",
            "CHAT_API_SERVICE_PORT_METRICS_PORT": "9090",
            "CHAT_API_PORT": "tcp://10.96.0.10:80",
            "CHAT_API_PORT_80_TCP": "tcp://10.96.0.10:80",
            "CHAT_API_PORT_80_TCP_PROTO": "tcp",
            "CHAT_API_PORT_80_TCP_PORT": "80",
            "CHAT_API_PORT_80_TCP_ADDR": "10.96.0.10",
            "CHAT_API_PORT_9090_UDP": "udp://10.96.0.10:9090",
            "CHAT_API_PORT_9090_UDP_PROTO": "udp",
            "CHAT_API_PORT_9090_UDP_PORT": "9090",
            "CHAT_API_PORT_9090_UDP_ADDR": "10.96.0.10",
            "_3D_SERVICE_HOST": "10.96.0.11",
            "_3D_SERVICE_PORT": "7000",
            "_3D_PORT": "tcp://10.96.0.11:7000",
            "_3D_PORT_7000_TCP": "tcp://10.96.0.11:7000",
            "_3D_PORT_7000_TCP_PROTO": "tcp",
            "_3D_PORT_7000_TCP_PORT": "7000",
            "_3D_PORT_7000_TCP_ADDR": "10.96.0.11",
        ]
        #expect(ContainerEnvironment.serviceVariables(services) == expected)
    }

    @Test func serviceLinksCanBeTurnedOff() throws {
        let container = Container(name: "app", command: ["/bin/app"])
        let inputs = EnvironmentInputs(
            services: [Self.service("db", clusterIP: "10.96.0.5", ports: [ServicePort(port: 5432)])])
        let off = try Self.resolve(
            container, pod: Self.pod([container], enableServiceLinks: false), base: ["PATH": "/bin"], inputs: inputs)
        #expect(off.environment == ["PATH": "/bin"])
        let on = try Self.resolve(container, pod: Self.pod([container], enableServiceLinks: true), inputs: inputs)
        #expect(on.environment["DB_SERVICE_HOST"] == "10.96.0.5")
    }
}
