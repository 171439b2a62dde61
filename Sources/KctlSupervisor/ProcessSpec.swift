/// Where a child's stdout and stderr go. Files are opened by the supervisor with
/// `O_APPEND|O_CREAT` (mode 0644), so copy-truncate rotation (`LogFiles`) works under a running child.
public enum ProcessOutput: Sendable, Hashable {
    case discard
    /// stdout and stderr appended to one file.
    case file(String)
    case files(stdout: String, stderr: String)
    /// stdin, stdout and stderr are pipes; the caller takes their other ends from
    /// `SupervisedProcess.pipes` (`kubectl exec`). `standardInput` is then ignored.
    case pipes
    /// stdin, stdout and stderr are one new pseudo-terminal, the child's controlling terminal in
    /// a session of its own (`kubectl exec -t`); the caller takes its master from
    /// `SupervisedProcess.pipes` (stderr then carries nothing).
    case terminal
}

/// One process to start. The child gets exactly `environment` (nothing is inherited from the
/// daemon), `/dev/null` as stdin (or `standardInput`), its own process group, and default signal dispositions.
public struct ProcessSpec: Sendable, Hashable {
    /// A path (a relative one resolves against `workingDirectory`), or a bare name searched in
    /// `environment["PATH"]`, else the daemon's PATH.
    public var executable: String
    /// argv[1...]; argv[0] is `executable` as given.
    public var arguments: [String]
    public var environment: [String: String]
    /// nil: the daemon's working directory.
    public var workingDirectory: String?
    public var output: ProcessOutput
    /// Kill the child (PR_SET_PDEATHSIG) when the supervisor's thread, hence the daemon, dies, so
    /// that a crashed daemon leaves no orphan behind.
    public var dieWithSupervisor: Bool
    /// A file read as stdin; nil: `/dev/null`.
    public var standardInput: String?

    public init(
        executable: String, arguments: [String] = [], environment: [String: String] = [:],
        workingDirectory: String? = nil, output: ProcessOutput = .discard, dieWithSupervisor: Bool = true,
        standardInput: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.output = output
        self.dieWithSupervisor = dieWithSupervisor
        self.standardInput = standardInput
    }
}
