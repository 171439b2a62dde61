import KctlModel

/// One `/metrics` endpoint to scrape, found from the `prometheus.io/*` annotations of a pod or
/// a Service. Built by pure functions from the objects, so the rules are tested without I/O.
public struct ScrapeTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Subject: Sendable, Hashable {
        /// Its samples become Pods metrics of this pod.
        case pod(String)
        /// Its samples become External metrics labelled `service=NAME`.
        case service(String)
    }

    public var namespace: String
    public var subject: Subject
    public var url: String

    public init(namespace: String, subject: Subject, url: String) {
        self.namespace = namespace
        self.subject = subject
        self.url = url
    }

    public var description: String {
        switch subject {
        case .pod(let name): return "pod \(namespace)/\(name) (\(url))"
        case .service(let name): return "service \(namespace)/\(name) (\(url))"
        }
    }

    static let scrapeAnnotation = "prometheus.io/scrape"
    static let portAnnotation = "prometheus.io/port"
    static let pathAnnotation = "prometheus.io/path"
    static let schemeAnnotation = "prometheus.io/scheme"

    /// A pod to scrape: annotated `prometheus.io/scrape: "true"`, Running and Ready, not being
    /// deleted, with an IP. Port: `prometheus.io/port` (a number or a container port's name),
    /// else the first container port; path: `prometheus.io/path`, else `/metrics`.
    public static func pod(_ pod: KubeObject) -> ScrapeTarget? {
        let annotations = pod.annotations
        guard annotations[scrapeAnnotation] == "true", pod.deletionTimestamp == nil,
            pod.status?["phase"]?.stringValue == "Running", isReady(pod),
            let ip = pod.status?["podIP"]?.stringValue, !ip.isEmpty
        else { return nil }
        let ports = (pod.spec?["containers"]?.arrayValue ?? []).flatMap { $0["ports"]?.arrayValue ?? [] }
        let port: Int64?
        if let annotated = annotations[portAnnotation] {
            port =
                Int64(annotated)
                ?? ports.first { $0["name"]?.stringValue == annotated }?["containerPort"]?.intValue
        } else {
            port = ports.first?["containerPort"]?.intValue
        }
        guard let port, (1...65535).contains(port) else { return nil }
        return ScrapeTarget(
            namespace: pod.namespace ?? "default", subject: .pod(pod.name),
            url: url(host: ip, port: port, annotations: annotations))
    }

    /// A Service to scrape: annotated `prometheus.io/scrape: "true"`. `prometheus.io/port` names
    /// one of its ports (number or name; default the first). It is reached through one ready
    /// endpoint (the lowest address, so the choice is stable), which needs no service proxy; a
    /// Service without an Endpoints object yet is tried at its cluster IP. A Service whose
    /// Endpoints have no ready address has nothing to scrape.
    ///
    /// Scraping one endpoint suits a Service whose state lives in one replica (the shop queue);
    /// replicas that each hold part of it should be scraped as pods instead.
    public static func service(_ service: KubeObject, endpoints: KubeObject?) -> ScrapeTarget? {
        let annotations = service.annotations
        guard annotations[scrapeAnnotation] == "true", service.deletionTimestamp == nil else { return nil }
        let ports = service.spec?["ports"]?.arrayValue ?? []
        let servicePort: JSONValue?
        if let annotated = annotations[portAnnotation] {
            servicePort = ports.first {
                $0["name"]?.stringValue == annotated || $0["port"]?.intValue.map(String.init) == annotated
            }
        } else {
            servicePort = ports.first
        }
        guard let servicePort, let portNumber = servicePort["port"]?.intValue else { return nil }
        let namespace = service.namespace ?? "default"
        if let endpoints {
            let portName = servicePort["name"]?.stringValue
            for subset in endpoints.value["subsets"]?.arrayValue ?? [] {
                let subsetPorts = subset["ports"]?.arrayValue ?? []
                let port = subsetPorts.count == 1 ? subsetPorts.first : subsetPorts.first { $0["name"]?.stringValue == portName }
                let addresses = (subset["addresses"]?.arrayValue ?? []).compactMap { $0["ip"]?.stringValue }.sorted()
                guard let number = port?["port"]?.intValue, let ip = addresses.first else { continue }
                return ScrapeTarget(
                    namespace: namespace, subject: .service(service.name),
                    url: url(host: ip, port: number, annotations: annotations))
            }
            return nil
        }
        guard let clusterIP = service.spec?["clusterIP"]?.stringValue, !clusterIP.isEmpty, clusterIP != "None" else {
            return nil
        }
        return ScrapeTarget(
            namespace: namespace, subject: .service(service.name),
            url: url(host: clusterIP, port: portNumber, annotations: annotations))
    }

    static func isReady(_ pod: KubeObject) -> Bool {
        (pod.status?["conditions"]?.arrayValue ?? []).contains {
            $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
        }
    }

    static func url(host: String, port: Int64, annotations: [String: String]) -> String {
        let scheme = annotations[schemeAnnotation] == "https" ? "https" : "http"
        var path = annotations[pathAnnotation] ?? "/metrics"
        if path.isEmpty { path = "/metrics" }
        if !path.hasPrefix("/") { path = "/" + path }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)\(path)"
    }
}
