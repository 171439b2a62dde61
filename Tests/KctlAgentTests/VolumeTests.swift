import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import KctlSupervisor
import Testing

@testable import KctlAgent

/// Pod volumes with the real process runtime: real `/bin/sh` containers reach emptyDir, hostPath,
/// configMap and secret volumes through their mountPaths under the pod's root, and every test
/// waits on the status the agent writes or on files, with deadlines.
@Suite(.serialized) struct VolumeTests {
    /// Runs one node's agent with a process runtime (short back-off, fast volume refresh) around
    /// `body`; afterwards no process of the runtime is left.
    func withRuntime(_ body: @Sendable (SQLiteStore, PodRuntime, TempDir) async throws -> Void) async throws {
        try await withProcessRuntime {
            RuntimeOptions(
                podsDirectory: $0, backOffBase: .milliseconds(100), backOffCap: .milliseconds(400),
                volumeRefreshInterval: .milliseconds(200))
        } _: { store, runtime, _, dir in
            try await body(store, runtime, dir)
        }
    }

    /// A pod on node-1 with `volumes` and one `/bin/sh -c` container per (name, script, mounts).
    func pod(_ name: String, volumes: JSONValue, containers: [(String, String, JSONValue)]) -> KubeObject {
        let specs: [JSONValue] = containers.map { container in
            [
                "name": .string(container.0), "command": ["/bin/sh", "-c", .string(container.1)],
                "volumeMounts": container.2,
            ]
        }
        return KubeObject([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["nodeName": "node-1", "terminationGracePeriodSeconds": 1, "volumes": volumes, "containers": .array(specs)],
        ])
    }

    func containerStatus(_ store: any Store, _ pod: String, _ container: String) async throws -> ContainerStatus? {
        guard let object = try await find(store, .pod, "default", pod) else { return nil }
        return try Pod(object).status?.containerStatuses?.first { $0.name == container }
    }

    func running(_ store: any Store, _ pod: String, _ containers: [String]) async throws -> Bool {
        for container in containers where try await containerStatus(store, pod, container)?.state?.running == nil {
            return false
        }
        return true
    }

    func podDirectory(_ runtime: PodRuntime, _ store: any Store, _ name: String) async throws -> String {
        let uid = try #require(try await find(store, .pod, "default", name)?.uid)
        return runtime.directories.pod(namespace: "default", name: name, uid: uid)
    }

