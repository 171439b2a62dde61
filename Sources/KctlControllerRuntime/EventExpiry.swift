import Foundation
import KctlModel
import KctlStore
import Logging
import ServiceLifecycle

/// Deletes Events whose last occurrence is older than a TTL, every `interval`, so the store does
/// not grow without bound (Kubernetes keeps events for one hour by default).
public struct EventExpiry: ServiceLifecycle.Service {
    public struct Options: Sendable, Hashable {
        public var ttl: Duration
        public var interval: Duration

        public init(ttl: Duration = .seconds(3600), interval: Duration = .seconds(60)) {
            self.ttl = ttl
            self.interval = interval
        }
    }

    public let options: Options
    private let store: any Store
    private let logger: Logger
    private let clock: ClockBox
    private let now: @Sendable () -> Date

    /// - Parameters:
    ///   - clock: paces the passes.
    ///   - now: the wall clock events are compared with.
    public init(
        store: any Store, options: Options = Options(), logger: Logger, clock: any Clock<Duration> = ContinuousClock(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.options = options
        self.logger = logger
        self.clock = ClockBox(clock)
        self.now = now
    }

    public func run() async throws {
        let clock = self.clock
        let interval = options.interval
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await expire()
                try await clock.sleepFor(interval)
            }
        }
    }

    /// One pass: deletes every expired Event and returns how many.
    @discardableResult
    public func expire() async -> Int {
        let cutoff = now().addingTimeInterval(-options.ttl.seconds)
        let events: [KubeObject]
        do {
            events = try await store.list(.event, namespace: nil).items
        } catch {
            logger.warning("event expiry: could not list events: \(error)")
            return 0
        }
        var deleted = 0
        for event in events {
            guard let last = Self.lastSeen(event), last < cutoff else { continue }
            do {
                _ = try await store.delete(
                    .event, namespace: event.namespace, name: event.name,
                    preconditions: Preconditions(resourceVersion: event.resourceVersion))
                deleted += 1
            } catch let error as StatusError where error.reason == .notFound || error.reason == .conflict {
                // Gone already, or repeated since the list: leave it.
            } catch {
                logger.warning("event expiry: could not delete \(event.key): \(error)")
            }
        }
        if deleted > 0 { logger.debug("event expiry: deleted \(deleted) events older than \(options.ttl)") }
        return deleted
    }

    /// When an event last happened: `lastTimestamp`, else `eventTime`, `firstTimestamp`, `creationTimestamp`.
    static func lastSeen(_ event: KubeObject) -> Date? {
        for field in ["lastTimestamp", "eventTime", "firstTimestamp"] {
            if let text = event.json[field]?.stringValue, let date = Timestamp.parse(text) { return date }
        }
        return event.creationTimestamp.flatMap(Timestamp.parse)
    }
}
