import KctlModel
import NIOCore

/// Idle keep-alive connections to endpoints, one pool per event loop so that a client connection
/// only ever borrows connections of its own loop (no locks on the request path). A few per
/// endpoint are kept; an idle one is closed once `idleTimeout` has passed (checked by one timer),
/// and dropped when the backend closes it.
final class BackendPool {
    let eventLoop: any EventLoop
    let maxIdlePerEndpoint: Int
    let idleTimeout: TimeAmount
    private var idle: [Endpoint: [BackendConnection]] = [:]
    private var closed = false
    /// The pending look for connections idle too long, while any idles.
    private var sweep: Scheduled<Void>?

    init(eventLoop: any EventLoop, maxIdlePerEndpoint: Int, idleTimeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.idleTimeout = idleTimeout
    }

    /// The most recently used idle connection to `endpoint`, if any is still open.
    func take(_ endpoint: Endpoint) -> BackendConnection? {
        while let connection = idle[endpoint]?.popLast() {
            if connection.isActive { return connection }
        }
        return nil
    }

    /// Keeps a connection whose exchange ended cleanly, or closes it when the pool is full.
    func put(_ connection: BackendConnection) {
        guard !closed, connection.isActive, Self.append(connection, to: &idle[connection.endpoint, default: []], limit: maxIdlePerEndpoint) else {
            connection.close()
            return
        }
        connection.delegate = nil
        if connection.onIdleClose == nil {
            // Set once, not at every return: a connection that closes while in use tells its
            // exchange instead (through its delegate), and removing one not here does nothing.
            let endpoint = connection.endpoint
            let id = ObjectIdentifier(connection)
            connection.onIdleClose = { [weak self] in self?.remove(id, endpoint: endpoint) }
        }
        connection.idleSince = .now()
        if sweep == nil { scheduleSweep(at: connection.idleSince + idleTimeout) }
    }

    /// Appends `connection` unless `list` is full (one dictionary look-up for both).
    private static func append(_ connection: BackendConnection, to list: inout [BackendConnection], limit: Int) -> Bool {
        guard list.count < limit else { return false }
        list.append(connection)
        return true
    }

    /// Closes the connections idle for `idleTimeout`, then looks again when the next one will
    /// have been. One timer per pool, not one per pooled connection: a connection goes in and
    /// out of the pool with every request.
    private func scheduleSweep(at deadline: NIODeadline) {
        sweep = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            guard let self else { return }
            self.sweep = nil
            let expired = NIODeadline.now() - self.idleTimeout
            var oldest: NIODeadline?
            for connection in self.idle.values.joined() {
                if connection.idleSince <= expired {
                    connection.close()
                } else {
                    oldest = min(oldest ?? connection.idleSince, connection.idleSince)
                }
            }
            if let oldest { self.scheduleSweep(at: oldest + self.idleTimeout) }
        }
    }

    /// Closes every idle connection; later `put`s close theirs.
    func closeAll() {
        closed = true
        let all = idle.values.flatMap { $0 }
        idle = [:]
        sweep?.cancel()
        sweep = nil
        for connection in all { connection.close() }
    }

    /// Forgets a connection that closed while idle (by identity: a weak reference to the
    /// connection would slow every retain of it).
    private func remove(_ id: ObjectIdentifier, endpoint: Endpoint) {
        idle[endpoint]?.removeAll { ObjectIdentifier($0) == id }
        if idle[endpoint]?.isEmpty == true { idle[endpoint] = nil }
    }
}

/// The `BackendPool` of each event loop, made on first use.
final class BackendPools: Sendable {
    private let pools = Locked<[ObjectIdentifier: NIOLoopBound<BackendPool>]>([:])
    private let maxIdlePerEndpoint: Int
    private let idleTimeout: TimeAmount

    init(maxIdlePerEndpoint: Int = 16, idleTimeout: TimeAmount = .seconds(30)) {
        self.maxIdlePerEndpoint = maxIdlePerEndpoint
        self.idleTimeout = idleTimeout
    }

    /// The pool of `eventLoop`; call on that loop.
    func pool(for eventLoop: any EventLoop) -> BackendPool {
        let key = ObjectIdentifier(eventLoop)
        if let bound = pools.withLock({ $0[key] }) { return bound.value }
        let pool = BackendPool(eventLoop: eventLoop, maxIdlePerEndpoint: maxIdlePerEndpoint, idleTimeout: idleTimeout)
        pools.withLock { $0[key] = NIOLoopBound(pool, eventLoop: eventLoop) }
        return pool
    }

    /// Closes the idle connections of every pool, each on its loop.
    func closeAll() async {
        let all = pools.withLock { Array($0.values) }
        for bound in all {
            try? await bound.eventLoop.submit { bound.value.closeAll() }.get()
        }
    }
}
