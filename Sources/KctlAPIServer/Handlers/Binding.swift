import Hummingbird
import KctlModel
import KctlStore

extension APIServer {
    /// POST `pods/NAME/binding`: assigns a pending pod to a node, at most once. The check and
    /// the write are one atomic store update, so two schedulers can never both bind a pod.
    func bind(_ target: ResourceRequest, body: [UInt8]) async throws -> Response {
        guard target.type == .pod, let name = target.name, let namespace = target.namespace else {
            throw StatusError.methodNotAllowed("binding is a subresource of pods")
        }
        let binding = try KubeObject(data: body)
        guard binding.kind.isEmpty || binding.kind == "Binding" else {
            throw StatusError.badRequest("expected a Binding, got \(binding.kind)")
        }
        guard let node = binding["target"]?["name"]?.stringValue, !node.isEmpty else {
            throw StatusError.invalid(
                .pod, name, [.init(reason: "FieldValueRequired", message: "Required value", field: "target.name")])
        }
        _ = try await store.update(.pod, namespace: namespace, name: name, subresource: .main) { pod in
            if pod.deletionTimestamp != nil {
                throw StatusError.conflict(.pod, name, "pod is being deleted, cannot be assigned to a host")
            }
            if let current = pod.spec?["nodeName"]?.stringValue, !current.isEmpty {
                throw StatusError.conflict(.pod, name, "pod \(name) is already assigned to node \"\(current)\"")
            }
            pod.spec?["nodeName"] = .string(node)
        }
        return Self.json(
            ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201], status: .created)
    }
}
