import Foundation
import KctlControllerRuntime
import KctlModel
import KctlStore
import Logging

/// What a wake-up did for a Service that had no ready endpoint.
public enum ServiceWakeResult: Sendable, Hashable {
    /// These Deployments (names in the Service's namespace) were scaled from 0 to 1.
    case woken([String])
    /// A Deployment behind the Service was woken a moment ago and is still starting.
    case alreadyWaking
    /// Nothing behind the Service is scaled to zero: the request cannot be helped by waiting.
    case nothingToWake
}

/// Starts what backs a Service that has no ready endpoint, so that the ingress can hold the first
/// request instead of failing it (scale from zero on demand). The ingress calls it once per
/// service for all the requests that arrive together.
public protocol ServiceWaker: Sendable {
    func wake(namespace: String, service: String) async -> ServiceWakeResult
}

/// Wakes the Deployments at `spec.replicas: 0` whose pod template the Service selects: each is
/// scaled to 1 with a write that only applies while it is still at 0 (so racing wakers, or a
/// `kctl scale` in between, win over nothing), stamped `autoscaling.kctl.dev/woken-at`, and gets a
/// Normal `ScaledFromZero` Event. It scales to one replica and no further: the HPA takes it from there.
public final class StoreServiceWaker: ServiceWaker {
    /// When the ingress last woke a Deployment (RFC 3339): the HPA keeps it up for a while after.
    public static let wokenAtAnnotation = AutoscalingAnnotations.wokenAt

    private let store: any Store
    private let logger: Logger
    private let events: EventRecorder
    private let now: @Sendable () -> Date
    private let startingWindow: TimeInterval

    /// - Parameters:
    ///   - startingWindow: how long after its wake a Deployment with no ready replica counts as
    ///     still starting (`alreadyWaking`), so requests that come after the first wait ended still wait.
    ///   - now: the wall clock for the annotation and the Events.
    public init(
        store: any Store, logger: Logger, startingWindow: Duration = .seconds(30),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.logger = logger
        self.now = now
        self.startingWindow = Double(startingWindow.components.seconds)
        self.events = EventRecorder(store: store, component: "ingress-proxy", logger: logger, now: now)
    }

    public func wake(namespace: String, service: String) async -> ServiceWakeResult {
        let selector: [String: String]
        let deployments: [KubeObject]
        do {
            let object = try await store.get(.service, namespace: namespace, name: service)
            selector = (object.spec?["selector"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            // A Service without a selector has hand-made Endpoints: nothing here can start them.
            guard !selector.isEmpty else { return .nothingToWake }
            deployments = try await store.list(.deployment, namespace: namespace).items.filter { deployment in
                let labels = deployment.spec?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
                return deployment.deletionTimestamp == nil
                    && LabelSelector.labelsMatch(selector, labels.compactMapValues(\.stringValue))
            }
        } catch {
            logger.debug("ingress: cannot look up what backs service \(namespace)/\(service): \(error)")
            return .nothingToWake
        }
        var woken: [String] = []
        var starting = false
        for deployment in deployments {
            if deployment.spec?["replicas"]?.intValue == 0 {
                if let updated = await scaleFromZero(deployment, service: "\(namespace)/\(service)") {
                    woken.append(updated.name)
                } else {
                    starting = true
                }
            } else if isStarting(deployment) {
                starting = true
            }
        }
        if !woken.isEmpty { return .woken(woken) }
        return starting ? .alreadyWaking : .nothingToWake
    }

    /// Scales one Deployment from 0 to 1; nil when it was no longer at 0 (or is gone).
    private func scaleFromZero(_ deployment: KubeObject, service: String) async -> KubeObject? {
        let stamp = Timestamp.format(now())
        let updated: KubeObject
        do {
            updated = try await store.update(
                .deployment, namespace: deployment.namespace, name: deployment.name, subresource: .main
            ) { current in
                guard current.spec?["replicas"]?.intValue == 0 else { throw NotAtZero() }
                var spec = current.spec?.objectValue ?? [:]
                spec["replicas"] = .int(1)
                current.spec = .object(spec)
                current.annotations[Self.wokenAtAnnotation] = stamp
            }
        } catch is NotAtZero {
            return nil
        } catch {
            logger.warning("ingress: cannot scale Deployment \(deployment.key) from zero: \(error)")
            return nil
        }
        await events.normal(
            updated, reason: "ScaledFromZero", message: "woken by a request at the ingress for service \(service)")
        return updated
    }

    /// Woken within the starting window and not yet reporting a ready replica.
    private func isStarting(_ deployment: KubeObject) -> Bool {
        guard let stamp = deployment.annotations[Self.wokenAtAnnotation], let woken = Timestamp.parse(stamp) else {
            return false
        }
        let ready = deployment.status?["readyReplicas"]?.intValue ?? 0
        return ready == 0 && now().timeIntervalSince(woken) < startingWindow
    }

    private struct NotAtZero: Error {}
}
