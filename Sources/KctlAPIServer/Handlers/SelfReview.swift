import Hummingbird
import KctlModel

/// `kubectl auth can-i` and `kubectl auth whoami`: the reviews a client asks about itself.
///
/// kctld authenticates no one and authorizes everything: it listens on loopback only, and every
/// client there acts with full rights (as a Kubernetes API server does with anonymous requests
/// and the AlwaysAllow authorizer). These answers say exactly that, so scripts that check their
/// rights first get a true "yes" rather than a 404.
enum SelfReview: Equatable {
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: may I do this?
    case access
    /// `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`: what may I do (`can-i --list`)?
    case rules
    /// `POST /apis/authentication.k8s.io/v1/selfsubjectreviews`: who am I?
    case identity

    static let reason = "kctld authorizes every client on its loopback address"

    static func parse(path: String) -> SelfReview? {
        switch path {
        case "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews": .access
        case "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews": .rules
        case "/apis/authentication.k8s.io/v1/selfsubjectreviews": .identity
        default: nil
        }
    }

    /// The review, answered. `body` is the client's review: its `spec` is echoed when it is JSON
    /// (kubectl's protobuf body is not read; kubectl reads only the status).
    func answer(body: [UInt8]) -> JSONValue {
        let spec = (try? JSONValue.parse(body))?["spec"] ?? [:]
        switch self {
        case .access:
            return [
                "kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": [:],
                "spec": spec, "status": ["allowed": true, "reason": .string(Self.reason)],
            ]
        case .rules:
            return [
                "kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": [:],
                "spec": spec,
                "status": [
                    "resourceRules": [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]],
                    "nonResourceRules": [["verbs": ["*"], "nonResourceURLs": ["*"]]], "incomplete": false,
                ],
            ]
        case .identity:
            return [
                "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1", "metadata": [:],
                "status": ["userInfo": ["username": "system:anonymous", "groups": ["system:unauthenticated"]]],
            ]
        }
    }
}
