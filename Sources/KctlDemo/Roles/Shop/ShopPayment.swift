import Foundation
import Hummingbird

/// shop `payment`: `POST /payments {orderId, amount}` approves (201) up to `PAYMENT_LIMIT`
/// (default 1000) and declines (402) above it: the synchronous step of an order.
struct ShopPayment: DemoRoleHandler {
    struct Charge: Decodable {
        var orderId: String?
        var amount: Double?
    }

    struct Payment: Encodable {
        var id: String
        var orderId: String
        var amount: Double
        var status: String
        var reason: String?
    }

    let limit: Double
    let metrics: MetricsRegistry

    init(_ environment: RoleEnvironment) {
        limit = environment.settings.double("PAYMENT_LIMIT", default: 1000)
        metrics = environment.metrics
        metrics.declare("payments_total", .counter, help: "Payments, by result (approved, declined).")
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post { request, _ in
            var request = request
            guard let charge = await request.decodeJSON(Charge.self), let orderId = charge.orderId,
                let amount = charge.amount, amount > 0
            else {
                return Response.error(.badRequest, #"expected {"orderId": "...", "amount": positive number}"#)
            }
            let id = "pay-" + UUID().uuidString.prefix(8).lowercased()
            guard amount <= limit else {
                metrics.increment("payments_total", labels: [("result", "declined")])
                return Response.json(
                    .paymentRequired,
                    Payment(
                        id: id, orderId: orderId, amount: amount, status: "declined",
                        reason: "amount over the limit of \(MetricsRegistry.format(limit))"))
            }
            metrics.increment("payments_total", labels: [("result", "approved")])
            return Response.json(.created, Payment(id: id, orderId: orderId, amount: amount, status: "approved"))
        }
    }
}
