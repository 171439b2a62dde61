import Foundation
import KctlCLI
import KctlModel
import KctlTestSupport
import Testing

/// The real kubectl against a real kctld: the verbs besides `get`, errors as kubectl prints them,
/// and objects written by kctl and kubectl reading back the same. Skipped where no kubectl exists.
@Suite(.requiresKubectl)
struct KubectlVerbsTests {
    static let chat = TestFiles.repoRoot + "/Manifests/chat/"

    static func deployment(_ name: String, replicas: Int = 1, command: String = "exec sleep 300") -> String {
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
        spec:
          replicas: \(replicas)
          selector:
            matchLabels: {app: \(name)}
          template:
            metadata:
              labels: {app: \(name)}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: none
                command: ["sh", "-c", "\(command)"]
        """
    }

    // MARK: create, validation, errors

    /// kubectl's typed clients send these three as protobuf.
    @Test func createNamespaceConfigMapAndSecretGeneric() async throws {
        try await withKubectl { k in
            #expect(try await k.ok(["create", "namespace", "dev"]).stdout == "namespace/dev created\n")
            #expect(try await k.ok(["create", "configmap", "c", "-n", "dev", "--from-literal=a=1"]).stdout == "configmap/c created\n")
            #expect(
                try await k.ok(["create", "secret", "generic", "s", "-n", "dev", "--from-literal=pw=hunter2"]).stdout
                    == "secret/s created\n")
            let client = k.daemon.client
            #expect(try await client.get(.configMap, namespace: "dev", name: "c")["data"] == ["a": "1"])
            let secret = try await client.get(.secret, namespace: "dev", name: "s")
            #expect(secret["data"] == ["pw": .string(Data("hunter2".utf8).base64EncodedString())])
            #expect(secret["type"] == "Opaque")

            let again = try await k.run(["create", "namespace", "dev"])
            #expect(again.exitCode == 1)
            #expect(again.stderr.contains("Error from server (AlreadyExists): namespaces \"dev\" already exists"), "\(again)")
            let secretAgain = try await k.run(["create", "secret", "generic", "s", "-n", "dev", "--from-literal=a=b"])
            #expect(secretAgain.stderr.contains("secrets \"s\" already exists"), "\(secretAgain)")
        }
    }

    /// `kubectl autoscale` writes autoscaling/v1 (in protobuf); kctld stores it as v2.
    @Test func autoscaleCreatesAnHPA() async throws {
        try await withKubectl { k in
            try await k.ok(["apply", "-f", "-"], stdin: Self.deployment("web"))
            let created = try await k.ok(["autoscale", "deployment", "web", "--min=2", "--max=5", "--cpu-percent=60"])
            #expect(created.stdout == "horizontalpodautoscaler.autoscaling/web autoscaled\n")
            let hpa = try await k.daemon.client.get(.horizontalPodAutoscaler, namespace: "default", name: "web")
            #expect(hpa.spec?["minReplicas"] == 2)
            #expect(hpa.spec?["maxReplicas"] == 5)
            #expect(
                hpa.spec?["metrics"]
                    == [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]]])
            #expect(hpa.spec?["scaleTargetRef"] == ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"])
            let again = try await k.run(["autoscale", "deployment", "web", "--max=3"])
            #expect(again.stderr.contains("already exists"), "\(again)")

            // In JSON too, answered in v1.
            let (status, body) = try await k.daemon.client.raw(
                method: "POST", path: "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers",
                body: Array(
                    #"{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"v1"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":3,"targetCPUUtilizationPercentage":70}}"#
                        .utf8),
                contentType: "application/json")
            let answer = try JSONValue.parse(body)
            #expect(status == 201, "\(answer)")
            #expect(answer["apiVersion"] == "autoscaling/v1")
            #expect(answer["spec"]?["targetCPUUtilizationPercentage"] == 70)
            #expect(answer["spec"]?["metrics"] == nil)
        }
    }

    /// kctld authorizes every loopback client, and says so when asked.
    @Test func authCanIAndWhoami() async throws {
        try await withKubectl { k in
            #expect(try await k.ok(["auth", "can-i", "create", "deployments"]).stdout == "yes\n")
            #expect(try await k.ok(["auth", "can-i", "delete", "nodes", "--all-namespaces"]).stdout == "yes\n")
            let list = try await k.ok(["auth", "can-i", "--list"])
            #expect(list.lines.dropFirst().first?.hasPrefix("*.*") == true, "\(list)")
            let whoami = try await k.ok(["auth", "whoami"])
            #expect(whoami.stdout.contains("system:anonymous"), "\(whoami)")
            let (status, body) = try await k.daemon.client.raw(
                method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                body: Array(#"{"spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}"#.utf8),
                contentType: "application/json")
            let review = try JSONValue.parse(body)
            #expect(status == 201)
            #expect(review["status"]?["allowed"] == true)
            #expect(review["spec"]?["resourceAttributes"]?["verb"] == "get")
        }
    }

    /// `kubectl create deployment|service|ingress` send protobuf too; what they create is what
    /// `kubectl create -f` of the same object would have.
    @Test func createDeploymentServiceAndIngress() async throws {
        try await withKubectl { k in
            let created = try await k.ok([
                "create", "deployment", "web", "--image=kctl-demo", "--replicas=0", "--port=8080", "--",
                "kctl-demo", "http-echo",
            ])
            #expect(created.stdout == "deployment.apps/web created\n")
            #expect(try await k.ok(["create", "service", "clusterip", "web", "--tcp=80:8080"]).stdout == "service/web created\n")
            #expect(
                try await k.ok(["create", "ingress", "web", "--class=kctl", "--rule=shop.test/web*=web:80,tls=cert"]).stdout
                    == "ingress.networking.k8s.io/web created\n")
            let client = k.daemon.client
            let deployment = try await client.get(.deployment, namespace: "default", name: "web")
            #expect(deployment.spec?["replicas"] == 0)
            #expect(deployment.spec?["selector"] == ["matchLabels": ["app": "web"]])
            let container = deployment.spec?["template"]?["spec"]?["containers"]?.arrayValue?.first
            #expect(container?["command"] == ["kctl-demo", "http-echo"])
            #expect(container?["ports"] == [["containerPort": 8080, "protocol": "TCP"]])
            let service = try await client.get(.service, namespace: "default", name: "web")
            #expect(service.spec?["ports"] == [["name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080]])
            #expect(service.spec?["selector"] == ["app": "web"])
            let ingress = try await client.get(.ingress, namespace: "default", name: "web")
            #expect(ingress.spec?["ingressClassName"] == "kctl")
            #expect(ingress.spec?["tls"] == [["hosts": ["shop.test"], "secretName": "cert"]])
            let rule = ingress.spec?["rules"]?.arrayValue?.first
            #expect(rule?["host"] == "shop.test")
            #expect(
                rule?["http"]?["paths"]
                    == [["path": "/web", "pathType": "Prefix", "backend": ["service": ["name": "web", "port": ["number": 80]]]]])
        }
    }

    /// Default `--validate=strict`: kubectl reads the OpenAPI, sends fieldValidation=Strict, and
    /// the server names the unknown field.
    @Test func strictValidationHappensOnTheServer() async throws {
        try await withKubectl { k in
            let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\nbogus: 1\n"
            for verb in ["create", "apply"] {
                let result = try await k.run([verb, "-f", "-"], stdin: bad)
                #expect(result.exitCode == 1)
                #expect(result.stderr.contains("The ConfigMap \"c\" is invalid: bogus: unknown field \"bogus\""), "\(result)")
            }
            let nested = try await k.run(["create", "-f", "-"], stdin: Self.deployment("web").replacingOccurrences(of: "image: none", with: "image: none\n        imagePullPolice: Always"))
            #expect(nested.stderr.contains("spec.template.spec.containers[0].imagePullPolice"), "\(nested)")

            let good = bad.replacingOccurrences(of: "bogus: 1\n", with: "")
            #expect(try await k.ok(["apply", "-f", "-"], stdin: good).stdout == "configmap/c created\n")
            let stored = try await k.daemon.client.get(.configMap, namespace: "default", name: "c")
            #expect(stored.annotations["kubectl.kubernetes.io/last-applied-configuration"] != nil)
            let skipped = try await k.ok(["create", "-f", "-", "--validate=false"], stdin: bad.replacingOccurrences(of: "name: c", with: "name: d"))
            #expect(skipped.stdout == "configmap/d created\n")
        }
    }

    @Test func errorsPrintAsKubectlUsersKnowThem() async throws {
        try await withKubectl { k in
            let invalid = Self.deployment("Bad_Name", replicas: -1)
            let result = try await k.run(["create", "-f", "-"], stdin: invalid)
            #expect(result.exitCode == 1)
            #expect(result.stderr.contains("The Deployment \"Bad_Name\" is invalid: \n"), "\(result)")
            #expect(result.stderr.contains("* metadata.name: Invalid value: \"Bad_Name\""), "\(result)")
            #expect(result.stderr.contains("* spec.replicas: Invalid value: -1: must be greater than or equal to 0"), "\(result)")

            _ = try await k.ok(["create", "-f", "-"], stdin: Self.deployment("web"))
            let exists = try await k.run(["create", "-f", "-"], stdin: Self.deployment("web"))
            #expect(exists.stderr.contains("Error from server (AlreadyExists): error when creating \"STDIN\": deployments.apps \"web\" already exists"), "\(exists)")
            let missing = try await k.run(["delete", "configmap", "nope"])
            #expect(missing.stderr.contains("Error from server (NotFound): configmaps \"nope\" not found"), "\(missing)")
        }
    }

    // MARK: delete, scale, rollout

    @Test func deleteWaitsUntilTheObjectIsGone() async throws {
        try await withKubectl(controlLoops: true, nodes: 1) { k in
            _ = try await k.daemon.client.create(configMap("c"), as: .configMap, namespace: "default")
            #expect(try await k.ok(["delete", "configmap", "c", "--wait"]).stdout == "configmap \"c\" deleted\n")
            await #expect(throws: StatusError.self) { try await k.daemon.client.get(.configMap, namespace: "default", name: "c") }

            try await k.ok(["apply", "-f", "-"], stdin: Self.deployment("web", replicas: 2))
            try await eventually(seconds: 20, "the pods exist") { try await k.daemon.client.list(.pod, namespace: "default").items.count == 2 }
            #expect(try await k.ok(["delete", "deployment", "web", "--wait=true"]).stdout == "deployment.apps \"web\" deleted\n")
            try await eventually(seconds: 20, "the pods are collected") { try await k.daemon.client.list(.pod, namespace: "default").items.isEmpty }
        }
    }

    @Test func scaleAndRolloutHistoryPauseResumeRestartUndo() async throws {
        try await withKubectl(controlLoops: true, nodes: 1) { k in
            let client = k.daemon.client
            try await k.ok(["apply", "-f", "-"], stdin: Self.deployment("web"))
            #expect(try await k.ok(["scale", "deployment", "web", "--replicas=3"]).stdout == "deployment.apps/web scaled\n")
            #expect(try await client.get(.deployment, namespace: "default", name: "web").spec?["replicas"] == 3)

            #expect(try await k.ok(["rollout", "pause", "deployment/web"]).stdout == "deployment.apps/web paused\n")
            #expect(try await client.get(.deployment, namespace: "default", name: "web").spec?["paused"] == true)
            #expect(try await k.ok(["rollout", "resume", "deployment/web"]).stdout == "deployment.apps/web resumed\n")

            #expect(try await k.ok(["rollout", "restart", "deployment/web"]).stdout == "deployment.apps/web restarted\n")
            try await eventually(seconds: 20, "a second revision") {
                try await client.list(.replicaSet, namespace: "default").items.count == 2
            }
            let history = try await k.ok(["rollout", "history", "deployment/web"])
            #expect(history.lines.dropFirst().first?.split(separator: " ") == ["REVISION", "CHANGE-CAUSE"], "\(history)")
            #expect(history.lines.dropFirst(2).map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["1", "2"], "\(history)")

            #expect(try await k.ok(["rollout", "undo", "deployment/web"]).stdout == "deployment.apps/web rolled back\n")
            let undone = try await client.get(.deployment, namespace: "default", name: "web")
            #expect(undone.value["spec"]?["template"]?["metadata"]?["annotations"]?["kubectl.kubernetes.io/restartedAt"] == nil)
        }
    }

    // MARK: with real processes: rollout status, logs, top

    @Test func rolloutStatusLogsAndTopWithRealProcesses() async throws {
        try await withKubectl(controlLoops: true, nodes: 1, processes: true) { k in
            try await k.ok(["apply", "-f", "-"], stdin: Self.deployment("web", replicas: 2, command: "echo started; echo second; exec sleep 300"))
            let status = try await k.ok(["rollout", "status", "deployment/web", "--timeout=60s"], timeout: 90)
            #expect(status.stdout.contains("deployment \"web\" successfully rolled out"), "\(status)")

            let pod = try #require(try await k.daemon.client.list(.pod, namespace: "default").items.first?.name)
            try await eventually(seconds: 20, "the pod's log") {
                try await k.run(["logs", pod]).stdout == "started\nsecond\n"
            }
            #expect(try await k.ok(["logs", pod, "--tail=1"]).stdout == "second\n")
            #expect(try await k.ok(["logs", "deployment/web", "-c", "main"]).stdout.contains("started"))
            let follow = try await k.start(["logs", "-f", pod])
            defer { Task { await follow.stop() } }
            try await follow.waitFor("the followed log") { $0 == ["started", "second"] }
            await follow.stop()

            // Usage is sampled: kubectl top succeeds once the first samples exist.
            try await eventually(seconds: 30, "kubectl top pods") { try await k.run(["top", "pods"]).succeeded }
            let top = try await k.ok(["top", "pods"])
            #expect(headerColumns(top) == ["NAME", "CPU(cores)", "MEMORY(bytes)"], "\(top)")
            #expect(top.lines.count == 3)
            let nodes = try await k.ok(["top", "nodes"])
            #expect(headerColumns(nodes).prefix(2) == ["NAME", "CPU(cores)"], "\(nodes)")
        }
    }

    /// `kubectl exec` (WebSocket, v5.channel.k8s.io) runs the command beside the container with
    /// its environment and working directory; exit codes, stdin, errors and `kubectl cp` as kubectl
    /// users know them.
    @Test func execRunsCommandsBesideTheContainer() async throws {
        try await withKubectl(controlLoops: true, nodes: 1, processes: true) { k in
            let pod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: box
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: none
                    command: ["sh", "-c", "exec sleep 300"]
                    env:
                    - name: GREETING
                      value: hello
                """
            try await k.ok(["apply", "-f", "-"], stdin: pod)
            try await k.ok(["wait", "--for=condition=Ready", "pod/box", "--timeout=60s"], timeout: 90)

            let run = try await k.ok(["exec", "box", "--", "sh", "-c", "echo $GREETING from $POD_NAME; echo oops >&2; pwd"])
            let lines = run.stdout.split(separator: "\n")
            #expect(lines.first == "hello from box", "\(run)")
            #expect(lines.last?.hasSuffix("/work") == true, "\(run)")
            #expect(run.stderr == "oops\n")

            let failed = try await k.run(["exec", "box", "--", "sh", "-c", "exit 3"])
            #expect(failed.exitCode == 3)
            #expect(failed.stderr.contains("command terminated with exit code 3"), "\(failed)")

            #expect(try await k.ok(["exec", "-i", "box", "--", "tr", "a-z", "A-Z"], stdin: "shout\n").stdout == "SHOUT\n")

            let missing = try await k.run(["exec", "box", "--", "no-such-command"])
            #expect(missing.exitCode == 1)
            #expect(missing.stderr.contains("executable file not found in $PATH"), "\(missing)")
            let container = try await k.run(["exec", "box", "-c", "nope", "--", "ls"])
            #expect(container.stderr.contains("container nope is not valid for pod box"), "\(container)")

            // -it: the command gets a terminal of its own (TERM set as runtimes set it).
            if let terminal = try await k.kubectl.runOnTerminal(
                ["exec", "-it", "box", "--", "sh", "-c", "tty; echo TERM=$TERM; exit 6"])
            {
                #expect(terminal.exitCode == 6, "\(terminal)")
                #expect(terminal.stdout.contains("/dev/pts/"), "\(terminal)")
                #expect(terminal.stdout.contains("TERM=xterm"), "\(terminal)")
            }

            // kubectl cp is tar through exec.
            let local = TestFiles.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: local) }
            try "copied\n".write(toFile: local + "/note.txt", atomically: true, encoding: .utf8)
            try await k.ok(["cp", local + "/note.txt", "box:note.txt"])
            #expect(try await k.ok(["exec", "box", "--", "cat", "note.txt"]).stdout == "copied\n")
        }
    }

    // MARK: describe, nodes

    @Test func describeEveryDescribedKind() async throws {
        try await withKubectl(controlLoops: true, nodes: 2) { k in
            try await k.ok(["apply", "-f", Self.chat])
            try await eventually(seconds: 20, "the chat pods exist") {
                try await k.daemon.client.list(.pod, namespace: "default").items.count == 5
            }
            let pod = try #require(try await k.daemon.client.list(.pod, namespace: "default").items.first?.name)
            let targets = [
                ["deployment", "messages"], ["pod", pod], ["service", "users"], ["node", "node-1"], ["namespace", "default"],
                ["configmap", "chat-config"], ["secret", "chat-api-token"], ["hpa", "messages"], ["ingress", "chat"],
            ]
            for target in targets {
                let result = try await k.ok(["describe"] + target)
                #expect(result.stdout.hasPrefix("Name:"), "\(result)")
                #expect(!result.stdout.contains("<error") && result.stderr.isEmpty, "\(result)")
            }
            let deployment = try await k.ok(["describe", "deployment", "messages"])
            #expect(deployment.stdout.contains("NewReplicaSet:") && deployment.stdout.contains("ScalingReplicaSet"), "\(deployment)")
            let namespace = try await k.ok(["describe", "namespace", "default"])
            #expect(namespace.stdout.contains("No resource quota.") && namespace.stdout.contains("No LimitRange resource."))
            let ingress = try await k.ok(["describe", "ingress", "chat"])
            #expect(ingress.stdout.contains("/users") && ingress.stdout.contains("users:80 ("), "\(ingress)")
        }
    }

    @Test func cordonUncordonAndDrain() async throws {
        try await withKubectl(controlLoops: true, nodes: 2) { k in
            let client = k.daemon.client
            try await k.ok(["apply", "-f", "-"], stdin: Self.deployment("web", replicas: 4))
            try await eventually(seconds: 20, "the pods are bound") {
                try await client.list(.pod, namespace: "default").items.filter { $0.spec?["nodeName"] != nil }.count == 4
            }
            #expect(try await k.ok(["cordon", "node-1"]).stdout == "node/node-1 cordoned\n")
            #expect(try await client.get(.node, namespace: nil, name: "node-1").spec?["unschedulable"] == true)
            #expect(try await k.ok(["get", "node", "node-1"]).lines.last?.contains("Ready,SchedulingDisabled") == true)
            #expect(try await k.ok(["uncordon", "node-1"]).stdout == "node/node-1 uncordoned\n")

            let drain = try await k.ok(["drain", "node-1", "--ignore-daemonsets", "--timeout=60s"], timeout: 90)
            #expect(drain.stdout.hasSuffix("node/node-1 drained\n"), "\(drain)")
            let onNode = try await client.list(.pod, namespace: "default").items.filter {
                $0.spec?["nodeName"]?.stringValue == "node-1" && $0.deletionTimestamp == nil
            }
            #expect(onNode.isEmpty)
        }
    }

    // MARK: kctl and kubectl agree

    @Test func objectsWrittenByOneReadBackIdenticallyWithTheOther() async throws {
        try await withKubectl(controlLoops: true, nodes: 1) { k in
            let server = ["--server", k.daemon.url]
            // Written by kctl, read by kubectl.
            let applied = await KctlCommand.capture(["apply", "-f", Self.chat + "users.yaml"] + server)
            #expect(applied.exitCode == 0, "\(applied.stderr)")
            // Written by kubectl, read by kctl.
            try await k.ok(["apply", "-f", Self.chat + "configmap.yaml"])
            try await k.ok(["create", "secret", "generic", "token", "--from-literal=t=x"])

            for (type, name) in [("deployment", "users"), ("service", "users"), ("configmap", "chat-config"), ("secret", "token")] {
                let byKubectl = try JSONValue.parse(Array(try await k.ok(["get", type, name, "-o", "json"]).stdout.utf8))
                let kctl = await KctlCommand.capture(["get", type, name, "-o", "json"] + server)
                #expect(kctl.exitCode == 0, "\(kctl.stderr)")
                let byKctl = try JSONValue.parse(Array(kctl.stdout.utf8))
                // The controllers may write the status (and so the revision) between the two reads.
                #expect(Self.withoutStatus(byKubectl) == Self.withoutStatus(byKctl), "\(type)/\(name)")
                #expect(byKubectl["kind"] != nil && byKubectl["metadata"]?["uid"] != nil)
            }
            // Both print the same table.
            let kubectlTable = try await k.ok(["get", "services"]).lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).dropLast() }
            let kctlTable = await KctlCommand.capture(["get", "services"] + server).stdout
                .split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).dropLast() }
            #expect(kubectlTable.map { Array($0) } == kctlTable.map { Array($0) })
        }
    }

    static func withoutStatus(_ object: JSONValue) -> JSONValue {
        guard var json = object.objectValue else { return object }
        json["status"] = nil
        var metadata = json["metadata"]?.objectValue ?? [:]
        metadata["resourceVersion"] = nil
        json["metadata"] = .object(metadata)
        return .object(json)
    }
}
