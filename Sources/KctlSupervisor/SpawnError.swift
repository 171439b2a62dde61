import Glibc

/// Why a process could not be started, reported synchronously by `spawn` (the child tells the
/// parent through a close-on-exec pipe before it would have exec'd). Messages read like the
/// container runtimes' ones, which users already know.
public struct SpawnError: Error, CustomStringConvertible, Sendable, Hashable {
    public enum Reason: Sendable, Hashable {
        case notFound, permissionDenied, workingDirectory, other
    }

    public var reason: Reason
    public var errno: Int32
    /// For example `exec: "nosuch": executable file not found in $PATH` or
    /// `chdir "/x": no such file or directory`.
    public var description: String

    public init(reason: Reason, errno: Int32, description: String) {
        self.reason = reason
        self.errno = errno
        self.description = description
    }

    static let shutDown = SpawnError(reason: .other, errno: ECANCELED, description: "spawn: the process supervisor is shut down")
}

/// strerror in the lower case of Go's messages ("no such file or directory").
func errorText(_ code: Int32) -> String {
    var text = String(cString: strerror(code))
    if let first = text.first {
        text = first.lowercased() + text.dropFirst()
    }
    return text
}
