import Hummingbird
import KctlModel
import KctlStore

extension APIServer {
    /// `GET pods/NAME/scheduling`: the scheduler's latest decision for the pod, node by node, as
    /// the JSON record it keeps with the pod (what `kctl explain pod` renders). 404 when the pod
    /// does not exist, or has no record (not looked at yet, or bound by someone else).
    func podScheduling(_ target: ResourceRequest) async throws -> Response {
        guard let namespace = target.namespace, let name = target.name else {
            throw StatusError.badRequest("a pod name is required")
        }
        guard
            let record = try await store.attachment(Pod.schedulingRecord, of: .pod, namespace: namespace, name: name)
        else {
            throw StatusError(
                reason: .notFound, code: 404,
                message: "pod \"\(name)\" has no scheduling decision: the scheduler has not looked at it, or it was bound by another")
        }
        return Self.json(bytes: record)
    }
}
