import Foundation

/// Settings of the process runtime the node agents share (kctld's `--backoff-base`,
/// `--backoff-cap`, ...).
public struct RuntimeOptions: Sendable, Hashable {
    /// Where pod directories (working directory, logs, process records) live: `<dataDir>/pods`.
    public var podsDirectory: String
    /// Crash-loop back-off: the first restart is at once, then `backOffBase`, doubling up to
    /// `backOffCap` (Kubernetes: 10 s and 5 min), reset after `backOffReset` of clean running.
    public var backOffBase: Duration
    public var backOffCap: Duration
    public var backOffReset: Duration
    /// A container's log file is rotated (copy-truncate) when larger than this; one rotated
    /// file is kept (Kubernetes' `containerLogMaxSize` 10 Mi, `containerLogMaxFiles` 5).
    public var logMaxBytes: Int
    public var logMaxFiles: Int
    /// How often CPU and memory are sampled from /proc (metrics-server's resolution: 15 s).
    public var sampleInterval: Duration
    /// Directories put in front of every container's PATH (kctld's own directory, so that
    /// `kctl-demo` built beside it is found).
    public var extraPath: [String]
    /// Where a relative `hostPath` volume path is resolved (a kctl extension, so demos share
    /// state without touching the host outside the data dir): `<dataDir>/hostpath`, the sibling
    /// of `podsDirectory` unless given.
    public var hostPathDirectory: String
    /// How often configMap and secret volumes are compared with their objects and rewritten when
    /// those changed (the kubelet's sync period is about a minute).
    public var volumeRefreshInterval: Duration
    /// Makes kctld the reaper of orphaned grandchildren (`PR_SET_CHILD_SUBREAPER`): on in the
    /// daemon, off in tests that share a process with other children.
    public var becomeSubreaper: Bool

    public init(
        podsDirectory: String,
        backOffBase: Duration = .seconds(10),
        backOffCap: Duration = .seconds(300),
        backOffReset: Duration? = nil,
        logMaxBytes: Int = 10 * 1024 * 1024,
        logMaxFiles: Int = 2,
        sampleInterval: Duration = .seconds(10),
        extraPath: [String] = RuntimeOptions.executableDirectory.map { [$0] } ?? [],
        becomeSubreaper: Bool = false,
        hostPathDirectory: String? = nil,
        volumeRefreshInterval: Duration = .seconds(10)
    ) {
        self.podsDirectory = podsDirectory
        self.backOffBase = backOffBase
        self.backOffCap = backOffCap
        self.backOffReset = backOffReset ?? max(backOffCap * 2, .seconds(1))
        self.logMaxBytes = logMaxBytes
        self.logMaxFiles = logMaxFiles
        self.sampleInterval = sampleInterval
        self.extraPath = extraPath
        self.becomeSubreaper = becomeSubreaper
        self.hostPathDirectory =
            hostPathDirectory ?? ((podsDirectory as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent("hostpath")
        self.volumeRefreshInterval = volumeRefreshInterval
    }

    /// The directory of the running executable (`/proc/self/exe`).
    public static var executableDirectory: String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return (path as NSString).deletingLastPathComponent
    }
}
