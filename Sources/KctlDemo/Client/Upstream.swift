import Foundation
import Hummingbird

/// Why a call to another Service got no answer.
enum UpstreamError: Error, CustomStringConvertible {
    /// Nothing in the environment names the Service: no `USERS_URL`, no `USERS_SERVICE_HOST`.
    case unresolved(String)
    /// The Service did not answer (refused, reset, timed out).
    case unreachable(String, String)

    var description: String {
        switch self {
        case .unresolved(let name):
            let key = name.uppercased()
            return "\(name): no address (set \(key)_URL, or create Service \(name) before this pod starts "
                + "so it gets \(key)_SERVICE_HOST)"
        case .unreachable(let name, let why): return "\(name) unreachable: \(why)"
        }
    }

    /// The answer for the caller's client: 503, the dependency is not there.
    var response: Response { .text(.serviceUnavailable, description + "\n") }
}

/// Calls to one other Service of the scenario (`users`, `payment`), by the address the
/// environment gives it.
struct Upstream: Sendable {
    let name: String
    let baseURL: String?
    let http: DemoHTTPClient

    func send(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil,
        timeout: Duration = .seconds(5)
    ) async throws(UpstreamError) -> DemoHTTPResponse {
        guard let baseURL else { throw .unresolved(name) }
        do {
            return try await http.send(method, baseURL + path, headers: headers, body: body, timeout: timeout)
        } catch {
            throw .unreachable(name, "\(error)")
        }
    }
}
