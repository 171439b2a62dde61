import Foundation
import KctlModel
import Testing

@testable import KctlAgent

/// Volume setup without processes: the atomic writer, hostPath type checks, mount planning.
@Suite struct PodVolumesTests {
    func pod(volumes: [Volume], mounts: [VolumeMount] = []) -> Pod {
        var pod = Pod()
        pod.metadata.name = "p"
        pod.metadata.namespace = "default"
        pod.metadata.uid = "u1"
        pod.spec = PodSpec(containers: [Container(name: "main", command: ["true"], volumeMounts: mounts)], volumes: volumes)
        return pod
    }

    func volumes(_ dir: TempDir) -> PodVolumes {
        PodVolumes(directories: PodDirectories(root: dir.path + "/pods"), hostPathRoot: dir.path + "/hostpath")
    }

    func file(_ text: String, _ mode: Int32 = 0o644) -> VolumeFile { VolumeFile(data: Data(text.utf8), mode: mode) }

    @Test func theWriterSwapsVersionsAndReportsChanges() throws {
        let dir = try TempDir()
        let volume = dir.path + "/v"
        #expect(try VolumeFileWriter.write(["a": file("1"), "sub/b": file("2", 0o600)], to: volume))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: volume + "/a") == "..data/a")
        #expect(try String(contentsOfFile: volume + "/sub/b", encoding: .utf8) == "2")
        let first = try FileManager.default.destinationOfSymbolicLink(atPath: volume + "/..data")

        #expect(try !VolumeFileWriter.write(["a": file("1"), "sub/b": file("2", 0o600)], to: volume), "no change")
        #expect(try VolumeFileWriter.write(["a": file("1"), "sub/b": file("2", 0o644)], to: volume), "a mode change")
        #expect(try VolumeFileWriter.write(["c": file("3")], to: volume))
        let entries = Set(try FileManager.default.contentsOfDirectory(atPath: volume))
        let second = try FileManager.default.destinationOfSymbolicLink(atPath: volume + "/..data")
        #expect(second != first)
        #expect(entries == ["..data", second, "c"])
    }

    @Test func theWriterRefusesPathsOutsideTheVolume() throws {
        let dir = try TempDir()
        for bad in ["../x", "/etc/x", "..data/x", "a/../../x"] {
            #expect(throws: VolumeFileWriter.Failure.self) { try VolumeFileWriter.write([bad: file("x")], to: dir.path + "/v") }
        }
    }

    @Test func hostPathTypesAreCheckedAsKubernetesDoes() throws {
        let dir = try TempDir()
        let volumes = volumes(dir)
        let file = dir.path + "/file"
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        try volumes.checkHostPath(dir.path, type: "Directory", volume: "v")
        try volumes.checkHostPath(file, type: "File", volume: "v")
        try volumes.checkHostPath(file, type: "", volume: "v")
        #expect(throws: VolumeSetupError.self) { try volumes.checkHostPath(file, type: "Directory", volume: "v") }
        #expect(throws: VolumeSetupError.self) { try volumes.checkHostPath(dir.path, type: "FileOrCreate", volume: "v") }
        #expect(throws: VolumeSetupError.self) { try volumes.checkHostPath(file, type: "Socket", volume: "v") }
        #expect(throws: VolumeSetupError.self) { try volumes.checkHostPath(dir.path + "/none", type: "File", volume: "v") }
        try volumes.checkHostPath(dir.path + "/made/file", type: "FileOrCreate", volume: "v")
        #expect(PodVolumes.fileType(dir.path + "/made/file") == S_IFREG)
        try volumes.checkHostPath(dir.path + "/made/dir", type: "DirectoryOrCreate", volume: "v")
        #expect(PodVolumes.fileType(dir.path + "/made/dir") == S_IFDIR)
    }

    @Test func mountsArePlacedUnderThePodRoot() throws {
        let dir = try TempDir()
        let volumes = volumes(dir)
        let pod = pod(
            volumes: [
                Volume(name: "scratch", emptyDir: EmptyDirVolumeSource()),
                Volume(name: "history", hostPath: HostPathVolumeSource(path: "chat-history")),
                Volume(name: "host", hostPath: HostPathVolumeSource(path: "/srv/data")),
            ],
            mounts: [
                VolumeMount(name: "scratch", mountPath: "/tmp//scratch/"),
                VolumeMount(name: "history", mountPath: "/var/lib/chat", subPath: "db"),
                VolumeMount(name: "host", mountPath: "srv"),
            ])
        let planned = try volumes.mounts(of: pod.spec!.containers[0], in: pod, root: "/root", environment: [:])
        #expect(planned.map(\.target) == ["/root/tmp/scratch", "/root/var/lib/chat", "/root/srv"])
        #expect(planned.map(\.source) == [
            dir.path + "/pods/default_p_u1/volumes/scratch", dir.path + "/hostpath/chat-history/db", "/srv/data",
        ])
        #expect(planned.map(\.creatableSubPath) == [false, true, false])
    }

    @Test func theRootItselfAndUnsupportedSourcesAreClearErrors() throws {
        let dir = try TempDir()
        let volumes = volumes(dir)
        let atRoot = pod(volumes: [Volume(name: "v", emptyDir: EmptyDirVolumeSource())], mounts: [VolumeMount(name: "v", mountPath: "/")])
        #expect(throws: VolumeSetupError.self) {
            try volumes.mounts(of: atRoot.spec!.containers[0], in: atRoot, root: "/root", environment: [:])
        }
        let claim = pod(volumes: [Volume(name: "data", persistentVolumeClaim: ["claimName": "c"])])
        do {
            try volumes.setUp(claim.spec!.volumes![0], in: claim, sources: VolumeSources())
            Issue.record("a persistentVolumeClaim volume was accepted")
        } catch {
            #expect(error.message == "MountVolume.SetUp failed for volume \"data\": persistentVolumeClaim volumes are not supported by kctl")
        }
    }

    @Test func missingKeysFailUnlessOptional() throws {
        let source = ConfigMapVolumeSource(name: "cm", items: [KeyToPath(key: "absent", path: "x")])
        var volume = Volume(name: "cfg", configMap: source)
        let sources = VolumeSources(configMaps: ["cm": ["present": Data("1".utf8)]])
        do {
            _ = try PodVolumes.files(of: volume, in: pod(volumes: [volume]), sources: sources)
            Issue.record("a missing key was accepted")
        } catch {
            #expect(error.message.hasSuffix("configmap default/cm references non-existent config key: absent"))
        }
        volume.configMap?.optional = true
        #expect(try PodVolumes.files(of: volume, in: pod(volumes: [volume]), sources: sources) == [:])
    }
}
