import Hummingbird
import KctlModel

/// `kubectl autoscale`: it creates an autoscaling/v1 HorizontalPodAutoscaler (a CPU target as
/// `targetCPUUtilizationPercentage`), in protobuf. kctld keeps HPAs as autoscaling/v2, so a v1
/// create is converted as Kubernetes converts it (the CPU target becomes a Resource metric), stored
/// through the same admission as any v2 create, and answered in v1. Only creating is served at
/// v1; everything else (get, list, watch, update, patch, delete) is at v2, which kubectl prefers.
enum AutoscalingV1 {
    static let basePrefix = "/apis/autoscaling/v1/namespaces/"

    /// The namespace of `POST /apis/autoscaling/v1/namespaces/NS/horizontalpodautoscalers`.
    static func createNamespace(path: String) -> String? {
        guard path.hasPrefix(basePrefix), path.hasSuffix("/horizontalpodautoscalers") else { return nil }
        let namespace = path.dropFirst(basePrefix.count).dropLast("/horizontalpodautoscalers".count)
        guard !namespace.isEmpty, !namespace.contains("/") else { return nil }
        return String(namespace)
    }

    /// A v1 HPA as v2: `targetCPUUtilizationPercentage` becomes a CPU Utilization metric.
    static func toV2(_ v1: KubeObject) throws -> KubeObject {
        if let apiVersion = v1.json["apiVersion"]?.stringValue, apiVersion != "autoscaling/v1" {
            throw StatusError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (autoscaling/v1)")
        }
        var v2 = v1
        v2.json["apiVersion"] = "autoscaling/v2"
        v2.json["kind"] = "HorizontalPodAutoscaler"
        var spec = v1.json["spec"]?.objectValue ?? [:]
        if let percent = spec.removeValue(forKey: "targetCPUUtilizationPercentage") {
            spec["metrics"] = [
                [
                    "type": "Resource",
                    "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": percent]],
                ]
            ]
        }
        v2.json["spec"] = .object(spec)
        v2.json["status"] = nil
        return v2
    }

    /// A stored (v2) HPA as v1: the CPU Utilization target, if any, is `targetCPUUtilizationPercentage`.
    static func toV1(_ v2: KubeObject) -> KubeObject {
        var v1 = v2
        v1.json["apiVersion"] = "autoscaling/v1"
        var spec = v2.json["spec"]?.objectValue ?? [:]
        let metrics = spec.removeValue(forKey: "metrics")?.arrayValue ?? []
        spec["behavior"] = nil
        if let cpu = metrics.first(where: {
            $0["type"] == "Resource" && $0["resource"]?["name"] == "cpu"
                && $0["resource"]?["target"]?["type"] == "Utilization"
        }) {
            spec["targetCPUUtilizationPercentage"] = cpu["resource"]?["target"]?["averageUtilization"]
        }
        v1.json["spec"] = .object(spec)
        var status: [String: JSONValue] = [
            "currentReplicas": v2.json["status"]?["currentReplicas"] ?? 0,
            "desiredReplicas": v2.json["status"]?["desiredReplicas"] ?? 0,
        ]
        if let time = v2.json["status"]?["lastScaleTime"] { status["lastScaleTime"] = time }
        if let observed = v2.json["status"]?["observedGeneration"] { status["observedGeneration"] = observed }
        v1.json["status"] = .object(status)
        return v1
    }
}

extension ProtoSchema {
    static let crossVersionObjectReference = ProtoSchema(
        "CrossVersionObjectReference", [1: .string("kind"), 2: .string("name"), 3: .string("apiVersion")])
    static let horizontalPodAutoscalerSpecV1 = ProtoSchema(
        "HorizontalPodAutoscalerSpec",
        [
            1: .message("scaleTargetRef", crossVersionObjectReference), 2: .int("minReplicas", pointer: true),
            3: .int("maxReplicas"), 4: .int("targetCPUUtilizationPercentage", pointer: true),
        ])
    static let horizontalPodAutoscalerV1 = ProtoSchema(
        "HorizontalPodAutoscaler", [1: .metadata, 2: .message("spec", horizontalPodAutoscalerSpecV1), 3: .status])
}

extension APIServer {
    /// `POST` of an autoscaling/v1 HPA (see `AutoscalingV1`).
    func createAutoscalingV1(namespace: String, body: [UInt8], query: Query, contentType: String?) async throws -> Response {
        let v1 = try Self.createdObject(body, contentType: contentType)
        let target = ResourceRequest(
            type: .horizontalPodAutoscaler, namespace: namespace, name: nil, subresource: nil, watchPrefix: false)
        let created = try await create(try AutoscalingV1.toV2(v1), target, query: query)
        return Self.json(AutoscalingV1.toV1(created).value, status: .created)
    }
}
