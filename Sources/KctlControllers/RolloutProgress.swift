import Foundation

/// The `Progressing` condition of a Deployment as Kubernetes' `syncRolloutStatus` keeps it, as a
/// pure function of the last and the new status counts and the clock: complete, progressing (which
/// moves `lastUpdateTime`, restarting the deadline), or stuck past `progressDeadlineSeconds`.
/// A timed-out rollout is not given up: the next progress makes it `True` again.
public enum RolloutProgress {
    public static let newReplicaSetAvailable = "NewReplicaSetAvailable"
    public static let replicaSetUpdated = "ReplicaSetUpdated"
    public static let deadlineExceeded = "ProgressDeadlineExceeded"
    public static let paused = "DeploymentPaused"
    public static let resumed = "DeploymentResumed"

    /// Status counts of a Deployment.
    public struct Counts: Sendable, Hashable {
        public var replicas: Int
        public var updated: Int
        public var ready: Int
        public var available: Int

        public init(replicas: Int, updated: Int, ready: Int, available: Int) {
            self.replicas = replicas
            self.updated = updated
            self.ready = ready
            self.available = available
        }
    }

    /// The `Progressing` condition as it stands.
    public struct Condition: Sendable, Hashable {
        public var status: String
        public var reason: String
        public var lastUpdate: Date?

        public init(status: String, reason: String, lastUpdate: Date?) {
            self.status = status
            self.reason = reason
            self.lastUpdate = lastUpdate
        }
    }

    /// What to write: a condition, and whether its `lastUpdateTime` must move even when nothing
    /// else about it changes (progress does that).
    public struct Update: Sendable, Hashable {
        public var status: String
        public var reason: String
        public var message: String
        public var touch: Bool
    }

    /// - Parameters:
    ///   - name: the Deployment, for messages when there is no new ReplicaSet.
    ///   - newReplicaSet: the new ReplicaSet's name.
    ///   - condition: `Progressing` after this reconcile's own changes (created, found).
    ///   - scaledNew: this reconcile scaled the new ReplicaSet.
    ///   - deadline: `progressDeadlineSeconds`.
    public static func evaluate(
        name: String, newReplicaSet: String?, desired: Int, previous: Counts, current: Counts,
        condition: Condition?, scaledNew: Bool = false, deadline: Int, now: Date
    ) -> Update? {
        let subject = newReplicaSet.map { "ReplicaSet \"\($0)\"" } ?? "Deployment \"\(name)\""
        if current.replicas == current.updated, condition?.reason == newReplicaSetAvailable { return nil }
        if current.updated == desired && current.replicas == desired && current.available == desired {
            return Update(
                status: "True", reason: newReplicaSetAvailable, message: "\(subject) has successfully progressed.",
                touch: false)
        }
        let progressed = scaledNew || current.updated > previous.updated
            || current.replicas - current.updated < previous.replicas - previous.updated
            || current.ready > previous.ready || current.available > previous.available
        if progressed {
            return Update(status: "True", reason: replicaSetUpdated, message: "\(subject) is progressing.", touch: true)
        }
        if let condition, timedOut(condition, deadline: deadline, now: now) {
            return Update(
                status: "False", reason: deadlineExceeded, message: "\(subject) has timed out progressing.",
                touch: false)
        }
        return nil
    }

    /// Past the deadline since the condition last moved (an already timed-out condition stays so).
    static func timedOut(_ condition: Condition, deadline: Int, now: Date) -> Bool {
        if condition.reason == newReplicaSetAvailable { return false }
        if condition.reason == deadlineExceeded { return true }
        guard let from = condition.lastUpdate else { return false }
        return from.addingTimeInterval(TimeInterval(deadline)) < now
    }

    /// When to look again for a rollout that may time out: just after its deadline passes.
    public static func recheckAfter(_ condition: Condition?, deadline: Int, now: Date) -> TimeInterval? {
        guard let condition, condition.reason != newReplicaSetAvailable, condition.reason != deadlineExceeded,
            condition.reason != paused, let from = condition.lastUpdate
        else { return nil }
        return max(0, from.addingTimeInterval(TimeInterval(deadline)).timeIntervalSince(now)) + 1
    }
}
