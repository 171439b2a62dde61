import Foundation
import KctlModel
import KctlStore
import Logging

/// `Normal` or `Warning`, as v1 Events type them.
public enum EventType: String, Sendable, Hashable {
    case normal = "Normal"
    case warning = "Warning"
}

/// Records what a component decided as v1 Events in the store, and logs the same line:
///
///     Deployment default/messages ScalingReplicaSet: Scaled up replica set messages-7d9f from 0 to 2
///
/// Repeats aggregate as Kubernetes' event correlator does: the same object, type, reason and
/// message from the same component update one Event (`count` + 1, new `lastTimestamp`) instead of
/// creating another. Names are `<object-name>.<hex>`. Recording never throws: a failed write is
/// logged and dropped (an event is a report, not state anything depends on).
///
/// Events are written in batches: every event recorded while a batch is being written goes into
/// the next one (one store commit for all), and repeats that meet in the queue are aggregated
/// before they are written. `post` hands an event over and returns at once, so a busy controller
/// never waits for its reports (they may lag; a full queue drops new ones, with a warning);
/// `record`, `normal` and `warning` return once their event is stored.
public final class EventRecorder: Sendable {
    private struct AggregationKey: Hashable {
        var object: String
        var type: EventType
        var reason: String
        var message: String
    }

    /// An event waiting to be written (and the repeats it absorbed meanwhile).
    private struct Pending {
        var key: AggregationKey
        var namespace: String
        var objectName: String
        var involvedObject: JSONValue
        var count: Int
        var first: String
        var last: String
        /// Order of arrival: batches are written in this order.
        var sequence: UInt64
    }

    private struct State {
        /// Event names by what they report, so repeats find their Event.
        var names: [AggregationKey: (namespace: String, name: String)] = [:]
        /// Keys of `names`, oldest first, from `orderStart` on: forgetting the oldest moves the
        /// start instead of shifting every later key (the array is compacted now and then).
        var order: [AggregationKey] = []
        var orderStart = 0
        var lastSuffix: UInt64 = 0
        /// Waiting to be written, oldest first; `queued` finds an entry by key.
        var queue: [Pending] = []
        var queued: [AggregationKey: Int] = [:]
        /// A task is writing the queue.
        var writing = false
        var nextSequence: UInt64 = 1
        /// Every event up to this one is written (or failed and logged).
        var written: UInt64 = 0
        /// `record` callers waiting for their event, by its sequence number.
        var waiters: [(sequence: UInt64, continuation: CheckedContinuation<Void, Never>)] = []
        /// Waiting for the queue to be empty and written.
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var dropped = 0
    }

    public let component: String
    private let store: any Store
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let cacheLimit: Int
    private let queueLimit: Int
    private let state = Locked(State())

    /// Most events one store batch writes.
    static let batchLimit = 256

    /// - Parameters:
    ///   - component: `source.component` and `reportingComponent` (`deployment-controller`, `default-scheduler`).
    ///   - now: the wall clock for timestamps (tests pass `ManualClock.date`).
    ///   - cacheLimit: how many distinct events are remembered for aggregation.
    ///   - queueLimit: distinct events `post` lets wait for the store; more are dropped.
    public init(
        store: any Store, component: String, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        cacheLimit: Int = 4096, queueLimit: Int = 10_000
    ) {
        self.store = store
        self.component = component
        self.logger = logger
        self.now = now
        self.cacheLimit = max(1, cacheLimit)
        self.queueLimit = max(1, queueLimit)
    }

    /// Records a Normal event about `object`; returns once it is stored.
    public func normal(_ object: KubeObject, reason: String, message: String) async {
        await record(object, type: .normal, reason: reason, message: message)
    }

    /// Records a Warning event about `object`; returns once it is stored.
    public func warning(_ object: KubeObject, reason: String, message: String) async {
        await record(object, type: .warning, reason: reason, message: message)
    }

