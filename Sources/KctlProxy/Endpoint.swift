import KctlModel

/// One ready pod address behind a Service port: where a proxied connection goes.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

extension Endpoint {
    /// The ready addresses of a `v1` Endpoints object for the Service port named `portName` ("" for
    /// an unnamed port), in the order the object lists them. `notReadyAddresses` are left out: a
    /// pod failing readiness gets no new traffic.
    static func ready(in endpoints: KubeObject, portName: String) -> [Endpoint] {
        var result: [Endpoint] = []
        for subset in endpoints["subsets"]?.arrayValue ?? [] {
            let port = (subset["ports"]?.arrayValue ?? []).first { port in
                (port["name"]?.stringValue ?? "") == portName
                    && (port["protocol"]?.stringValue ?? "TCP") == "TCP"
            }
            guard let number = port?["port"]?.intValue else { continue }
            for address in subset["addresses"]?.arrayValue ?? [] {
                if let ip = address["ip"]?.stringValue { result.append(Endpoint(host: ip, port: Int(number))) }
            }
        }
        return result
    }
}

extension Array where Element == Endpoint {
    /// Starting at `start` (any counter value, taken modulo the count) and wrapping around:
    /// round robin where a failed attempt goes on with the next element.
    func rotated(by start: Int) -> [Endpoint] {
        guard count > 1 else { return self }
        let offset = Int(UInt(bitPattern: start) % UInt(count))
        return Array(self[offset...] + self[..<offset])
    }
}
