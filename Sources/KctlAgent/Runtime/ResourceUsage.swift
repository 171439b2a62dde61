import Foundation
import KctlModel
import KctlSupervisor

/// The latest CPU and memory figures of every pod the runtime runs, from /proc: what
/// `kctl top` and the metrics API show, and what the HPA's Resource metrics read.
public final class ResourceUsageBook: Sendable {
    /// One container's usage: CPU as cores (a rate over the sampling window), memory as RSS.
    public struct Container: Sendable, Hashable {
        public var name: String
        public var cpuCores: Double
        public var memoryBytes: UInt64
    }

    /// One pod's usage at `timestamp`, over `window`.
    public struct PodUsage: Sendable, Hashable {
        public var namespace: String
        public var name: String
        public var uid: String
        public var node: String
        public var timestamp: Date
        public var window: Duration
        public var containers: [Container]
    }

    private struct State {
        var pods: [String: PodUsage] = [:]  // by uid
        /// The previous CPU reading of each container, by "uid/container": (cpu seconds, when).
        var previous: [String: (cpu: Double, at: ContinuousClock.Instant)] = [:]
    }

    private let state = Locked(State())

    public init() {}

    /// Every pod's latest usage.
    public var pods: [PodUsage] { state.withLock { Array($0.pods.values) } }

    func remove(uid: String) {
        state.withLock { state in
            state.pods[uid] = nil
            state.previous = state.previous.filter { !$0.key.hasPrefix(uid + "/") }
        }
    }

    /// Records one reading: CPU as the rate since the container's previous reading (the first
    /// reading of a container gives no CPU figure yet, as metrics-server needs two points).
    func record(
        uid: String, namespace: String, name: String, node: String,
        readings: [(container: String, sample: ResourceSample)], at instant: ContinuousClock.Instant, date: Date
    ) {
        state.withLock { state in
            var containers: [Container] = []
            var window = Duration.zero
            for (container, sample) in readings {
                let key = "\(uid)/\(container)"
                var cores = 0.0
                if let previous = state.previous[key], instant > previous.at {
                    let elapsed = instant - previous.at
                    window = max(window, elapsed)
                    cores = max(0, sample.cpuSeconds - previous.cpu) / elapsed.seconds
                }
                state.previous[key] = (sample.cpuSeconds, instant)
                containers.append(Container(name: container, cpuCores: cores, memoryBytes: sample.memoryBytes))
            }
            guard window > .zero else { return }
            state.pods[uid] = PodUsage(
                namespace: namespace, name: name, uid: uid, node: node, timestamp: date, window: window,
                containers: containers)
        }
    }

    /// Drops pods that are no longer running anywhere.
    func retain(uids: Set<String>) {
        state.withLock { state in
            state.pods = state.pods.filter { uids.contains($0.key) }
            state.previous = state.previous.filter { uids.contains(String($0.key.prefix { $0 != "/" })) }
        }
    }
}

extension PodRuntime {
    /// Samples every running container from /proc every `options.sampleInterval` (and rotates
    /// oversized logs on the same beat) until cancelled.
    public func runHousekeeping() async {
        while !Task.isCancelled {
            await sampleOnce()
            rotateLogs()
            do { try await Task.sleep(for: options.sampleInterval) } catch { return }
        }
    }

    /// One /proc pass over every process group the runtime runs.
    public func sampleOnce() async {
        var groups: [(uid: String, namespace: String, name: String, node: String, containers: [(String, Int32)])] = []
        for (node, worker) in allWorkers() {
            let running = await worker.processGroups()
            groups.append((worker.uid, worker.namespace, worker.name, node, running.map { ($0.container, $0.pgid) }))
        }
        let samples = ProcSampler.sample(processGroups: Set(groups.flatMap { $0.containers.map(\.1) }))
        let now = ContinuousClock.now
        let date = Date()
        for pod in groups {
            let readings = pod.containers.compactMap { container, pgid in
                samples[pgid].map { (container: container, sample: $0) }
            }
            usage.record(
                uid: pod.uid, namespace: pod.namespace, name: pod.name, node: pod.node, readings: readings, at: now,
                date: date)
        }
        usage.retain(uids: Set(groups.map(\.uid)))
    }

    private func rotateLogs() {
        for path in liveLogs.withLock({ Array($0) }) {
            LogFiles.rotateIfNeeded(path: path, maxBytes: options.logMaxBytes, keep: max(options.logMaxFiles - 1, 1))
        }
    }
}
