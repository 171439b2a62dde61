import KctlModel

/// `PodInfo` read straight from a pod's JSON. The scheduler reads every pod on every change it
/// sees (a few times per pod), and decoding the whole typed `Pod` through `Codable` for the dozen
/// fields it needs cost more than scheduling the pod. The result is the same as
/// `PodInfo(Pod(object))`; malformed fields the scheduler reads (a quantity that does not parse,
/// a label that is not a string) throw, as the typed decoding does.
extension PodInfo {
    init(json object: KubeObject) throws {
        let spec = object.spec ?? .object([:])
        let labels = try Self.stringMap(object.metadata["labels"], field: "metadata.labels")
        var running = Resources.zero
        var initPeak = Resources.zero
        for container in spec["initContainers"]?.arrayValue ?? [] {
            let requests = try Self.requests(container["resources"]?["requests"])
            if container["restartPolicy"]?.stringValue == "Always" {
                running += requests
            } else {
                initPeak = initPeak.max(running + requests)
            }
        }
        for container in spec["containers"]?.arrayValue ?? [] {
            running += try Self.requests(container["resources"]?["requests"])
        }
        var total = running.max(initPeak) + (try Self.requests(spec["overhead"]))
        if let podLevel = spec["resources"]?["requests"], let list = podLevel.objectValue {
            let level = try Self.requests(podLevel)
            if list["cpu"] != nil { total.milliCPU = level.milliCPU }
            if list["memory"] != nil { total.memory = level.memory }
        }
        let controller = object.ownerReferences.first { $0["controller"]?.boolValue == true }
        let owner = controller.map { reference -> String in
            let uid = reference["uid"]?.stringValue ?? ""
            return uid.isEmpty
                ? "\(reference["kind"]?.stringValue ?? "")/\(reference["name"]?.stringValue ?? "")" : uid
        }
        let nodeName = spec["nodeName"]?.stringValue ?? ""
        self.init(
            namespace: object.namespace ?? "default", name: object.name, uid: object.uid ?? "",
            labels: labels, requests: total,
            nodeSelector: try Self.stringMap(spec["nodeSelector"], field: "spec.nodeSelector"),
            requiredAffinity: NodeSelectorTerm.requiredTerms(affinity: spec["affinity"]),
            tolerations: try (spec["tolerations"]?.arrayValue ?? []).map(Self.toleration),
            spreadConstraints: SpreadConstraint.parse(spec["topologySpreadConstraints"], podLabels: labels),
            owner: owner, nodeName: nodeName.isEmpty ? nil : nodeName,
            terminating: object.deletionTimestamp != nil)
    }

    /// `cpu`, `memory` and `pods` of a resource list; the other resources are not read.
    private static func requests(_ list: JSONValue?) throws -> Resources {
        guard let list, !list.isNull else { return .zero }
        guard let entries = list.objectValue else { throw PodInfoError("a resource list is not an object") }
        return Resources(
            milliCPU: try entries["cpu"].map(quantity)?.milliValue ?? 0,
            memory: try entries["memory"].map(quantity)?.value ?? 0,
            pods: try entries["pods"].map(quantity)?.value ?? 0)
    }

    /// A quantity as the typed decoding reads it: text, or a JSON number.
    private static func quantity(_ value: JSONValue) throws -> Quantity {
        switch value {
        case .string(let text): return try Quantity(text)
        case .int(let number): return try Quantity(String(number))
        case .double(let number) where number.isFinite:
            let text = number.rounded() == number && abs(number) < 1e18 ? String(Int64(number)) : "\(number)"
            return try Quantity(text)
        default: throw PodInfoError("a quantity must be a string or a number")
        }
    }

    private static func stringMap(_ value: JSONValue?, field: String) throws -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard let object = value.objectValue else { throw PodInfoError("\(field) is not an object") }
        return try object.mapValues { entry in
            guard let text = entry.stringValue else { throw PodInfoError("\(field) holds a value that is not a string") }
            return text
        }
    }

    private static func toleration(_ value: JSONValue) throws -> Toleration {
        guard value.objectValue != nil else { throw PodInfoError("a toleration is not an object") }
        return Toleration(
            key: value["key"]?.stringValue, operator: value["operator"]?.stringValue,
            value: value["value"]?.stringValue, effect: value["effect"]?.stringValue,
            tolerationSeconds: value["tolerationSeconds"]?.intValue)
    }
}

/// A pod field the scheduler reads is malformed.
struct PodInfoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
