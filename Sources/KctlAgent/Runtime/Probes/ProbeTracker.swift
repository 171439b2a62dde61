import KctlModel

/// Which of a container's three probes; they differ in their initial result and in what a verdict
/// makes the runner do.
public enum ProbeKind: String, Sendable, Hashable, CaseIterable {
    case liveness, readiness, startup
}

/// The outcome of running a probe once, with Kubernetes' wording on failure (it ends up in the
/// `Unhealthy` event).
public enum ProbeOutcome: Sendable, Hashable {
    case success
    case failure(String)

    public var isSuccess: Bool { self == .success }
}

/// One probe of one container run, as Kubernetes' prober worker keeps it, minus the I/O: when the
/// probe is due and what the consecutive outcomes add up to. Create one per container start.
///
/// - readiness starts failed (not ready) and needs `successThreshold` successes in a row to pass;
/// - liveness starts passed and fails after `failureThreshold` failures in a row; the runner then
///   restarts the container;
/// - startup starts unknown (`result` false) and holds the other two back until it passes once, after
///   which it never runs again; `failureThreshold` failures restart the container, as liveness.
///
/// Liveness and startup ignore `successThreshold` (Kubernetes requires 1 there).
public struct ProbeTracker: Sendable {
    public let kind: ProbeKind
    /// When the first probe may run: the container's start plus `initialDelaySeconds`.
    public var firstDue: ContinuousClock.Instant
    /// Between two probes (`periodSeconds`, default 10, at least 1).
    public var period: Duration
    /// How long one probe may take (`timeoutSeconds`, default 1, at least 1).
    public var timeout: Duration
    public let successThreshold: Int
    public let failureThreshold: Int
    /// The thresholded result: ready, alive or started.
    public private(set) var result: Bool
    /// The message of the most recent failed probe.
    public var lastFailure: String?
    /// Set once the probe needs to run no more for this container: a startup probe passed, or a
    /// liveness or startup probe failed (the container is to be restarted).
    public private(set) var isFinished: Bool
    /// A liveness or startup probe failed past its threshold: restart the container.
    public var requiresRestart: Bool { isFinished && !result && kind != .readiness }

    private var lastOutcomeSucceeded: Bool?
    private var run = 0

    public init(kind: ProbeKind, probe: Probe, containerStarted: ContinuousClock.Instant) {
        self.kind = kind
        self.firstDue = containerStarted + .seconds(max(Int(probe.initialDelaySeconds ?? 0), 0))
        self.period = .seconds(Self.positive(probe.periodSeconds, default: 10))
        self.timeout = .seconds(Self.positive(probe.timeoutSeconds, default: 1))
        self.successThreshold = kind == .readiness ? Self.positive(probe.successThreshold, default: 1) : 1
        self.failureThreshold = Self.positive(probe.failureThreshold, default: 3)
        self.result = kind == .liveness
        self.isFinished = false
    }

    /// Records one probe's outcome; returns true when the runner has something to do: `result`
    /// changed, or a liveness or startup probe failed past its threshold (see `requiresRestart`).
    /// Outcomes after `isFinished` are ignored.
    public mutating func record(_ outcome: ProbeOutcome) -> Bool {
        guard !isFinished else { return false }
        let succeeded = outcome.isSuccess
        if case .failure(let message) = outcome { lastFailure = message }
        if lastOutcomeSucceeded == succeeded {
            run += 1
        } else {
            lastOutcomeSucceeded = succeeded
            run = 1
        }
        guard run >= (succeeded ? successThreshold : failureThreshold) else { return false }
        let changed = result != succeeded
        result = succeeded
        switch (kind, succeeded) {
        case (.startup, true):
            isFinished = true
            return changed
        case (.startup, false), (.liveness, false):
            isFinished = true
            return true
        default:
            return changed
        }
    }

    private static func positive(_ value: Int32?, default fallback: Int) -> Int {
        guard let value, value > 0 else { return fallback }
        return Int(value)
    }
}
