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
public final class EventRecorder: Sendable {
    private struct AggregationKey: Hashable {
        var object: String
        var type: EventType
        var reason: String
        var message: String
    }

    private struct State {
        /// Event names by what they report, so repeats find their Event.
        var names: [AggregationKey: (namespace: String, name: String)] = [:]
        var order: [AggregationKey] = []
        var lastSuffix: UInt64 = 0
    }

    public let component: String
    private let store: any Store
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let cacheLimit: Int
    private let state = Locked(State())

    /// - Parameters:
    ///   - component: `source.component` and `reportingComponent` (`deployment-controller`, `default-scheduler`).
    ///   - now: the wall clock for timestamps (tests pass `ManualClock.date`).
    ///   - cacheLimit: how many distinct events are remembered for aggregation.
    public init(
        store: any Store, component: String, logger: Logger, now: @escaping @Sendable () -> Date = { Date() },
        cacheLimit: Int = 4096
    ) {
        self.store = store
        self.component = component
        self.logger = logger
        self.now = now
        self.cacheLimit = max(1, cacheLimit)
    }

    /// Records a Normal event about `object`.
    public func normal(_ object: KubeObject, reason: String, message: String) async {
        await record(object, type: .normal, reason: reason, message: message)
    }

    /// Records a Warning event about `object`.
    public func warning(_ object: KubeObject, reason: String, message: String) async {
        await record(object, type: .warning, reason: reason, message: message)
    }

    /// Records an event about `object` (which needs at least kind and name; a uid when stored).
    public func record(_ object: KubeObject, type: EventType, reason: String, message: String) async {
        let subject = object.namespace.map { "\($0)/\(object.name)" } ?? object.name
        logger.log(level: type == .warning ? .warning : .info, "\(object.kind) \(subject) \(reason): \(message)")

        let namespace = (object.namespace ?? "").isEmpty ? "default" : object.namespace!
        let key = AggregationKey(
            object: "\(object.kind)/\(namespace)/\(object.name)/\(object.uid ?? "")", type: type, reason: reason,
            message: message)
        let timestamp = Timestamp.format(now())
        let existing = state.withLock { $0.names[key] }
        if let existing {
            do {
                _ = try await store.update(.event, namespace: existing.namespace, name: existing.name, subresource: .main) {
                    event in
                    let count = event.json["count"]?.intValue ?? 1
                    event.json["count"] = .int(count + 1)
                    event.json["lastTimestamp"] = .string(timestamp)
                }
                return
            } catch let error as StatusError where error.reason == .notFound {
                // Expired or deleted: start a new Event below.
            } catch {
                logger.warning("could not record event \(reason) for \(object.kind) \(subject): \(error)")
                return
            }
        }
        var event = KubeObject([
            "apiVersion": "v1", "kind": "Event",
            "involvedObject": Self.reference(to: object),
            "reason": .string(reason), "message": .string(message), "type": .string(type.rawValue),
            "count": 1, "firstTimestamp": .string(timestamp), "lastTimestamp": .string(timestamp),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "reportingInstance": .string(component),
        ])
        event.namespace = namespace
        for _ in 0..<3 {
            event.name = "\(object.name).\(nextSuffix())"
            do {
                _ = try await store.create(event, as: .event)
                remember(key, namespace: namespace, name: event.name)
                return
            } catch let error as StatusError where error.reason == .alreadyExists {
                continue
            } catch {
                logger.warning("could not record event \(reason) for \(object.kind) \(subject): \(error)")
                return
            }
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
            if s.order.count > cacheLimit {
                let drop = s.order.count - cacheLimit
                for old in s.order.prefix(drop) { s.names[old] = nil }
                s.order.removeFirst(drop)
            }
        }
    }
}
