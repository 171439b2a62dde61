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

/// Endpoints in round-robin order: each one once, from a start (any counter value, taken modulo
/// the count) and wrapping around, so that a failed attempt goes on with the next. Shares the
/// array instead of copying it rotated (the ingress makes one per request).
struct EndpointCycle {
    private let endpoints: [Endpoint]
    private var next: Int
    private var left: Int

    init(_ endpoints: [Endpoint] = [], start: Int = 0) {
        self.endpoints = endpoints
        self.next = endpoints.isEmpty ? 0 : Int(UInt(bitPattern: start) % UInt(endpoints.count))
        self.left = endpoints.count
    }

    /// The endpoint to try now.
    var first: Endpoint? { left > 0 ? endpoints[next] : nil }

    var isEmpty: Bool { left == 0 }

    /// Moves on to the next endpoint.
    mutating func removeFirst() {
        guard left > 0 else { return }
        left -= 1
        next = next + 1 == endpoints.count ? 0 : next + 1
    }
}
