/// Annotations kctl's autoscaling adds beyond Kubernetes, shared by the parts that write and read them.
public enum AutoscalingAnnotations {
    /// On a Deployment the ingress woke from zero replicas: when (RFC 3339). The HPA then holds at
    /// least one replica for a scale-down window, so the woken replica is not scaled straight away.
    public static let wokenAt = "autoscaling.kctl.dev/woken-at"
}
