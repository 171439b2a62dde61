import Foundation
import KctlModel

/// What a pod's configMap and secret volumes show, read from the store just before setup, so
/// setting volumes up is a function of the pod and these maps alone.
public struct VolumeSources: Sendable, Hashable {
    /// Each ConfigMap's `data` and `binaryData` by ConfigMap name; a missing name: no such ConfigMap.
    public var configMaps: [String: [String: Data]]
    /// Each Secret's decoded `data` (and `stringData`) by Secret name; a missing name: no such Secret.
    public var secrets: [String: [String: Data]]

    public init(configMaps: [String: [String: Data]] = [:], secrets: [String: [String: Data]] = [:]) {
        self.configMaps = configMaps
        self.secrets = secrets
    }
}

/// Why a container's volumes cannot be set up yet (a missing ConfigMap, a hostPath that is not a
/// directory, ...). The worker shows it as the waiting reason `CreateContainerConfigError` and
/// tries again later, since the missing object or path may still appear.
public struct VolumeSetupError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The volume at fault, when one is.
    public var volume: String?
    public var message: String

    public init(volume: String?, _ detail: String) {
        self.volume = volume
        self.message = volume.map { "MountVolume.SetUp failed for volume \"\($0)\": \(detail)" } ?? detail
    }

    public var description: String { message }
}

/// One volume mount of a container, resolved: a link at `target` (inside the pod's root) to `source`.
public struct PlannedMount: Sendable, Hashable {
    public var volume: String
    /// The mountPath, normalized: "/var/lib/chat".
    public var mountPath: String
    /// The link's absolute path: `<work>/var/lib/chat`.
    public var target: String
    /// The volume's directory, or the subPath inside it.
    public var source: String
    /// Whether `source` is a subPath that setup may create as a directory when missing.
    public var creatableSubPath: Bool
}

/// A pod's volumes as plain directories, and its containers' mounts as symlinks, because kctl has
/// no mount namespace: a process sees the host's filesystem. The pod's working directory stands in
/// for its filesystem root (`KCTL_POD_ROOT`): `mountPath: /var/lib/chat` becomes the link
/// `<work>/var/lib/chat` to the volume, so a program that uses `var/lib/chat/...` relative to its
/// working directory, or `$(KCTL_POD_ROOT)/var/lib/chat/...`, reaches the volume. The absolute
/// path `/var/lib/chat` stays the host's.
///
/// - emptyDir: `<pod dir>/volumes/<name>`, kept across container restarts, removed with the pod.
///   `medium: Memory` and `sizeLimit` are not honoured (an ordinary directory).
/// - hostPath: its `path` with Kubernetes' `type` checks. A relative path is kctl's extension,
///   resolved under `RuntimeOptions.hostPathDirectory` (`<dataDir>/hostpath/<path>`), so replicas
///   share state without touching the host outside the data dir. Type "" creates a missing
///   directory (as Docker did).
/// - configMap, secret: one file per key (or per `items` entry) with `defaultMode`/`mode`, written
///   atomically before the container starts and refreshed when the object changes (see
///   `VolumeFileWriter`).
/// - readOnly is not enforced: the processes run as kctld's user, which may write anywhere it can.
///   Other sources (persistentVolumeClaim, projected, ...) are refused with a clear message.
public struct PodVolumes: Sendable {
    public let directories: PodDirectories
    /// Where relative hostPath paths are resolved.
    public let hostPathRoot: String

    public init(directories: PodDirectories, hostPathRoot: String) {
        self.directories = directories
        self.hostPathRoot = hostPathRoot
    }

    /// The directory (or, for a hostPath file, the file) a volume of the pod lives in.
    public func path(of volume: Volume, in pod: Pod) -> String {
        if let hostPath = volume.hostPath {
            return hostPath.path.hasPrefix("/") ? hostPath.path : hostPathRoot + "/" + hostPath.path
        }
        let (namespace, name, uid) = Self.identity(pod)
        return directories.volume(namespace: namespace, name: name, uid: uid, volume: volume.name)
    }

    // MARK: Setup

    /// Sets up every volume of the pod, then links `container`'s mounts under the pod's root.
    /// Idempotent: a restarted container finds its emptyDir as it left it. `environment` is the
    /// container's, for `subPathExpr`.
    public func prepare(
        _ container: Container, in pod: Pod, sources: VolumeSources, environment: [String: String]
    ) throws(VolumeSetupError) {
        for volume in pod.spec?.volumes ?? [] {
            try setUp(volume, in: pod, sources: sources)
        }
        let (namespace, name, uid) = Self.identity(pod)
        let root = directories.work(namespace: namespace, name: name, uid: uid)
        // Outer mounts first, so that a nested one lands inside its parent's volume.
        let planned = try mounts(of: container, in: pod, root: root, environment: environment)
        for mount in planned.sorted(by: { $0.target.count < $1.target.count }) {
            try link(mount)
        }
    }

