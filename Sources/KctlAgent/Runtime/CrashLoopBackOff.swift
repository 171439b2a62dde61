import KctlModel

/// How a container's restarts back off: delays doubling from `initial` up to `max`, forgotten once
/// the container has run for `resetAfter`. Kubernetes' kubelet fixes these per node (10 s, 5 min,
/// 10 min); kctl takes the first two from kctld's settings and lets a pod override all three with
/// the annotation `kctl.dev/restart-backoff`.
public struct BackOffPolicy: Sendable, Hashable, CustomStringConvertible {
    public var initial: Duration
    public var max: Duration
    public var resetAfter: Duration

    /// The pod annotation that overrides the node's policy, e.g. `initial=1s,max=30s,reset=2m`.
    public static let annotation = "kctl.dev/restart-backoff"

    /// The kubelet's values.
    public static let kubernetes = BackOffPolicy()

    /// A policy; `resetAfter` defaults to twice `max`, the kubelet's rule.
    public init(initial: Duration = .seconds(10), max: Duration = .seconds(300), resetAfter: Duration? = nil) {
        self.initial = initial
        self.max = max
        self.resetAfter = resetAfter ?? max * 2
    }

    /// The keys an annotation sets; the others keep the node's values.
    public struct Override: Sendable, Hashable {
        public var initial: Duration?
        public var max: Duration?
        public var resetAfter: Duration?

        public init(initial: Duration? = nil, max: Duration? = nil, resetAfter: Duration? = nil) {
            self.initial = initial
            self.max = max
            self.resetAfter = resetAfter
        }
    }

    /// Why an annotation was not used.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Reads `initial=1s,max=30s,reset=2m` (any subset, any order, spaces allowed around the parts).
    public static func parse(annotation: String) -> Result<Override, ParseError> {
        var override = Override()
        var seen = Set<String>()
        for part in annotation.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = trimmed(pair[0])
            guard pair.count == 2, !key.isEmpty else {
                return .failure(ParseError("\"\(trimmed(part))\" is not key=duration"))
            }
            guard ["initial", "max", "reset"].contains(key) else {
                return .failure(ParseError("unknown key \"\(key)\" (known: initial, max, reset)"))
            }
            guard seen.insert(key).inserted else { return .failure(ParseError("\(key) is given twice")) }
            let text = trimmed(pair[1])
            guard let duration = GoDuration.parse(text) else {
                return .failure(ParseError("invalid duration \"\(text)\" for \(key) (write it like 500ms, 10s, 2m, 1h)"))
            }
            switch key {
            case "initial": override.initial = duration
            case "max": override.max = duration
            default: override.resetAfter = duration
            }
        }
        return .success(override)
    }

    /// This policy with `override` applied. Setting `max` without `reset` makes the reset twice the
    /// new `max`, so a short cap also forgets soon. Fails when the result makes no sense.
    public func applying(_ override: Override) -> Result<BackOffPolicy, ParseError> {
        let policy = BackOffPolicy(
            initial: override.initial ?? initial,
            max: override.max ?? max,
            resetAfter: override.resetAfter ?? (override.max.map { $0 * 2 } ?? resetAfter))
        if policy.initial <= .zero { return .failure(ParseError("initial must be positive")) }
        if policy.max < policy.initial {
            return .failure(
                ParseError(
                    "max (\(GoDuration.shortFormat(policy.max))) must not be less than initial (\(GoDuration.shortFormat(policy.initial)))"))
        }
        if policy.resetAfter <= .zero { return .failure(ParseError("reset must be positive")) }
        return .success(policy)
    }

    /// The policy for a pod with these annotations. A malformed annotation leaves this policy in
    /// force and returns the message for a Warning event.
    public func overridden(by annotations: [String: String]?) -> (BackOffPolicy, warning: String?) {
        guard let text = annotations?[Self.annotation], !Self.trimmed(Substring(text)).isEmpty else { return (self, nil) }
        switch Self.parse(annotation: text).flatMap({ applying($0) }) {
        case .success(let policy): return (policy, nil)
        case .failure(let error):
            return (self, "ignoring annotation \(Self.annotation)=\"\(text)\": \(error.message); using \(self)")
        }
    }

    public var description: String {
        "initial=\(GoDuration.shortFormat(initial)),max=\(GoDuration.shortFormat(max)),reset=\(GoDuration.shortFormat(resetAfter))"
    }

    private static func trimmed(_ text: Substring) -> String {
        String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// One container's restart back-off, as a pure value: the runner calls `delayAfterExit` when the
/// process exits and waits the answer (showing `CrashLoopBackOff` meanwhile) before starting it
/// again. Unlike the kubelet, whose first restart already waits the initial delay, the first
/// restart here is immediate: a one-off crash heals at once, and only a loop backs off.
public struct CrashLoopBackOff: Sendable, Hashable {
    public var policy: BackOffPolicy
    /// Restarts in the current series (since the container last ran for `resetAfter`). Not the
    /// container's `restartCount`, which never goes down.
    public private(set) var restarts: Int

    public init(policy: BackOffPolicy) {
        self.policy = policy
        self.restarts = 0
    }

    /// The container exited after running for `ranFor`: how long to wait before starting it again
    /// (0, initial, 2*initial, ... up to max). A run of `resetAfter` or longer starts a new series.
    public mutating func delayAfterExit(ranFor: Duration) -> Duration {
        if ranFor >= policy.resetAfter { restarts = 0 }
        let delay = nextDelay
        restarts += 1
        return delay
    }

    /// The delay the next exit would get, were the run short.
    public var nextDelay: Duration {
        guard restarts > 0 else { return .zero }
        var delay = policy.initial
        for _ in 1..<restarts {
            if delay >= policy.max { break }
            delay = delay * 2
        }
        return min(delay, policy.max)
    }

    /// Forgets the series (the pod's spec changed, or the container is replaced on purpose).
    public mutating func reset() { restarts = 0 }
}