    /// Records an event about `object` (which needs at least kind and name; a uid when stored)
    /// and returns once it is stored (or its write failed and was logged).
    public func record(_ object: KubeObject, type: EventType, reason: String, message: String) async {
        switch enqueue(object, type: type, reason: reason, message: message, bounded: false) {
        case .startWriter(let sequence):
            // Nobody is writing: write it here, with no hand-off to another task.
            await writeQueue(until: sequence)
        case .queued(let sequence):
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { s -> Bool in
                    if s.written >= sequence { return true }
                    s.waiters.append((sequence, continuation))
                    return false
                }
                if done { continuation.resume() }
            }
        case .dropped:
            break
        }
    }

    /// Records an event about `object` without waiting for the store: it is logged now and
    /// written with the next batch.
    public func post(_ object: KubeObject, type: EventType, reason: String, message: String) {
        if case .startWriter = enqueue(object, type: type, reason: reason, message: message, bounded: true) {
            startWriter()
        }
    }

    /// Returns once every event handed over before the call is written (or dropped).
    public func flush() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if !s.writing && s.queue.isEmpty { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// `involvedObject` for an object.
    public static func reference(to object: KubeObject) -> JSONValue {
        var reference: [String: JSONValue] = [
            "kind": .string(object.kind), "name": .string(object.name), "apiVersion": .string(object.apiVersion),
        ]
        if let namespace = object.namespace, !namespace.isEmpty { reference["namespace"] = .string(namespace) }
        if let uid = object.uid { reference["uid"] = .string(uid) }
        if let version = object.resourceVersion { reference["resourceVersion"] = .string(version) }
        return .object(reference)
    }

    // MARK: Queue

    private enum Enqueued {
        /// Queued behind a running writer, with this sequence number.
        case queued(UInt64)
        /// Queued, and no writer runs: the caller must start one.
        case startWriter(UInt64)
        /// The queue is full; the event is dropped.
        case dropped
    }

    /// Logs the event and queues it, or adds it to the same event already queued. `bounded`
    /// events are dropped when `queueLimit` events are already waiting.
    private func enqueue(_ object: KubeObject, type: EventType, reason: String, message: String, bounded: Bool)
        -> Enqueued
    {
        let subject = object.namespace.map { "\($0)/\(object.name)" } ?? object.name
        logger.log(level: type == .warning ? .warning : .info, "\(object.kind) \(subject) \(reason): \(message)")
        let namespace = (object.namespace ?? "").isEmpty ? "default" : object.namespace!
        let key = AggregationKey(
            object: "\(object.kind)/\(namespace)/\(object.name)/\(object.uid ?? "")", type: type, reason: reason,
            message: message)
        let timestamp = Timestamp.format(now())
        var dropped = 0
        let outcome = state.withLock { s -> Enqueued in
            let sequence: UInt64
            if let index = s.queued[key] {
                s.queue[index].count += 1
                s.queue[index].last = timestamp
                sequence = s.queue[index].sequence
            } else {
                if bounded && s.queue.count >= queueLimit {
                    s.dropped += 1
                    dropped = s.dropped
                    return .dropped
                }
                sequence = s.nextSequence
                s.nextSequence += 1
                s.queued[key] = s.queue.count
                s.queue.append(
                    Pending(
                        key: key, namespace: namespace, objectName: object.name,
                        involvedObject: Self.reference(to: object), count: 1, first: timestamp, last: timestamp,
                        sequence: sequence))
            }
            if s.writing { return .queued(sequence) }
            s.writing = true
            return .startWriter(sequence)
        }
        if dropped == 1 || (dropped > 0 && dropped % 1000 == 0) {
            logger.warning(
                "event queue full (\(queueLimit)): dropped \(dropped) event(s) so far, the latest \(reason) for \(object.kind) \(subject)")
        }
        return outcome
    }

    /// Writes the queue in a task of its own. Not structured: a recorder is a plain object any
    /// component calls, with no run loop of its own; the task ends when the queue is empty.
    private func startWriter() {
        Task { await self.writeQueue(until: nil) }
    }

    /// Writes the queue batch by batch (the caller has set `writing`) until it is empty, or, with
    /// `until`, until that event is written; then leaves the rest to a writer task.
    private func writeQueue(until target: UInt64?) async {
        while true {
            let batch = state.withLock { s -> [Pending] in
                let count = min(Self.batchLimit, s.queue.count)
                let batch = Array(s.queue.prefix(count))
                s.queue.removeFirst(count)
                s.queued.removeAll(keepingCapacity: true)
                for (index, pending) in s.queue.enumerated() { s.queued[pending.key] = index }
                return batch
            }
            if !batch.isEmpty { await write(batch) }
            enum Next { case again, handOver, stop }
            var resume: [CheckedContinuation<Void, Never>] = []
            let next = state.withLock { s -> Next in
                if let last = batch.last?.sequence { s.written = max(s.written, last) }
                let written = s.written
                resume = s.waiters.filter { $0.sequence <= written }.map(\.continuation)
                s.waiters.removeAll { $0.sequence <= written }
                if s.queue.isEmpty {
                    s.writing = false
                    resume += s.idleWaiters
                    s.idleWaiters = []
                    return .stop
                }
                if let target, written >= target { return .handOver }
                return .again
            }
            for continuation in resume { continuation.resume() }
            switch next {
            case .again: continue
            case .handOver: startWriter()
            case .stop: break
            }
            return
        }
    }

    /// Writes one batch: repeats of a known Event update it, the rest are created. A repeat whose
    /// Event is gone is created anew, and a name already taken is tried again with another.
    private func write(_ batch: [Pending]) async {
        var creates: [Pending] = []
        var updates: [(Pending, namespace: String, name: String)] = []
        let known = state.withLock { s in batch.map { s.names[$0.key] } }
        for (pending, existing) in zip(batch, known) {
            if let existing { updates.append((pending, existing.namespace, existing.name)) } else { creates.append(pending) }
        }
        var writes: [StoreWrite] = updates.map { pending, namespace, name in
            let added = pending.count
            let last = pending.last
            return .mutate(.event, namespace: namespace, name: name, subresource: .main) { event in
                let count = event.json["count"]?.intValue ?? 1
                event.json["count"] = .int(count + Int64(added))
                event.json["lastTimestamp"] = .string(last)
            }
        }
        let named = creates.map { ($0, newName(for: $0)) }
        writes += named.map { .create(event(for: $0.0, name: $0.1), as: .event) }
        let results = await store.write(writes)
        var again: [Pending] = []
        for ((pending, _, _), result) in zip(updates, results.prefix(updates.count)) {
            switch result {
            case .failed(let error as StatusError) where error.reason == .notFound:
                // Expired or deleted: start a new Event.
                state.withLock { $0.names[pending.key] = nil }
                again.append(pending)
            case .failed(let error):
                logFailure(pending, error)
            default:
                break
            }
        }
        again += settle(named, results.dropFirst(updates.count))
        // Names are unique per recorder, so a second try is rare and a third rarer still.
        for _ in 0..<2 where !again.isEmpty {
            let retry = again.map { ($0, newName(for: $0)) }
            again = settle(retry, await store.write(retry.map { .create(event(for: $0.0, name: $0.1), as: .event) })[...])
        }
    }

    private func newName(for pending: Pending) -> String { "\(pending.objectName).\(nextSuffix())" }

    /// Remembers each Event created under its name; returns those whose name was taken (to try
    /// again under another), after logging any other failure.
    private func settle(_ creates: [(Pending, String)], _ results: ArraySlice<StoreWriteResult>) -> [Pending] {
        var taken: [Pending] = []
        for ((pending, name), result) in zip(creates, results) {
            switch result {
            case .failed(let error as StatusError) where error.reason == .alreadyExists:
                taken.append(pending)
            case .failed(let error):
                logFailure(pending, error)
            default:
                remember(pending.key, namespace: pending.namespace, name: name)
            }
        }
        return taken
    }

    private func event(for pending: Pending, name: String) -> KubeObject {
        var event = KubeObject([
            "apiVersion": "v1", "kind": "Event",
            "involvedObject": pending.involvedObject,
            "reason": .string(pending.key.reason), "message": .string(pending.key.message),
            "type": .string(pending.key.type.rawValue),
            "count": .int(Int64(pending.count)), "firstTimestamp": .string(pending.first),
            "lastTimestamp": .string(pending.last),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "reportingInstance": .string(component),
        ])
        event.namespace = pending.namespace
        event.name = name
        return event
    }

    private func logFailure(_ pending: Pending, _ error: any Error) {
        logger.warning("could not record event \(pending.key.reason) for \(pending.key.object): \(error)")
    }

    /// A hex suffix from the wall clock in nanoseconds (as Kubernetes names events), kept increasing.
    private func nextSuffix() -> String {
        let nanos = UInt64(max(0, now().timeIntervalSince1970 * 1e9))
        let value = state.withLock { s -> UInt64 in
            s.lastSuffix = max(nanos, s.lastSuffix + 1)
            return s.lastSuffix
        }
        return String(value, radix: 16)
    }

    private func remember(_ key: AggregationKey, namespace: String, name: String) {
        state.withLock { s in
            if s.names.updateValue((namespace, name), forKey: key) == nil { s.order.append(key) }
            while s.order.count - s.orderStart > cacheLimit {
                s.names[s.order[s.orderStart]] = nil
                s.orderStart += 1
            }
            if s.orderStart > cacheLimit {
                s.order.removeFirst(s.orderStart)
                s.orderStart = 0
            }
        }
    }
}
