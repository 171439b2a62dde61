import KctlModel
import Testing

@testable import KctlMetrics

/// Which pods and Services are scraped, and where, from their `prometheus.io/*` annotations.
@Suite struct ScrapeTargetTests {
    @Test func aReadyAnnotatedPodIsScrapedOnItsFirstPortAtMetrics() {
        let target = ScrapeTarget.pod(Objects.pod("web-1", ip: "127.1.0.7", port: 8080, annotations: Objects.scrape))
        #expect(target == ScrapeTarget(namespace: "default", subject: .pod("web-1"), url: "http://127.1.0.7:8080/metrics"))
    }

    @Test func annotationsChoosePortPathAndScheme() {
        var annotations = Objects.scrape
        annotations["prometheus.io/port"] = "9100"
        annotations["prometheus.io/path"] = "stats/prometheus"
        #expect(ScrapeTarget.pod(Objects.pod("a", port: 8080, annotations: annotations))?.url == "http://127.0.0.1:9100/stats/prometheus")
        annotations["prometheus.io/port"] = "http"  // a container port's name
        annotations["prometheus.io/scheme"] = "https"
        #expect(ScrapeTarget.pod(Objects.pod("a", port: 8080, annotations: annotations))?.url == "https://127.0.0.1:8080/stats/prometheus")
        #expect(ScrapeTarget.pod(Objects.pod("a", ip: "fd00::7", port: 80, annotations: Objects.scrape))?.url == "http://[fd00::7]:80/metrics")
    }

    @Test func podsThatCannotAnswerAreLeftOut() {
        let scrape = Objects.scrape
        #expect(ScrapeTarget.pod(Objects.pod("plain", port: 80)) == nil)
        #expect(ScrapeTarget.pod(Objects.pod("off", port: 80, annotations: ["prometheus.io/scrape": "false"])) == nil)
        #expect(ScrapeTarget.pod(Objects.pod("unready", port: 80, annotations: scrape, ready: false)) == nil)
        #expect(ScrapeTarget.pod(Objects.pod("pending", port: 80, annotations: scrape, phase: "Pending")) == nil)
        #expect(ScrapeTarget.pod(Objects.pod("no-ip", ip: "", port: 80, annotations: scrape)) == nil)
        #expect(ScrapeTarget.pod(Objects.pod("no-port", annotations: scrape)) == nil)
        var unknownPort = scrape
        unknownPort["prometheus.io/port"] = "metrics"
        #expect(ScrapeTarget.pod(Objects.pod("bad-port", port: 80, annotations: unknownPort)) == nil)
        var deleting = Objects.pod("deleting", port: 80, annotations: scrape)
        var meta = deleting.metadata
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        deleting.metadata = meta
        #expect(ScrapeTarget.pod(deleting) == nil)
    }

    @Test func aServiceIsScrapedThroughItsLowestReadyEndpoint() {
        let service = Objects.service("queue")
        let endpoints = Objects.endpoints("queue", ips: ["127.1.0.9", "127.1.0.3"], port: 8080)
        #expect(
            ScrapeTarget.service(service, endpoints: endpoints)
                == ScrapeTarget(namespace: "default", subject: .service("queue"), url: "http://127.1.0.3:8080/metrics"))
        // Without an Endpoints object yet: the cluster IP and the service port.
        #expect(ScrapeTarget.service(service, endpoints: nil)?.url == "http://10.96.0.10:80/metrics")
        // Endpoints without a ready address: nothing to scrape.
        #expect(ScrapeTarget.service(service, endpoints: Objects.endpoints("queue", ips: [], port: 8080)) == nil)
        #expect(ScrapeTarget.service(Objects.service("plain", annotations: [:]), endpoints: endpoints) == nil)
        #expect(ScrapeTarget.service(Objects.service("headless", clusterIP: "None"), endpoints: nil) == nil)
    }

    @Test func aServicePortAnnotationNamesOneOfItsPorts() {
        var annotations = Objects.scrape
        annotations["prometheus.io/port"] = "80"
        let service = Objects.service("queue", annotations: annotations)
        #expect(ScrapeTarget.service(service, endpoints: nil)?.url == "http://10.96.0.10:80/metrics")
        annotations["prometheus.io/port"] = "http"
        #expect(ScrapeTarget.service(Objects.service("queue", annotations: annotations), endpoints: nil) != nil)
        annotations["prometheus.io/port"] = "9999"
        #expect(ScrapeTarget.service(Objects.service("queue", annotations: annotations), endpoints: nil) == nil)
    }
}
