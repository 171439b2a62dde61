import Foundation
import Hummingbird

/// The legacy monolith: one program with several pages (`/`, `/account`, `/catalog`) and a
/// page-view counter in SQLite (`LEGACY_DB`, default `legacy.sqlite` in the working directory),
/// run as several replicas behind one Service. Its `/healthz` checks the database as well as the
/// fault-injection switch, so a replica whose dependency breaks leaves the rotation.
struct LegacyMonolith: DemoRoleHandler {
    let database: SQLiteDatabase
    let settings: DemoSettings
    let metrics: MetricsRegistry
    let parts: RoleParts

    static let catalogue = ["Teapot (porcelain)", "Typewriter ribbon", "Floppy disks, box of 10", "Fax paper roll"]

    init(_ environment: RoleEnvironment) throws {
        let database = try SQLiteDatabase(path: environment.settings["LEGACY_DB"] ?? "legacy.sqlite")
        try database.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        self.database = database
        settings = environment.settings
        metrics = environment.metrics
        metrics.declare("legacy_page_views_total", .counter, help: "Pages served by this replica, by page.")
        parts = RoleParts(healthChecks: [
            {
                do {
                    _ = try database.query("SELECT count(*) FROM counters")
                    return nil
                } catch {
                    return "database: \(error)"
                }
            }
        ])
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.get("/") { _, _ in page("home", body: "<p>Welcome to the shop that time forgot.</p>") }
        api.get("account") { _, _ in page("account", body: "<p>Account of a demo customer: no orders since 1999.</p>") }
        api.get("catalog") { _, _ in
            let items = Self.catalogue.map { "<li>\($0)</li>" }.joined()
            return page("catalog", body: "<ul>\(items)</ul>")
        }
    }

    func page(_ name: String, body: String) -> Response {
        let views: Int64
        do {
            views = try database.transaction { query in
                _ = try query(
                    "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET value = value + 1",
                    [.text(name)])
                return try query("SELECT value FROM counters WHERE name = ?", [.text(name)]).first?.first?.int ?? 0
            }
        } catch {
            return Response.text(.internalServerError, "database error: \(error)\n")
        }
        metrics.increment("legacy_page_views_total", labels: [("page", name)])
        let html = """
            <!doctype html>
            <html><head><title>Legacy \(name)</title></head><body>
            <h1>Legacy monolith: \(name)</h1>
            \(body)
            <p>Served by \(settings.podName), version \(settings.version). This page has been viewed \(views) times.</p>
            <nav><a href="/">home</a> <a href="/account">account</a> <a href="/catalog">catalog</a></nav>
            </body></html>

            """
        return Response.text(.ok, html, contentType: "text/html; charset=utf-8")
    }
}