    func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    func mode(_ path: String) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int32(info.st_mode & 0o7777)
    }

    func object(_ kind: String, _ name: String, _ fields: [String: JSONValue]) -> KubeObject {
        var object = KubeObject(["apiVersion": "v1", "kind": .string(kind)])
        object.name = name
        object.namespace = "default"
        for (key, value) in fields { object.json[key] = value }
        return object
    }

    func deleteAndWait(_ store: any Store, _ name: String) async throws {
        _ = try await store.delete(.pod, namespace: "default", name: name)
        try await eventually("pod \(name) gone") { try await find(store, .pod, "default", name) == nil }
    }

    // MARK: emptyDir

    @Test func anEmptyDirIsSharedByTwoContainersSurvivesARestartAndGoesWithThePod() async throws {
        try await withRuntime { store, runtime, _ in
            // The writer appends a line per start; the reader waits for the first one under its
            // own mountPath and answers.
            let writer = "echo started >> data/starts; exec sleep 300"
            let reader = "until test -s in/starts; do sleep 0.05; done; echo seen > in/reader; exec sleep 300"
            _ = try await store.create(
                pod(
                    "shared", volumes: [["name": "scratch", "emptyDir": [:]]],
                    containers: [
                        ("writer", writer, [["name": "scratch", "mountPath": "/data"]]),
                        ("reader", reader, [["name": "scratch", "mountPath": "/in"]]),
                    ]), as: .pod)
            try await eventually("both running") { try await running(store, "shared", ["writer", "reader"]) }
            let directory = try await podDirectory(runtime, store, "shared")
            let volume = directory + "/volumes/scratch"
            try await eventually("the reader saw the writer's file") { text(volume + "/reader") == "seen\n" }
            #expect(text(directory + "/work/in/starts") == "started\n")

            // kill -9 of the writer: restarted, and the emptyDir still holds the first start.
            let uid = try #require(try await find(store, .pod, "default", "shared")?.uid)
            let worker = try #require(runtime.worker(uid: uid))
            let group = try #require(await worker.processGroups().first { $0.container == "writer" }?.pgid)
            kill(-group, SIGKILL)
            try await eventually("the writer restarted") {
                try await containerStatus(store, "shared", "writer")?.restartCount == 1
                    && text(volume + "/starts") == "started\nstarted\n"
            }

            try await deleteAndWait(store, "shared")
            try await eventually("the pod's directory, volume included, is removed") {
                !FileManager.default.fileExists(atPath: directory)
            }
        }
    }

    // MARK: hostPath

    @Test func relativeAndAbsoluteHostPathsAreCreatedSharedAndKeptAfterThePod() async throws {
        try await withRuntime { store, runtime, dir in
            let absolute = dir.path + "/host/absolute"
            let volumes: JSONValue = [
                ["name": "history", "hostPath": ["path": "chat/history", "type": "DirectoryOrCreate"]],
                ["name": "abs", "hostPath": ["path": .string(absolute), "type": "DirectoryOrCreate"]],
            ]
            let mounts: JSONValue = [
                ["name": "history", "mountPath": "/var/lib/chat"], ["name": "abs", "mountPath": "/mnt/abs/"],
            ]
            _ = try await store.create(
                pod("first", volumes: volumes, containers: [("main", "echo one >> var/lib/chat/log; echo a > mnt/abs/f; exec sleep 300", mounts)]),
                as: .pod)
            _ = try await store.create(
                pod("second", volumes: volumes, containers: [("main", "until grep -q one var/lib/chat/log; do sleep 0.05; done; echo two >> var/lib/chat/log; exec sleep 300", mounts)]),
                as: .pod)
            let relative = runtime.options.hostPathDirectory + "/chat/history"
            #expect(runtime.options.hostPathDirectory == dir.path + "/hostpath")
            try await eventually("both pods wrote to one relative hostPath") { text(relative + "/log") == "one\ntwo\n" }
            #expect(text(absolute + "/f") == "a\n")

            let first = try await podDirectory(runtime, store, "first")
            try await deleteAndWait(store, "first")
            try await deleteAndWait(store, "second")
            try await eventually("the pod directories are removed") {
                !FileManager.default.fileExists(atPath: first)
            }
            #expect(text(relative + "/log") == "one\ntwo\n", "removing a pod removes its links, not the host's files")
            #expect(text(absolute + "/f") == "a\n")
        }
    }

    @Test func aMissingDirectoryHostPathWaitsNamingThePathThenStarts() async throws {
        try await withRuntime { store, runtime, dir in
            let path = dir.path + "/later"
            _ = try await store.create(
                pod(
                    "waits", volumes: [["name": "data", "hostPath": ["path": .string(path), "type": "Directory"]]],
                    containers: [("main", "echo ok > data/ok; exec sleep 300", [["name": "data", "mountPath": "/data"]])]),
                as: .pod)
            try await eventually("CreateContainerConfigError") {
                try await containerStatus(store, "waits", "main")?.state?.waiting?.reason == "CreateContainerConfigError"
            }
            let message = try await containerStatus(store, "waits", "main")?.state?.waiting?.message ?? ""
            #expect(message == "MountVolume.SetUp failed for volume \"data\": hostPath type check failed: \(path) is not a directory")
            let reasons = try await store.list(.event, namespace: "default").items.compactMap { $0.json["reason"]?.stringValue }
            #expect(reasons.contains("FailedMount"))

            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try await eventually("running once the directory exists", seconds: 15) {
                try await containerStatus(store, "waits", "main")?.state?.running != nil && text(path + "/ok") == "ok\n"
            }
            _ = runtime
        }
    }

    // MARK: configMap and secret

    @Test func configMapAndSecretVolumesHoldTheirKeysWithModesAndFollowUpdates() async throws {
        try await withRuntime { store, runtime, _ in
            _ = try await store.create(
                object("ConfigMap", "settings", ["data": ["greeting": "hello", "limit": "5"], "binaryData": ["blob": "AAEC"]]),
                as: .configMap)
            _ = try await store.create(object("Secret", "api", ["data": ["token": "czNjcjN0"]]), as: .secret)
            let volumes: JSONValue = [
                ["name": "config", "configMap": ["name": "settings"]],
                [
                    "name": "picked",
                    "configMap": ["name": "settings", "items": [["key": "limit", "path": "nested/limit.txt", "mode": 0o600]]],
                ],
                ["name": "token", "secret": ["secretName": "api", "defaultMode": 0o400]],
            ]
            let mounts: JSONValue = [
                ["name": "config", "mountPath": "/etc/config", "readOnly": true],
                ["name": "picked", "mountPath": "/etc/picked"],
                ["name": "token", "mountPath": "/etc/token"],
            ]
            _ = try await store.create(
                pod("configured", volumes: volumes, containers: [("main", "cat etc/token/token > seen; exec sleep 300", mounts)]),
                as: .pod)
            try await eventually("running") { try await running(store, "configured", ["main"]) }
            let work = try await podDirectory(runtime, store, "configured") + "/work"
            try await eventually("the container read the secret") { text(work + "/seen") == "s3cr3t" }

            #expect(text(work + "/etc/config/greeting") == "hello")
            #expect(text(work + "/etc/config/limit") == "5")
            #expect(FileManager.default.contents(atPath: work + "/etc/config/blob") == Data([0, 1, 2]))
            #expect(mode(work + "/etc/config/greeting") == 0o644)
            #expect(text(work + "/etc/picked/nested/limit.txt") == "5")
            #expect(mode(work + "/etc/picked/nested/limit.txt") == 0o600)
            #expect(!FileManager.default.fileExists(atPath: work + "/etc/picked/greeting"), "items pick keys")
            #expect(mode(work + "/etc/token/token") == 0o400)

            // A changed ConfigMap reaches the volume: new value, removed key gone, added key there.
            var settings = try await store.get(.configMap, namespace: "default", name: "settings")
            settings.json["data"] = ["greeting": "bonjour", "extra": "x"]
            settings.json["binaryData"] = nil
            _ = try await store.update(settings, as: .configMap)
            // The swap is one rename; the old version and the removed key's link go just after it.
            try await eventually("the volume follows the ConfigMap, one version kept") {
                let entries = try FileManager.default.contentsOfDirectory(atPath: work + "/etc/config")
                return text(work + "/etc/config/greeting") == "bonjour" && text(work + "/etc/config/extra") == "x"
                    && !FileManager.default.fileExists(atPath: work + "/etc/config/limit")
                    && entries.filter { $0.hasPrefix("..") && $0 != "..data" }.count == 1
            }
        }
    }

    @Test func aMissingConfigMapWaitsNamingVolumeAndObjectThenStartsOnceItAppears() async throws {
        try await withRuntime { store, runtime, _ in
            _ = try await store.create(
                pod(
                    "early", volumes: [["name": "config", "configMap": ["name": "late"]]],
                    containers: [("main", "cat etc/config/key > seen; exec sleep 300", [["name": "config", "mountPath": "/etc/config"]])]),
                as: .pod)
            try await eventually("CreateContainerConfigError") {
                try await containerStatus(store, "early", "main")?.state?.waiting?.reason == "CreateContainerConfigError"
            }
            let message = try await containerStatus(store, "early", "main")?.state?.waiting?.message
            #expect(message == "MountVolume.SetUp failed for volume \"config\": configmap \"late\" not found")

            _ = try await store.create(object("ConfigMap", "late", ["data": ["key": "value"]]), as: .configMap)
            try await eventually("running once the ConfigMap exists", seconds: 15) {
                try await running(store, "early", ["main"])
            }
            let work = try await podDirectory(runtime, store, "early") + "/work"
            try await eventually("the key reached the process") { text(work + "/seen") == "value" }
        }
    }

    @Test func anOptionalMissingSecretGivesAnEmptyVolume() async throws {
        try await withRuntime { store, runtime, _ in
            _ = try await store.create(
                pod(
                    "optional", volumes: [["name": "maybe", "secret": ["secretName": "absent", "optional": true]]],
                    containers: [("main", "ls etc/maybe > listing; exec sleep 300", [["name": "maybe", "mountPath": "/etc/maybe"]])]),
                as: .pod)
            try await eventually("running") { try await running(store, "optional", ["main"]) }
            let work = try await podDirectory(runtime, store, "optional") + "/work"
            try await eventually("an empty listing") { text(work + "/listing") == "" }
        }
    }

    // MARK: The pod's root

    @Test func kctlPodRootExpandsInEnvAndArgsAndSubPathsAreCreated() async throws {
        try await withRuntime { store, runtime, _ in
            let container: JSONValue = [
                "name": "main",
                "command": ["/bin/sh", "-c", #"echo "$DB" > "$0/var/lib/app/where"; exec sleep 300"#, "$(KCTL_POD_ROOT)"],
                "env": [["name": "DB", "value": "$(KCTL_POD_ROOT)/var/lib/app/db.sqlite"]],
                "volumeMounts": [["name": "data", "mountPath": "/var/lib/app", "subPathExpr": "$(POD_NAME)"]],
            ]
            _ = try await store.create(
                KubeObject([
                    "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "rooted", "namespace": "default"],
                    "spec": [
                        "nodeName": "node-1", "terminationGracePeriodSeconds": 1,
                        "volumes": [["name": "data", "emptyDir": [:]]], "containers": [container],
                    ],
                ]), as: .pod)
            try await eventually("running") { try await running(store, "rooted", ["main"]) }
            let directory = try await podDirectory(runtime, store, "rooted")
            let file = directory + "/volumes/data/rooted/where"
            try await eventually("the process wrote through its mount into the subPath") {
                text(file) == "\(directory)/work/var/lib/app/db.sqlite\n"
            }
        }
    }

    @Test func twoContainersMountingDifferentVolumesAtOnePathIsAClearError() async throws {
        try await withRuntime { store, _, _ in
            _ = try await store.create(
                pod(
                    "clash", volumes: [["name": "a", "emptyDir": [:]], ["name": "b", "emptyDir": [:]]],
                    containers: [
                        ("one", "exec sleep 300", [["name": "a", "mountPath": "/data"]]),
                        ("two", "exec sleep 300", [["name": "b", "mountPath": "/data"]]),
                    ]), as: .pod)
            try await eventually("both wait with a message") {
                let one = try await containerStatus(store, "clash", "one")?.state?.waiting
                let two = try await containerStatus(store, "clash", "two")?.state?.waiting
                return one?.reason == "CreateContainerConfigError" && two?.reason == "CreateContainerConfigError"
            }
            let message = try await containerStatus(store, "clash", "one")?.state?.waiting?.message ?? ""
            #expect(message.contains("mountPath \"/data\" is also used by container two"), "\(message)")
        }
    }
}
