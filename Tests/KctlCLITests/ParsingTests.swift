import ArgumentParser
import KctlModel
import Testing

@testable import KctlCLI

@Suite struct ParsingTests {
    @Test func getWithFlags() throws {
        let command = try KctlCommand.parseAsRoot([
            "get", "deploy,svc", "-n", "prod", "-l", "app=web", "--field-selector", "metadata.name=web", "-o", "wide",
            "--show-labels", "-s", "http://127.0.0.1:7000",
        ])
        let get = try #require(command as? KctlCommand.Get)
        #expect(get.resources == ["deploy,svc"])
        #expect(get.global.namespace == "prod")
        #expect(get.global.server == "http://127.0.0.1:7000")
        #expect(get.selector == "app=web")
        #expect(get.fieldSelector == "metadata.name=web")
        #expect(get.output == .wide)
        #expect(get.showLabels)
        #expect(!get.watch)
    }

    /// kubectl takes its shared flags before the command too (`kubectl -n prod get pods`).
    @Test func sharedFlagsBeforeTheCommand() throws {
        let moved = GlobalOptions.movedBehindTheCommand(["-n", "prod", "--server=http://127.0.0.1:7000", "rollout", "status", "deploy/web"])
        #expect(moved == ["rollout", "status", "deploy/web", "-n", "prod", "--server=http://127.0.0.1:7000"])
        let command = try KctlCommand.parseAsRoot(moved)
        let status = try #require(command as? KctlCommand.Rollout.Status)
        #expect(status.global.namespace == "prod")
        #expect(status.global.server == "http://127.0.0.1:7000")
        #expect(GlobalOptions.movedBehindTheCommand(["-A", "get", "pods"]) == ["get", "pods", "-A"])
        // Before a `--`, whose words are not kctl's; nothing moves when the command comes first.
        #expect(GlobalOptions.movedBehindTheCommand(["-n", "x", "create", "deployment", "w", "--", "sleep", "-n"]) == ["create", "deployment", "w", "-n", "x", "--", "sleep", "-n"])
        #expect(GlobalOptions.movedBehindTheCommand(["get", "pods", "-n", "x"]) == ["get", "pods", "-n", "x"])
        #expect(GlobalOptions.movedBehindTheCommand(["-n"]) == ["-n"])
    }

    @Test func getAllNamespacesAndWatch() throws {
        let get = try #require(try KctlCommand.parseAsRoot(["get", "pods", "-A", "-w"]) as? KctlCommand.Get)
        #expect(get.global.allNamespaces)
        #expect(get.global.listNamespace == nil)
        #expect(get.watch)
    }

    @Test func badOutputFormatIsRejected() {
        #expect(throws: (any Error).self) { try KctlCommand.parseAsRoot(["get", "pods", "-o", "table"]) }
        #expect(throws: (any Error).self) { try KctlCommand.parseAsRoot(["get"]) }
    }

    @Test func applyRepeatableFiles() throws {
        let apply = try #require(
            try KctlCommand.parseAsRoot(["apply", "-f", "a.yaml", "-f", "dir/", "-R"]) as? KctlCommand.Apply)
        #expect(apply.filename == ["a.yaml", "dir/"])
        #expect(apply.recursive)
        #expect(apply.global.effectiveNamespace == "default")
        #expect(throws: (any Error).self) { try KctlCommand.parseAsRoot(["apply"]) }
    }

    @Test func deleteOptions() throws {
        let delete = try #require(
            try KctlCommand.parseAsRoot([
                "delete", "deployment", "web", "api", "--cascade", "orphan", "--wait=false", "--ignore-not-found",
            ]) as? KctlCommand.Delete)
        #expect(delete.resources == ["deployment", "web", "api"])
        #expect(delete.cascade == .orphan)
        #expect(delete.cascade.propagationPolicy == "Orphan")
        #expect(!delete.wait)
        #expect(delete.ignoreNotFound)
        #expect(KctlCommand.Delete.Cascade.foreground.propagationPolicy == "Foreground")
        #expect(throws: (any Error).self) { try KctlCommand.parseAsRoot(["delete", "pods", "--cascade", "sometimes"]) }
        #expect(throws: (any Error).self) { try KctlCommand.parseAsRoot(["delete"]) }
    }

    @Test func createSubcommands() throws {
        let secret = try #require(
            try KctlCommand.parseAsRoot([
                "create", "secret", "generic", "db", "--from-literal=user=admin", "--from-literal", "pass=x=y",
                "--from-file=key=/tmp/k",
            ]) as? KctlCommand.CreateSecretGeneric)
        #expect(secret.name == "db")
        #expect(secret.fromLiteral == ["user=admin", "pass=x=y"])
        #expect(secret.fromFile == ["key=/tmp/k"])
        #expect(try KctlCommand.parseAsRoot(["create", "ns", "dev"]) is KctlCommand.CreateNamespace)
        #expect(try KctlCommand.parseAsRoot(["create", "cm", "c"]) is KctlCommand.CreateConfigMap)
    }

    @Test func describeForms() throws {
        let describe = try #require(try KctlCommand.parseAsRoot(["describe", "svc/web"]) as? KctlCommand.Describe)
        #expect(describe.resources == ["svc/web"])
    }
}

@Suite struct ResourceArgsTests {
    @Test func kindsAndNames() throws {
        let (requests, multiple) = try ResourceArgs.parse(["deploy", "web", "api"])
        #expect(requests == [ResourceRequest(type: .deployment, names: ["web", "api"])])
        #expect(!multiple)
    }

    @Test func severalKinds() throws {
        let (requests, multiple) = try ResourceArgs.parse(["deployments.apps,svc,po"])
        #expect(requests.map(\.type) == [.deployment, .service, .pod])
        #expect(multiple)
    }

    @Test func allCategory() throws {
        let (requests, multiple) = try ResourceArgs.parse(["all"])
        #expect(requests.map(\.type) == [.pod, .service, .deployment, .replicaSet, .horizontalPodAutoscaler])
        #expect(multiple)
    }

    @Test func typeSlashName() throws {
        let (requests, multiple) = try ResourceArgs.parse(["deploy/web", "svc/web", "deployment/api"])
        #expect(requests == [
            ResourceRequest(type: .deployment, names: ["web", "api"]), ResourceRequest(type: .service, names: ["web"]),
        ])
        #expect(multiple)
    }

    @Test func unknownKind() {
        #expect(throws: CLIError.unknownType("foo")) { try ResourceArgs.parse(["foo"]) }
        #expect(throws: CLIError.self) { try ResourceArgs.parse(["deploy/web", "api"]) }
        let (both, _) = try! ResourceArgs.parse(["deploy,svc", "web"])
        #expect(both.map(\.names) == [["web"], ["web"]])
    }
}
