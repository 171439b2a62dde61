import KctlModel

/// What one maintenance pass did.
public struct MaintenanceReport: Sendable, Hashable {
    /// Every change at or below this revision is gone from the log.
    public var compactedRevision: Int64
    /// Whether the WAL was fully copied into the database and truncated.
    public var walTruncated: Bool
}

extension SQLiteStore {
    /// Compacts the change log, reclaims free pages and checkpoints the WAL every
    /// `options.maintenanceInterval`, until the task is cancelled. kctld runs it as a service.
    public func runMaintenance() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: options.maintenanceInterval) } catch { return }
            do {
                let report = try await maintain()
                logger.debug(
                    "store maintenance",
                    metadata: ["compacted": "\(report.compactedRevision)", "walTruncated": "\(report.walTruncated)"])
            } catch {
                logger.warning("store maintenance failed: \(error)")
            }
        }
    }

    /// One maintenance pass: compacts as far as `keepRevisions` and `retention` allow, returns
    /// free pages to the file system, and checkpoints the WAL (truncating it unless a reader
    /// holds an old snapshot for more than a moment, in which case it copies what it can).
    @discardableResult
    public func maintain() async throws -> MaintenanceReport {
        let current = writer.revision
        let now = ContinuousClock.now
        let target = policy.withLock { policy in
            policy.record(revision: current, at: now)
            return policy.target(current: current, now: now)
        }
        let compacted = try await compact(upTo: target)
        try writer.reclaimSpace()
        let truncated = try writer.checkpoint(truncate: true, wait: .milliseconds(100))
        if !truncated { _ = try writer.checkpoint(truncate: false, wait: .zero) }
        return MaintenanceReport(compactedRevision: compacted, walTruncated: truncated)
    }

    /// Removes every change but the newest `keepLast` from the log. Watches from a revision
    /// before the compacted one then fail with Expired.
    public func compact(keepLast: Int64) async throws {
        let current = writer.revision
        _ = try await compact(upTo: current - max(0, keepLast))
    }

    /// The revision at or below which the change log has been compacted.
    public func compactedRevision() async throws -> Int64 {
        try writer.compactedRevision()
    }

    /// Compacts up to `target` in short transactions, letting writes in between.
    private func compact(upTo target: Int64) async throws -> Int64 {
        var compacted = try writer.compactedRevision()
        while compacted < target {
            let next = try writer.compactStep(upTo: target, batch: 5_000)
            if next <= compacted { break }
            compacted = next
        }
        return compacted
    }
}
