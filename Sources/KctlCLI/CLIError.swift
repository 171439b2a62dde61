import KctlModel

/// A local failure, printed as `error: <message>` with exit code 1.
struct CLIError: Error, CustomStringConvertible, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }

    static func unknownType(_ name: String) -> CLIError {
        CLIError("the server doesn't have a resource type \"\(name)\"")
    }
}

/// Thrown after a command already printed its errors (apply's per-document failures, several
/// missing names in `get`): exit 1 with nothing more to print.
struct AlreadyReported: Error {}

/// How failures look to the user, one line each, never a stack trace.
enum ErrorReport {
    /// `Error from server (NotFound): ...` for API errors (plus `  * field: message` per Invalid
    /// cause), `error: ...` for local ones and for an unreachable server.
    static func lines(for error: any Error) -> [String] {
        switch error {
        case let status as StatusError:
            if status.isUnreachable { return ["error: \(status.message)"] }
            let head = status.reason == .unknown
                ? "Error from server: \(status.message)"
                : "Error from server (\(status.reason.rawValue)): \(status.message)"
            return [head] + causeLines(status)
        case let local as CLIError:
            return ["error: \(local.message)"]
        case let parse as JSONParseError:
            return ["error: \(parse.description)"]
        default:
            return ["error: \(error)"]
        }
    }

    /// `  * spec.replicas: Invalid value: -1: must be ...`, one per cause of an Invalid error.
    static func causeLines(_ status: StatusError) -> [String] {
        status.causes.map { cause in
            cause.field.isEmpty ? "  * \(cause.message)" : "  * \(cause.field): \(cause.message)"
        }
    }
}
