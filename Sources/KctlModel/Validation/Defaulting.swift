import Foundation

// Kubernetes' defaults, per kind: what `kubectl get -o yaml` shows that the manifest did not say.

extension PodSpec {
    mutating func applyDefaults() {
        if restartPolicy == nil { restartPolicy = "Always" }
        if terminationGracePeriodSeconds == nil { terminationGracePeriodSeconds = 30 }
        if dnsPolicy == nil { dnsPolicy = "ClusterFirst" }
        if schedulerName == nil { schedulerName = "default-scheduler" }
        for index in containers.indices { containers[index].applyDefaults() }
        if var initContainers {
            for index in initContainers.indices { initContainers[index].applyDefaults() }
            self.initContainers = initContainers
        }
    }
}

extension Container {
    mutating func applyDefaults() {
        if var ports {
            for index in ports.indices where ports[index].protocol == nil { ports[index].protocol = "TCP" }
            self.ports = ports
        }
        if var env {
            for index in env.indices where env[index].valueFrom?.fieldRef != nil {
                if env[index].valueFrom?.fieldRef?.apiVersion == nil { env[index].valueFrom?.fieldRef?.apiVersion = "v1" }
            }
            self.env = env
        }
        if terminationMessagePath == nil { terminationMessagePath = "/dev/termination-log" }
        if terminationMessagePolicy == nil { terminationMessagePolicy = "File" }
        if imagePullPolicy == nil, let image { imagePullPolicy = Container.defaultPullPolicy(image) }
        livenessProbe?.applyDefaults()
        readinessProbe?.applyDefaults()
        startupProbe?.applyDefaults()
    }

    /// `Always` for `:latest` or untagged images, else `IfNotPresent`, as Kubernetes defaults it.
    static func defaultPullPolicy(_ image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let lastPart = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = lastPart.lastIndex(of: ":") else { return "Always" }
        return lastPart[lastPart.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }
}

extension Probe {
    mutating func applyDefaults() {
        if timeoutSeconds == nil { timeoutSeconds = 1 }
        if periodSeconds == nil { periodSeconds = 10 }
        if successThreshold == nil { successThreshold = 1 }
        if failureThreshold == nil { failureThreshold = 3 }
        if httpGet != nil {
            if httpGet?.path == nil { httpGet?.path = "/" }
            if httpGet?.scheme == nil { httpGet?.scheme = "HTTP" }
        }
    }
}

extension Pod: Admissible {
    mutating func applyDefaults() {
        spec?.applyDefaults()
        if status?.phase == nil {
            var status = self.status ?? PodStatus()
            status.phase = "Pending"
            self.status = status
        }
    }
}

extension Deployment: Admissible {
    mutating func applyDefaults() {
        guard var spec else { return }
        if spec.replicas == nil { spec.replicas = 1 }
        var strategy = spec.strategy ?? DeploymentStrategy()
        if strategy.type == nil { strategy.type = "RollingUpdate" }
        if strategy.type == "RollingUpdate" {
            var rolling = strategy.rollingUpdate ?? RollingUpdateDeployment()
            if rolling.maxUnavailable == nil { rolling.maxUnavailable = "25%" }
            if rolling.maxSurge == nil { rolling.maxSurge = "25%" }
            strategy.rollingUpdate = rolling
        }
        spec.strategy = strategy
        if spec.revisionHistoryLimit == nil { spec.revisionHistoryLimit = 10 }
        if spec.progressDeadlineSeconds == nil { spec.progressDeadlineSeconds = 600 }
        spec.template.spec.applyDefaults()
        self.spec = spec
    }
}

extension ReplicaSet: Admissible {
    mutating func applyDefaults() {
        guard var spec else { return }
        if spec.replicas == nil { spec.replicas = 1 }
        spec.template.spec.applyDefaults()
        self.spec = spec
    }
}

extension Service: Admissible {
    mutating func applyDefaults() {
        var spec = self.spec ?? ServiceSpec()
        if spec.type == nil { spec.type = "ClusterIP" }
        if spec.sessionAffinity == nil { spec.sessionAffinity = "None" }
        if spec.type != "ExternalName" && spec.internalTrafficPolicy == nil { spec.internalTrafficPolicy = "Cluster" }
        if (spec.type == "NodePort" || spec.type == "LoadBalancer") && spec.externalTrafficPolicy == nil {
            spec.externalTrafficPolicy = "Cluster"
        }
        if var ports = spec.ports {
            for index in ports.indices {
                if ports[index].protocol == nil { ports[index].protocol = "TCP" }
                if ports[index].targetPort == nil { ports[index].targetPort = .int(ports[index].port) }
            }
            spec.ports = ports
        }
        self.spec = spec
    }
}

extension Secret: Admissible {
    /// Defaults `type` to `Opaque` and merges `stringData` into `data` (base64), as the API server does.
    mutating func applyDefaults() {
        if type == nil { type = "Opaque" }
        if let stringData, !stringData.isEmpty {
            var data = self.data ?? [:]
            for (key, value) in stringData { data[key] = Data(value.utf8).base64EncodedString() }
            self.data = data
        }
        stringData = nil
    }
}

extension ConfigMap: Admissible {
    mutating func applyDefaults() {}
}

extension HorizontalPodAutoscaler: Admissible {
    mutating func applyDefaults() {
        guard var spec else { return }
        if spec.minReplicas == nil { spec.minReplicas = 1 }
        if (spec.metrics ?? []).isEmpty {
            spec.metrics = [
                MetricSpec(
                    type: "Resource",
                    resource: ResourceMetricSource(
                        name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 80)))
            ]
        }
        if var behavior = spec.behavior {
            var up = behavior.scaleUp ?? HPAScalingRules()
            if up.stabilizationWindowSeconds == nil { up.stabilizationWindowSeconds = 0 }
            if up.selectPolicy == nil { up.selectPolicy = "Max" }
            if up.policies == nil {
                up.policies = [
                    HPAScalingPolicy(type: "Pods", value: 4, periodSeconds: 15),
                    HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15),
                ]
            }
            var down = behavior.scaleDown ?? HPAScalingRules()
            // The scale-down window stays unset, as in Kubernetes: the controller's setting
            // (`kctld --hpa-downscale-stabilization`, default 300 s) applies.
            if down.selectPolicy == nil { down.selectPolicy = "Max" }
            if down.policies == nil { down.policies = [HPAScalingPolicy(type: "Percent", value: 100, periodSeconds: 15)] }
            behavior.scaleUp = up
            behavior.scaleDown = down
            spec.behavior = behavior
        }
        self.spec = spec
    }
}

extension Namespace: Admissible {
    mutating func applyDefaults() {
        var status = self.status ?? NamespaceStatus()
        if status.phase == nil { status.phase = "Active" }
        self.status = status
    }
}

extension Node: Admissible {
    /// Allocatable defaults to capacity, as Kubernetes does.
    mutating func applyDefaults() {
        if let capacity = status?.capacity, status?.allocatable == nil { status?.allocatable = capacity }
    }
}

extension Event: Admissible {
    mutating func applyDefaults() {}
}

extension Lease: Admissible {
    mutating func applyDefaults() {}
}

extension Ingress: Admissible {
    mutating func applyDefaults() {}
}
