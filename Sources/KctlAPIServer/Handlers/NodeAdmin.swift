import Hummingbird
import KctlModel
import KctlStore

/// kctl's own admin API for rehearsing node failures: `POST /apis/kctl.dev/v1/nodes/NAME/stop`
/// (the agent stops heartbeating and its processes die) and `/start`. Not in discovery: no
/// Kubernetes client needs it, and kubectl would otherwise try to list it.
enum NodeAdminAction: String, Equatable {
    case stop, start

    static let group = "kctl.dev"

    static func target(version: String, rest: [String], path: String) throws -> RequestTarget {
        guard version == "v1", rest.count == 3, rest[0] == "nodes", let action = NodeAdminAction(rawValue: rest[2]) else {
            throw RequestInfoParser.notFound(path)
        }
        return .nodeAdmin(node: rest[1], action: action)
    }
}

extension APIServer {
    func nodeAdmin(_ node: String, _ action: NodeAdminAction) async throws -> Response {
        _ = try await store.get(.node, namespace: nil, name: node)
        guard let nodeAdministration else {
            throw StatusError(
                reason: .serviceUnavailable, code: 503,
                message: "nodes cannot be stopped or started: no node agents run on this server")
        }
        switch action {
        case .stop: try await nodeAdministration.stop(node: node)
        case .start: try await nodeAdministration.start(node: node)
        }
        return Self.json([
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
            "message": .string("node \(node) \(action == .stop ? "stopped" : "started")"), "code": 200,
        ])
    }
}
