import KctlModel
import KctlStore
import Hummingbird
import NIOCore
import ServiceLifecycle

extension APIServer {
    /// `?watch=true`: newline-delimited `{"type":...,"object":...}` events over a chunked response.
    /// No `resourceVersion` (or "0") starts with ADDED events for the current state, as
    /// Kubernetes does; a compacted revision gets an in-stream ERROR event with 410 Expired.
    /// With a `Table` format (`kubectl get -w`), each event's object is a table of one row.
    func watch(_ target: ResourceRequest, query: Query, format: ReadFormat = .json) async throws -> Response {
        let selectors = try Selectors(query)
        if let name = target.name {
            // `/watch/<plural>/NAME` watches one object.
            var q = selectors
            let byName = try FieldSelector.parse("metadata.name=\(name)")
            q.field = byName
            return try await watchStream(target, selectors: q, query: query, format: format)
        }
        return try await watchStream(target, selectors: selectors, query: query, format: format)
    }

    private func watchStream(
        _ target: ResourceRequest, selectors: Selectors, query: Query, format: ReadFormat
    ) async throws -> Response {
        let rvText = query["resourceVersion"] ?? ""
        var initial: [KubeObject] = []
        let from: Int64
        if rvText.isEmpty || rvText == "0" {
            let snapshot = try await store.list(target.type, namespace: target.namespace)
            initial = snapshot.items.filter { selectors.matches($0) }
            from = snapshot.revision
        } else {
            guard let rv = Int64(rvText), rv >= 0 else {
                throw StatusError.badRequest("resourceVersion: Invalid value: \"\(rvText)\": must be a non-negative integer revision")
            }
            from = rv
        }
        var timeout = settings.defaultWatchTimeout
        if let t = query["timeoutSeconds"] {
            guard let seconds = Int(t), seconds >= 0 else {
                throw StatusError.badRequest("timeoutSeconds: Invalid value: \"\(t)\": must be a non-negative integer")
            }
            if seconds > 0 { timeout = .seconds(seconds) }
        }
        // Open the store watch before answering, so a bad revision is known up front; an
        // Expired revision is still answered 200 with an ERROR event, as Kubernetes does.
        var events: TickingWatch?
        var openError: StatusError?
        do {
            events = try await store.tickingWatch(target.type, namespace: target.namespace, from: from)
        } catch let error as StatusError {
            openError = error
        }
        let heartbeat = settings.watchHeartbeat
        let logger = self.logger
        let initialObjects = initial
        let storeEvents = events
        let startError = openError
        let watchTimeout = timeout
        let type = target.type
        // The stored bytes go out as they are, unless a Table is asked for.
        let encode: @Sendable (KubeObject, [UInt8]?) -> [UInt8]
        switch format {
        case .json:
            encode = { object, stored in stored ?? object.serialized() }
        case .table(let apiVersion, let include):
            encode = { object, _ in
                TableResponse.table(type, [object], apiVersion: apiVersion, include: include, revision: object.resourceVersion)
                    .serialized()
            }
        }
        let body = ResponseBody { writer in
            for object in initialObjects { try await writer.write(Self.eventLine(.added, encode(object, nil))) }
            if let startError {
                try await writer.write(Self.errorLine(startError))
            } else if let storeEvents {
                // One loop writes both the store's events and the keep-alives: a `nil` from the
                // stream is a tick. The timer task only ticks; it never touches the response.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let clock = ContinuousClock()
                    let deadline = clock.now + watchTimeout
                    group.addTask {
                        // The last tick falls on the deadline, which ends the watch.
                        while clock.now < deadline {
                            try await Task.sleep(for: min(heartbeat, deadline - clock.now))
                            storeEvents.tick()
                        }
                    }
                    defer {
                        group.cancelAll()
                        storeEvents.finish()
                    }
                    // A daemon shutting down ends every watch; clients re-watch elsewhere or later.
                    try await withGracefulShutdownHandler {
                        do {
                            for try await event in storeEvents.events {
                                guard let event else {
                                    if clock.now >= deadline { return }
                                    try await writer.write(ByteBuffer(bytes: [10]))
                                    continue
                                }
                                guard selectors.isEmpty || selectors.matches(event.object) else { continue }
                                try await writer.write(Self.eventLine(event.type, encode(event.object, event.objectJSON)))
                            }
                        } catch let error as StatusError {
                            try await writer.write(Self.errorLine(error))
                        } catch is CancellationError {
                        } catch {
                            try await writer.write(Self.errorLine(.internalError("\(error)")))
                        }
                    } onGracefulShutdown: {
                        storeEvents.finish()
                    }
                }
            }
            logger.debug("watch on \(target.type.groupResource) ended")
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
    }

    /// `{"object":<Status>,"type":"ERROR"}` and a newline.
    static func errorLine(_ error: StatusError) -> ByteBuffer {
        var line = JSONValue.object(["type": "ERROR", "object": error.statusObject]).serialized()
        line.append(10)
        return ByteBuffer(bytes: line)
    }

    /// `{"object":{...},"type":"MODIFIED"}` and a newline, around the object's stored bytes: the
    /// same bytes as serializing the pair (keys sorted), without encoding the object again.
    static func eventLine(_ type: WatchEvent.EventType, _ object: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: object.count + 32)
        buffer.writeStaticString(#"{"object":"#)
        buffer.writeBytes(object)
        buffer.writeStaticString(#","type":""#)
        buffer.writeString(type.rawValue)
        buffer.writeStaticString("\"}\n")
        return buffer
    }
}
