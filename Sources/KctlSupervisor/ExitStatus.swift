import Glibc

/// How a process ended, as container runtimes report it.
public enum ExitStatus: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    /// The code a shell would show: `128 + signal` when killed, as the kubelet reports it.
    public var exitCode: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    /// "SIGKILL", ... when killed by a signal; nil for a normal exit.
    public var signalName: String? {
        guard case .signaled(let signal) = self else { return nil }
        return Self.name(ofSignal: signal)
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit code \(code)"
        case .signaled(let signal): "killed by \(Self.name(ofSignal: signal) ?? "signal \(signal)")"
        }
    }

    /// The Linux name of a signal number ("SIGTERM", "SIGRTMIN+3"), nil when it has none.
    public static func name(ofSignal signal: Int32) -> String? {
        if signal >= 1, signal < names.count { return names[Int(signal)] }
        let rtmin = __libc_current_sigrtmin()
        let rtmax = __libc_current_sigrtmax()
        if signal == rtmin { return "SIGRTMIN" }
        if signal > rtmin, signal <= rtmax { return "SIGRTMIN+\(signal - rtmin)" }
        return nil
    }

    private static let names = [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
        "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
        "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
    ]
}
