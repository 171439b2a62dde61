import Foundation
import KctlSupervisor

/// The on-disk layout of the pods a node agent runs, under `RuntimeOptions.podsDirectory`:
///
///     <namespace>_<name>_<uid>/work/                       the containers' working directory (the pod's root)
///     <namespace>_<name>_<uid>/volumes/<volume>/             an emptyDir, configMap or secret volume
///     <namespace>_<name>_<uid>/logs/<container>/<n>.log     stdout+stderr of instance n (n = restart count)
///     <namespace>_<name>_<uid>/run/<container>.pid          "<pid> <start time>" of the running instance
///
/// The `.pid` records let a restarted kctld find process groups that outlived a `kill -9` of
/// the daemon (the direct children die with it through the parent-death signal; a grandchild
/// that left its parent could stay) and stop them: see `stopLeftovers`.
public struct PodDirectories: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func pod(namespace: String, name: String, uid: String) -> String {
        "\(root)/\(namespace)_\(name)_\(uid)"
    }

    public func work(namespace: String, name: String, uid: String) -> String {
        pod(namespace: namespace, name: name, uid: uid) + "/work"
    }

    /// Where the pod's own volumes (emptyDir, configMap, secret) live; they go with the pod.
    public func volumes(namespace: String, name: String, uid: String) -> String {
        pod(namespace: namespace, name: name, uid: uid) + "/volumes"
    }

    public func volume(namespace: String, name: String, uid: String, volume: String) -> String {
        volumes(namespace: namespace, name: name, uid: uid) + "/\(volume)"
    }

    public func logs(namespace: String, name: String, uid: String, container: String) -> String {
        pod(namespace: namespace, name: name, uid: uid) + "/logs/\(container)"
    }

    public func log(namespace: String, name: String, uid: String, container: String, instance: Int) -> String {
        logs(namespace: namespace, name: name, uid: uid, container: container) + "/\(instance).log"
    }

    func record(namespace: String, name: String, uid: String, container: String) -> String {
        pod(namespace: namespace, name: name, uid: uid) + "/run/\(container).pid"
    }

    /// Creates the working, log and run directories of a container.
    public func prepare(namespace: String, name: String, uid: String, container: String) throws {
        let fm = FileManager.default
        for dir in [
            work(namespace: namespace, name: name, uid: uid),
            logs(namespace: namespace, name: name, uid: uid, container: container),
            pod(namespace: namespace, name: name, uid: uid) + "/run",
        ] {
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    /// The instance numbers that have a log, ascending.
    public func instances(namespace: String, name: String, uid: String, container: String) -> [Int] {
        let dir = logs(namespace: namespace, name: name, uid: uid, container: container)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { $0.hasSuffix(".log") ? Int($0.dropLast(4)) : nil }.sorted()
    }

    /// Records the running instance of a container.
    func writeRecord(namespace: String, name: String, uid: String, container: String, pid: Int32, startTime: UInt64) {
        let path = record(namespace: namespace, name: name, uid: uid, container: container)
        try? "\(pid) \(startTime)\n".write(toFile: path, atomically: true, encoding: .utf8)
    }

    func removeRecord(namespace: String, name: String, uid: String, container: String) {
        try? FileManager.default.removeItem(atPath: record(namespace: namespace, name: name, uid: uid, container: container))
    }

    /// Removes a pod's directory (its logs and emptyDir volumes go with it, as when Kubernetes
    /// removes a pod). The mount links under `work/` are removed as links: a hostPath volume they
    /// point to keeps its content.
    public func remove(namespace: String, name: String, uid: String) {
        try? FileManager.default.removeItem(atPath: pod(namespace: namespace, name: name, uid: uid))
    }

    /// The pod directories present, as (namespace, name, uid).
    public func all() -> [(namespace: String, name: String, uid: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.compactMap { entry in
            // Namespaces and names are DNS labels/subdomains (no "_"); the uid is the last part.
            let parts = entry.split(separator: "_", maxSplits: 2).map(String.init)
            return parts.count == 3 ? (parts[0], parts[1], parts[2]) : nil
        }
    }

    /// Kills the process groups recorded by a previous run of the daemon that are still alive
    /// (the same pid with the same start time, so a reused pid is never hit) and drops the
    /// records. Returns the pids killed.
    @discardableResult
    public func stopLeftovers() -> [Int32] {
        var killed: [Int32] = []
        for pod in all() {
            let run = self.pod(namespace: pod.namespace, name: pod.name, uid: pod.uid) + "/run"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []
            for file in files where file.hasSuffix(".pid") {
                let path = run + "/" + file
                defer { try? FileManager.default.removeItem(atPath: path) }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                let fields = text.split(whereSeparator: \.isWhitespace)
                guard fields.count == 2, let pid = Int32(fields[0]), let start = UInt64(fields[1]), pid > 1 else {
                    continue
                }
                // The leader alive with the recorded start time, or gone with members of its group
                // left (Linux does not reuse a pid while a group of that id exists).
                let leaderStart = ProcSampler.startTime(pid: pid)
                if leaderStart == start || (leaderStart == nil && ProcSampler.groupExists(pid)) {
                    kill(-pid, SIGKILL)
                    killed.append(pid)
                }
            }
        }
        return killed
    }
}
