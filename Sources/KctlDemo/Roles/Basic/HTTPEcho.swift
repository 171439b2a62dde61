import Hummingbird

/// `http-echo`: answers every path and method with the request line, the version and the pod
/// name. The trivial backend of the rollout demo and the proxy benchmarks: which replica and
/// which version served a request is right in the body.
struct HTTPEcho: DemoRoleHandler {
    let settings: DemoSettings

    init(_ environment: RoleEnvironment) { settings = environment.settings }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]
        for method in methods {
            for path in ["/", "**"] {
                api.on(RouterPath(path), method: method) { request, _ in echo(request) }
            }
        }
    }

    func echo(_ request: Request) -> Response {
        let line = "\(request.method) \(request.head.path ?? "/") HTTP/1.1"
        return Response.text(.ok, "\(line)\nversion: \(settings.version)\npod: \(settings.podName)\n")
    }
}
