import Hummingbird
import KctlModel
import KctlStore
import NIOCore
import ServiceLifecycle

extension APIServer {
    /// `GET pods/NAME/log`: the container's log as plain text, streamed as the node agent hands
    /// it over. kubectl sends `container` (it picks the default itself), `follow`, `tailLines`,
    /// `limitBytes`, `previous`; `timestamps` and `sinceSeconds` are accepted and not applied.
    func podLog(_ target: ResourceRequest, query: Query) async throws -> Response {
        guard let namespace = target.namespace, let name = target.name else {
            throw StatusError.badRequest("a pod name is required")
        }
        let pod = try await store.get(.pod, namespace: namespace, name: name)
        let container = try Self.logContainer(pod, requested: query["container"])
        let tailLines = try Self.logOption(query, "tailLines", minimum: 0, name: name)
        let limitBytes = try Self.logOption(query, "limitBytes", minimum: 1, name: name)
        let previous = query.bool("previous") && query["previous"] != "false" && query["previous"] != "0"
        let follow = query.bool("follow") && query["follow"] != "false" && query["follow"] != "0"
        guard let podLogs else {
            throw StatusError(
                reason: .serviceUnavailable, code: 503,
                message: "pod logs are not available: no node agent serves them on this server")
        }
        let bound = !(pod.spec?["nodeName"]?.stringValue ?? "").isEmpty
        let request = PodLogRequest(
            namespace: namespace, pod: name, uid: pod.uid ?? "", container: container, follow: follow,
            tailLines: tailLines, limitBytes: limitBytes, previous: previous)
        guard bound, let stream = try await podLogs.logs(request) else {
            throw Self.noLog(pod, container: container, previous: previous)
        }
        let body = ResponseBody { writer in
            // The agent's stream is relayed through `items` so that a daemon shutting down can
            // end a follow (as it ends watches). A client that went away is noticed at the next
            // write; Hummingbird keeps half-closed connections open, so an idle follow is only
            // released once the container writes again, or ends.
            var remaining = limitBytes ?? Int.max
            let (items, continuation) = AsyncStream<[UInt8]>.makeStream()
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await chunk in stream { continuation.yield(chunk) }
                    continuation.finish()
                }
                defer {
                    continuation.finish()
                    group.cancelAll()
                }
                await withGracefulShutdownHandler {
                    do {
                        for await chunk in items {
                            let part = chunk.count <= remaining ? chunk[...] : chunk.prefix(remaining)
                            if !part.isEmpty { try await writer.write(ByteBuffer(bytes: part)) }
                            remaining -= part.count
                            if remaining <= 0 { break }
                        }
                    } catch {
                        // The client is gone: nothing more to write to.
                    }
                } onGracefulShutdown: {
                    continuation.finish()
                }
            }
            try? await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }

    /// The container a log request names, else the pod's only one; errors as Kubernetes words them.
    static func logContainer(_ pod: KubeObject, requested: String?) throws -> String {
        func names(_ key: String) -> [String] {
            (pod.spec?[key]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        let containers = names("containers")
        let initContainers = names("initContainers")
        if let requested, !requested.isEmpty {
            guard containers.contains(requested) || initContainers.contains(requested) else {
                throw StatusError.badRequest("container \(requested) is not valid for pod \(pod.name)")
            }
            return requested
        }
        if containers.count == 1 { return containers[0] }
        var message = "a container name must be specified for pod \(pod.name), choose one of: [\(containers.joined(separator: " "))]"
        if !initContainers.isEmpty {
            message += " or one of the init containers: [\(initContainers.joined(separator: " "))]"
        }
        throw StatusError.badRequest(message)
    }

    /// Why a container has no log: it has not started yet, or has no previous instance.
    static func noLog(_ pod: KubeObject, container: String, previous: Bool) -> StatusError {
        if previous {
            return .badRequest("previous terminated container \"\(container)\" in pod \"\(pod.name)\" not found")
        }
        let statuses = (pod.status?["containerStatuses"]?.arrayValue ?? [])
            + (pod.status?["initContainerStatuses"]?.arrayValue ?? [])
        let status = statuses.first { $0["name"]?.stringValue == container }
        let reason = status?["state"]?["waiting"]?["reason"]?.stringValue ?? "ContainerCreating"
        return .badRequest("container \"\(container)\" in pod \"\(pod.name)\" is waiting to start: \(reason)")
    }

    /// An integer log option, checked as Kubernetes validates PodLogOptions.
    static func logOption(_ query: Query, _ key: String, minimum: Int, name: String) throws -> Int? {
        guard let text = query[key], !text.isEmpty else { return nil }
        guard let value = Int(text) else {
            throw StatusError.badRequest("\(key): Invalid value: \"\(text)\": must be an integer")
        }
        guard value >= minimum else {
            let rule = minimum == 0 ? "must be greater than or equal to 0" : "must be greater than 0"
            let cause = StatusError.Cause(reason: "FieldValueInvalid", message: "Invalid value: \(value): \(rule)", field: key)
            throw StatusError(
                reason: .invalid, code: 422, message: "PodLogOptions \"\(name)\" is invalid: \(key): \(cause.message)",
                name: name, kind: "PodLogOptions", causes: [cause])
        }
        return value
    }
}

extension Discovery {
    /// `pods/log` and `pods/eviction` in `/api/v1`: kubectl drain looks for the eviction entry
    /// (kind Eviction, group policy) before it evicts instead of deleting.
    static let podAgentSubresources: [JSONValue] = [
        ["name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]],
        [
            "name": "pods/eviction", "singularName": "", "namespaced": true, "group": "policy", "version": "v1",
            "kind": "Eviction", "verbs": ["create"],
        ],
    ]
}
