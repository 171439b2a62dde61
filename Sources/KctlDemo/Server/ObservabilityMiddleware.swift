import Hummingbird
import Logging

/// Counts and logs every request (`http_requests_total{code}`, `http_requests_in_flight`, one
/// info line each). Added to the router before any route, so it wraps every endpoint and the
/// not-found answer.
struct ObservabilityMiddleware: RouterMiddleware {
    typealias Context = DemoContext

    let metrics: MetricsRegistry
    let logger: Logger

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.head.path ?? "/"
        metrics.increment("http_requests_in_flight")
        defer { metrics.increment("http_requests_in_flight", by: -1) }
        let start = ContinuousClock.now
        let code: Int
        do {
            let response = try await next(request, context)
            code = response.status.code
            record(request, path: path, code: code, since: start)
            return response
        } catch {
            code = (error as? any HTTPResponseError)?.status.code ?? 500
            record(request, path: path, code: code, since: start)
            throw error
        }
    }

    private func record(_ request: Request, path: String, code: Int, since start: ContinuousClock.Instant) {
        metrics.increment("http_requests_total", labels: [("code", String(code))])
        let elapsed = (ContinuousClock.now - start).seconds * 1000
        logger.info("\(request.method) \(path) \(code) \(String(format: "%.1f", elapsed))ms")
    }
}
