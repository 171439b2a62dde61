import Foundation

extension Process {
    /// Waits until the process has ended (at most `limit`), polling instead of blocking a thread
    /// of the cooperative pool in `waitUntilExit()`. Returns whether it ended.
    @discardableResult
    public func ended(within limit: Duration = .seconds(30)) async -> Bool {
        (try? await pollUntil(within: limit, every: .milliseconds(10)) { !isRunning }) == true
    }
}