    /// Makes one volume exist with its content.
    public func setUp(_ volume: Volume, in pod: Pod, sources: VolumeSources) throws(VolumeSetupError) {
        let path = path(of: volume, in: pod)
        if volume.emptyDir != nil {
            try makeDirectory(path, volume: volume.name)
        } else if let hostPath = volume.hostPath {
            try checkHostPath(path, type: hostPath.type ?? "", volume: volume.name)
        } else if volume.configMap != nil || volume.secret != nil {
            let files = try Self.files(of: volume, in: pod, sources: sources)
            do {
                try VolumeFileWriter.write(files ?? [:], to: path)
            } catch {
                throw VolumeSetupError(volume: volume.name, error.description)
            }
        } else if let source = Self.unsupportedSource(of: volume) {
            throw VolumeSetupError(volume: volume.name, "\(source) volumes are not supported by kctl")
        } else {
            throw VolumeSetupError(volume: volume.name, "the volume has no source")
        }
    }

    /// Rewrites the configMap and secret volumes already set up whose objects changed; a deleted
    /// object leaves its files as they were (as the kubelet does). Returns the volumes rewritten.
    public func refresh(_ pod: Pod, sources: VolumeSources) -> [String] {
        var changed: [String] = []
        for volume in pod.spec?.volumes ?? [] where volume.configMap != nil || volume.secret != nil {
            let path = path(of: volume, in: pod)
            guard FileManager.default.fileExists(atPath: path + "/..data"),
                let files = try? Self.files(of: volume, in: pod, sources: sources),
                (try? VolumeFileWriter.write(files, to: path)) == true
            else { continue }
            changed.append(volume.name)
        }
        return changed
    }

    /// The files of a configMap or secret volume; nil when the object is missing and optional.
    static func files(of volume: Volume, in pod: Pod, sources: VolumeSources) throws(VolumeSetupError) -> [String: VolumeFile]? {
        let namespace = pod.metadata.namespace ?? "default"
        let kind: String
        let objectName: String
        let items: [KeyToPath]?
        let defaultMode: Int32
        let optional: Bool
        let data: [String: Data]?
        if let source = volume.configMap {
            (kind, objectName, items) = ("configmap", source.name ?? "", source.items)
            (defaultMode, optional) = (source.defaultMode ?? 0o644, source.optional == true)
            data = sources.configMaps[objectName]
        } else if let source = volume.secret {
            (kind, objectName, items) = ("secret", source.secretName ?? "", source.items)
            (defaultMode, optional) = (source.defaultMode ?? 0o644, source.optional == true)
            data = sources.secrets[objectName]
        } else {
            return nil
        }
        guard let data else {
            if optional { return nil }
            throw VolumeSetupError(volume: volume.name, "\(kind) \"\(objectName)\" not found")
        }
        guard let items, !items.isEmpty else {
            return data.mapValues { VolumeFile(data: $0, mode: defaultMode) }
        }
        var files: [String: VolumeFile] = [:]
        for item in items {
            guard let bytes = data[item.key] else {
                if optional { continue }
                let what = kind == "secret" ? "secret key" : "config key"
                throw VolumeSetupError(
                    volume: volume.name, "\(kind) \(namespace)/\(objectName) references non-existent \(what): \(item.key)")
            }
            files[item.path] = VolumeFile(data: bytes, mode: item.mode ?? defaultMode)
        }
        return files
    }

    // MARK: Mounts

