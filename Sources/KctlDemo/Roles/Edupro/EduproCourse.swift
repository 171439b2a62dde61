import Foundation
import Hummingbird

/// edupro `course` (port 8081): `GET /course/courses` lists the catalogue to anyone;
/// `GET /course/courses/ID` needs a token (bearer header or `?token=`) that `auth` confirms
/// through its Service (`/auth/verify`).
struct EduproCourse: DemoRoleHandler {
    struct Course: Codable, Sendable {
        var id: Int
        var title: String
        var lessons: Int
    }

    struct CourseView: Encodable {
        var course: Course
        var viewer: String
    }

    struct Verified: Decodable {
        var user: String
    }

    static let catalogue = [
        Course(id: 1, title: "Containers without containers", lessons: 6),
        Course(id: 2, title: "Controllers and reconciliation", lessons: 8),
        Course(id: 3, title: "Scheduling and scoring", lessons: 5),
        Course(id: 4, title: "Rolling updates in practice", lessons: 4),
    ]

    let auth: Upstream
    let metrics: MetricsRegistry
    let environment: RoleEnvironment

    init(_ environment: RoleEnvironment) {
        auth = environment.upstream("auth")
        metrics = environment.metrics
        self.environment = environment
        metrics.declare("course_views_total", .counter, help: "Course pages served to a verified user.")
        metrics.declare("course_denied_total", .counter, help: "Course pages refused for want of a valid token.")
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.get("courses") { _, _ in Response.json(.ok, Self.catalogue) }
        api.get("courses/:id") { request, context in
            guard let id = context.parameters.get("id", as: Int.self),
                let course = Self.catalogue.first(where: { $0.id == id })
            else {
                return Response.error(.notFound, "no such course")
            }
            guard let token = request.bearerToken ?? request.uri.queryParameters["token"].map(String.init) else {
                metrics.increment("course_denied_total")
                return Response.error(.unauthorized, "log in at /auth/login and send the token")
            }
            let query = token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? token
            do throws(UpstreamError) {
                let answer = try await auth.send("GET", "/auth/verify?token=\(query)", timeout: .seconds(3))
                switch answer.status {
                case 200:
                    let user = (try? answer.decode(Verified.self).user) ?? "?"
                    metrics.increment("course_views_total")
                    return Response.json(.ok, CourseView(course: course, viewer: user))
                case 401:
                    metrics.increment("course_denied_total")
                    return Response.error(.unauthorized, "invalid or expired token")
                default:
                    return Response.error(.badGateway, "auth answered \(answer.status)")
                }
            } catch {
                environment.logger.warning("\(error)")
                return error.response
            }
        }
    }
}
