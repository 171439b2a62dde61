import Foundation
import Testing

@testable import KctlModel

@Suite struct TypedKindTests {
    static let deploymentJSON = #"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","labels":{"app":"web"}},
         "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},
           "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1,"maxUnavailable":"25%"}},
           "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"x",
             "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
             "env":[{"name":"PORT","value":"8080"},{"name":"POD_IP","valueFrom":{"fieldRef":{"fieldPath":"status.podIP"}}}],
             "resources":{"requests":{"cpu":"100m","memory":"64Mi"}},
             "readinessProbe":{"httpGet":{"path":"/healthz","port":"http"},"periodSeconds":5}}]}}},
         "status":{"replicas":2,"conditions":[{"type":"Available","status":"True"}]}}
        """#

    @Test func deploymentRoundTrip() throws {
        let object = try KubeObject(data: Array(Self.deploymentJSON.utf8))
        let deployment = try Deployment(object)
        #expect(deployment.spec?.replicas == 2)
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == .int(1))
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable?.percent == 25)
        let container = try #require(deployment.spec?.template.spec.containers.first)
        #expect(container.resources?.requests?["cpu"]?.milliValue == 100)
        #expect(container.readinessProbe?.httpGet?.port == "http")
        #expect(deployment.kubeObject == object)
        #expect(deployment.key == "default/web")
    }

    @Test func kindsFillInApiVersionAndKind() {
        let pod = Pod(metadata: ObjectMeta(name: "p"), spec: PodSpec(containers: [Container(name: "c")]))
        let object = pod.kubeObject
        #expect(object.apiVersion == "v1")
        #expect(object.kind == "Pod")
        #expect(object.name == "p")
        var bare = Secret(apiVersion: nil, kind: nil, metadata: ObjectMeta(name: "s"))
        bare.stringData = ["a": "b"]
        #expect(bare.kubeObject.kind == "Secret")
    }

    @Test func resourceTypes() {
        #expect(Deployment.resourceType == .deployment)
        #expect(HorizontalPodAutoscaler.resourceType.apiVersion == "autoscaling/v2")
        #expect(Lease.resourceType == .lease)
    }

    @Test func typeMismatchNamesThePath() throws {
        var object = try KubeObject(data: Array(Self.deploymentJSON.utf8))
        object.json["spec"]?["replicas"] = "three"
        do {
            _ = try Deployment(object)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.code == 422)
            #expect(error.causes.first?.field == "spec.replicas")
            #expect(error.causes.first?.message == #"Invalid value: "three": spec.replicas in body must be of type integer: "string""#)
        }
    }

    @Test func nestedPathsUseIndexes() throws {
        var json = try JSONValue.parse(Self.deploymentJSON)
        json["spec"]?["template"]?["spec"]?["containers"] = [["name": "a", "ports": [["containerPort": "x"]]]]
        do {
            _ = try Deployment(json: json)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.causes.first?.field == "spec.template.spec.containers[0].ports[0].containerPort")
        }
        json["spec"]?["template"]?["spec"]?["containers"] = [["image": "a"]]
        do {
            _ = try Deployment(json: json)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.causes.first?.field == "spec.template.spec.containers[0].name")
            #expect(error.causes.first?.reason == "FieldValueRequired")
        }
        json["spec"]?["template"]?["spec"]?["containers"] = "oops"
        do {
            _ = try Deployment(json: json)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.causes.first?.field == "spec.template.spec.containers")
            #expect(error.causes.first?.message.contains("must be of type array") == true)
        }
    }

    @Test func badQuantityNamesThePath() throws {
        var json = try JSONValue.parse(Self.deploymentJSON)
        json["spec"]?["template"]?["spec"]?["containers"] = [["name": "a", "resources": ["limits": ["cpu": "lots"]]]]
        do {
            _ = try Deployment(json: json)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.causes.first?.field == "spec.template.spec.containers[0].resources.limits.cpu")
            #expect(error.causes.first?.message.contains("quantities must match") == true)
        }
    }

    @Test func int32Overflow() throws {
        var json = try JSONValue.parse(Self.deploymentJSON)
        json["spec"]?["replicas"] = .int(5_000_000_000)
        do {
            _ = try Deployment(json: json)
            Issue.record("expected an error")
        } catch let error as StatusError {
            #expect(error.causes.first?.field == "spec.replicas")
        }
    }

    @Test func quantitiesFromJSONNumbers() throws {
        let node = try Node(json: ["apiVersion": "v1", "kind": "Node", "metadata": ["name": "n"],
                                   "status": ["capacity": ["cpu": 4, "memory": 0.5]]])
        #expect(node.status?.capacity?["cpu"]?.string == "4")
        #expect(node.status?.capacity?["memory"]?.milliValue == 500)
    }

    @Test func intOrStringScaling() {
        #expect(IntOrString.string("25%").scaledValue(total: 10, roundUp: true) == 3)
        #expect(IntOrString.string("25%").scaledValue(total: 10, roundUp: false) == 2)
        #expect(IntOrString.int(4).scaledValue(total: 10, roundUp: false) == 4)
        #expect(IntOrString.string("http").scaledValue(total: 10, roundUp: false) == nil)
    }

    @Test func everyKindRoundTrips() throws {
        let hpa = HorizontalPodAutoscaler(
            metadata: ObjectMeta(name: "h", namespace: "default"),
            spec: HorizontalPodAutoscalerSpec(
                scaleTargetRef: CrossVersionObjectReference(kind: "Deployment", name: "web", apiVersion: "apps/v1"),
                minReplicas: 1, maxReplicas: 5,
                metrics: [
                    MetricSpec(
                        type: "Resource",
                        resource: ResourceMetricSource(
                            name: "cpu", target: MetricTarget(type: "Utilization", averageUtilization: 70)))
                ],
                behavior: HorizontalPodAutoscalerBehavior(
                    scaleDown: HPAScalingRules(
                        stabilizationWindowSeconds: 300,
                        policies: [HPAScalingPolicy(type: "Pods", value: 1, periodSeconds: 60)]))))
        #expect(try HorizontalPodAutoscaler(hpa.kubeObject) == hpa)
        let node = Node(
            metadata: ObjectMeta(name: "n1", labels: ["topology.kubernetes.io/zone": "zone-a"]),
            spec: NodeSpec(taints: [Taint(key: "k", effect: "NoSchedule")]),
            status: NodeStatus(capacity: ["cpu": try Quantity("4"), "memory": try Quantity("8Gi")]))
        #expect(try Node(node.kubeObject) == node)
        let service = Service(
            metadata: ObjectMeta(name: "s"),
            spec: ServiceSpec(ports: [ServicePort(name: "http", port: 80, targetPort: "http")], selector: ["a": "b"]))
        #expect(try Service(service.kubeObject) == service)
        let ingress = Ingress(
            metadata: ObjectMeta(name: "i"),
            spec: IngressSpec(rules: [
                IngressRule(
                    http: HTTPIngressRuleValue(paths: [
                        HTTPIngressPath(
                            path: "/", pathType: "Prefix",
                            backend: IngressBackend(
                                service: IngressServiceBackend(name: "s", port: ServiceBackendPort(number: 80))))
                    ]))
            ]))
        #expect(try Ingress(ingress.kubeObject) == ingress)
        let event = Event(
            metadata: ObjectMeta(name: "e"), involvedObject: ObjectReference(kind: "Pod", name: "p"), reason: "Started",
            count: 1, type: "Normal")
        #expect(try Event(event.kubeObject) == event)
        let lease = Lease(metadata: ObjectMeta(name: "l"), spec: LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15))
        #expect(try Lease(lease.kubeObject) == lease)
        let ns = Namespace(metadata: ObjectMeta(name: "ns"), status: NamespaceStatus(phase: "Active"))
        #expect(try Namespace(ns.kubeObject) == ns)
        let cm = ConfigMap(metadata: ObjectMeta(name: "c"), data: ["k": "v"])
        #expect(try ConfigMap(cm.kubeObject) == cm)
        let rs = ReplicaSet(
            metadata: ObjectMeta(name: "r", ownerReferences: [ObjectMeta.controllerReference(to: cm)]),
            spec: ReplicaSetSpec(
                replicas: 1, selector: LabelSelector(matchLabels: ["a": "b"]),
                template: PodTemplateSpec(spec: PodSpec(containers: [Container(name: "c")]))))
        #expect(try ReplicaSet(rs.kubeObject) == rs)
        #expect(rs.metadata.controllerReference?.kind == "ConfigMap")
        let pod = Pod(
            metadata: ObjectMeta(name: "p"),
            spec: PodSpec(containers: [Container(name: "c")]),
            status: PodStatus(
                phase: "Running", podIP: "127.0.0.5",
                containerStatuses: [
                    ContainerStatus(
                        name: "c", state: ContainerState(running: ContainerStateRunning(startedAt: "2024-01-01T00:00:00Z")),
                        lastState: ContainerState(terminated: ContainerStateTerminated(exitCode: 1)), ready: true,
                        restartCount: 1)
                ]))
        #expect(try Pod(pod.kubeObject) == pod)
    }
}