    /// `container`'s mounts under `root`, checked: a known volume, a mountPath that is not the
    /// root itself and has no `..`, and no other container of the pod mounting something else at
    /// the same place (containers share one root here, unlike in Kubernetes).
    public func mounts(
        of container: Container, in pod: Pod, root: String, environment: [String: String]
    ) throws(VolumeSetupError) -> [PlannedMount] {
        let volumes = Dictionary((pod.spec?.volumes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var planned: [PlannedMount] = []
        for mount in container.volumeMounts ?? [] {
            guard let volume = volumes[mount.name] else {
                throw VolumeSetupError(volume: nil, "volumeMount \"\(mount.name)\" names no volume of the pod")
            }
            let mountPath = Self.normalized(mount.mountPath)
            let relative = String(mountPath.drop { $0 == "/" })
            if relative.isEmpty || relative.split(separator: "/").contains("..") {
                throw VolumeSetupError(
                    volume: volume.name,
                    "mountPath \"\(mount.mountPath)\" cannot be placed in the pod's root (it must name a path below /, without '..')")
            }
            var subPath = mount.subPath ?? ""
            if let expression = mount.subPathExpr, !expression.isEmpty {
                var unresolved: [String] = []
                subPath = ContainerEnvironment.expand(expression, unresolved: &unresolved) { environment[$0] }
            }
            subPath = Self.normalized(subPath)
            if subPath.hasPrefix("/") || subPath.split(separator: "/").contains("..") {
                throw VolumeSetupError(volume: volume.name, "subPath \"\(subPath)\" must be a relative path without '..'")
            }
            let base = path(of: volume, in: pod)
            planned.append(
                PlannedMount(
                    volume: volume.name, mountPath: mountPath, target: root + "/" + relative,
                    source: subPath.isEmpty ? base : base + "/" + subPath,
                    creatableSubPath: !subPath.isEmpty && (volume.emptyDir != nil || volume.hostPath != nil)))
        }
        for other in pod.spec?.containers ?? [] where other.name != container.name {
            for theirs in other.volumeMounts ?? [] {
                guard let mine = container.volumeMounts?.first(where: {
                    Self.normalized($0.mountPath) == Self.normalized(theirs.mountPath)
                }) else { continue }
                if mine.name != theirs.name || (mine.subPath ?? "") != (theirs.subPath ?? "")
                    || (mine.subPathExpr ?? "") != (theirs.subPathExpr ?? "")
                {
                    throw VolumeSetupError(
                        volume: mine.name,
                        "mountPath \"\(mine.mountPath)\" is also used by container \(other.name) for another volume or "
                            + "subPath; kctl's containers share one root, so they must mount the same thing there")
                }
            }
        }
        return planned
    }

    /// Places one mount: the link `target` -> `source`, replacing a link to elsewhere or an empty
    /// directory, never anything with content.
    func link(_ mount: PlannedMount) throws(VolumeSetupError) {
        let fm = FileManager.default
        if !fm.fileExists(atPath: mount.source) {
            guard mount.creatableSubPath else {
                throw VolumeSetupError(volume: mount.volume, "subPath \(mount.source) does not exist in the volume")
            }
            try makeDirectory(mount.source, volume: mount.volume)
        }
        if let current = try? fm.destinationOfSymbolicLink(atPath: mount.target) {
            if current == mount.source { return }
            unlink(mount.target)
        } else if Self.exists(mount.target) {
            // An empty directory (a nested mount's parent made earlier, say) gives way; content does not.
            if rmdir(mount.target) != 0 {
                throw VolumeSetupError(
                    volume: mount.volume,
                    "mountPath \(mount.mountPath): \(mount.target) already exists in the pod's root and is not empty")
            }
        }
        let parent = (mount.target as NSString).deletingLastPathComponent
        do {
            try fm.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw VolumeSetupError(volume: mount.volume, "cannot create \(parent) for mountPath \(mount.mountPath): \(error.localizedDescription)")
        }
        guard symlink(mount.source, mount.target) == 0 else {
            throw VolumeSetupError(
                volume: mount.volume, "cannot link \(mount.target) to \(mount.source): \(String(cString: strerror(errno)))")
        }
    }

    // MARK: hostPath

    /// Kubernetes' hostPath type checks (DirectoryOrCreate and FileOrCreate create what is missing).
    func checkHostPath(_ path: String, type: String, volume: String) throws(VolumeSetupError) {
        let kind = Self.fileType(path)
        func failed(_ detail: String) -> VolumeSetupError {
            VolumeSetupError(volume: volume, "hostPath type check failed: \(path) \(detail)")
        }
        switch type {
        case "", "DirectoryOrCreate":
            if kind == nil { try makeDirectory(path, volume: volume) } else if type != "", kind != S_IFDIR {
                throw failed("is not a directory")
            }
        case "Directory":
            if kind != S_IFDIR { throw failed("is not a directory") }
        case "FileOrCreate":
            if kind == nil {
                let parent = (path as NSString).deletingLastPathComponent
                try makeDirectory(parent, volume: volume)
                guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644])
                else { throw VolumeSetupError(volume: volume, "cannot create the file \(path)") }
            } else if kind != S_IFREG {
                throw failed("is not a file")
            }
        case "File":
            if kind != S_IFREG { throw failed("is not a file") }
        case "Socket":
            if kind != S_IFSOCK { throw failed("is not a socket file") }
        case "CharDevice":
            if kind != S_IFCHR { throw failed("is not a character device") }
        case "BlockDevice":
            if kind != S_IFBLK { throw failed("is not a block device") }
        default:
            throw VolumeSetupError(volume: volume, "unknown hostPath type \"\(type)\"")
        }
    }

    // MARK: Helpers

    private func makeDirectory(_ path: String, volume: String) throws(VolumeSetupError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw VolumeSetupError(volume: volume, "cannot create the directory \(path): \(error.localizedDescription)")
        }
    }

    /// The file type (`S_IFDIR`, `S_IFREG`, ...) of what `path` names, links followed; nil when nothing.
    static func fileType(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT
    }

    /// Whether anything (a dangling link included) is at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    static func normalized(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    static func identity(_ pod: Pod) -> (namespace: String, name: String, uid: String) {
        (pod.metadata.namespace ?? "default", pod.metadata.name ?? "", pod.metadata.uid ?? "")
    }

    /// The name of a source kctl does not set up, when the volume has one.
    static func unsupportedSource(of volume: Volume) -> String? {
        let named: [(String, Bool)] = [
            ("persistentVolumeClaim", volume.persistentVolumeClaim != nil), ("projected", volume.projected != nil),
            ("downwardAPI", volume.downwardAPI != nil), ("ephemeral", volume.ephemeral != nil),
            ("csi", volume.csi != nil), ("nfs", volume.nfs != nil), ("image", volume.image != nil),
        ]
        return named.first { $0.1 }?.0
    }
}
