import Foundation
import Hummingbird

/// shop `orders`: `POST /orders {customer, item, amount}` charges `payment` synchronously (a
/// decline makes the order 402), then hands the confirmation to `queue` and answers 201 at once;
/// the `notifier` worker sends it later. `GET /orders` and `GET /orders/ID` read this replica's
/// orders (kept in memory).
struct ShopOrders: DemoRoleHandler {
    struct NewOrder: Decodable {
        var customer: String?
        var item: String?
        var amount: Double?
    }

    struct Order: Codable, Sendable {
        var id: String
        var customer: String
        var item: String
        var amount: Double
        var status: String
        var payment: String?
        var reason: String?
        /// `queued` when the notification is in the queue, `failed` when it could not be.
        var notification: String?
        var at: String
    }

    struct PaymentAnswer: Decodable {
        var id: String?
        var reason: String?
    }

    let payment: Upstream
    let queue: Upstream
    let orders: Locked<BoundedRing<Order>>
    let metrics: MetricsRegistry
    let environment: RoleEnvironment

    init(_ environment: RoleEnvironment) {
        payment = environment.upstream("payment")
        queue = environment.upstream("queue")
        orders = Locked(BoundedRing(capacity: 1000))
        metrics = environment.metrics
        self.environment = environment
        metrics.declare("orders_total", .counter, help: "Orders, by outcome (paid, declined).")
        metrics.declare(
            "orders_notification_failures_total", .counter, help: "Paid orders whose notification could not be queued.")
    }

    func install(on api: RouterGroup<DemoContext>, router: Router<DemoContext>) {
        api.post { request, _ in
            var request = request
            return await place(await request.decodeJSON(NewOrder.self))
        }
        api.get { _, _ in Response.json(.ok, orders.current.elements) }
        api.get(":id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let order = orders.current.elements.last(where: { $0.id == id }) else {
                return Response.error(.notFound, "no order \(id) on this replica")
            }
            return Response.json(.ok, order)
        }
    }

    func place(_ body: NewOrder?) async -> Response {
        guard let body, let customer = body.customer, !customer.isEmpty, let item = body.item, !item.isEmpty,
            let amount = body.amount, amount > 0
        else {
            return Response.error(
                .badRequest, #"expected {"customer": "...", "item": "...", "amount": positive number}"#)
        }
        var order = Order(
            id: "ord-" + UUID().uuidString.prefix(8).lowercased(), customer: customer, item: item, amount: amount,
            status: "new", at: Timestamp.now())
        let charge = #"{"orderId":"\#(order.id)","amount":\#(amount)}"#
        let answer: DemoHTTPResponse
        do throws(UpstreamError) {
            answer = try await payment.send("POST", "/payments", body: charge, timeout: .seconds(5))
        } catch {
            environment.logger.warning("order \(order.id): \(error)")
            return error.response
        }
        let details = try? answer.decode(PaymentAnswer.self)
        switch answer.status {
        case 201:
            order.status = "paid"
            order.payment = details?.id
        case 402:
            order.status = "declined"
            order.reason = details?.reason ?? "payment declined"
            record(order)
            return Response.json(.paymentRequired, order)
        default:
            return Response.error(.badGateway, "payment answered \(answer.status)")
        }
        order.notification = await enqueueConfirmation(order) ? "queued" : "failed"
        record(order)
        return Response.json(.created, order)
    }

    /// Puts the confirmation in the queue; the order stands even when this fails.
    func enqueueConfirmation(_ order: Order) async -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let orderJSON = String(decoding: (try? encoder.encode(order)) ?? Data("{}".utf8), as: UTF8.self)
        let message = #"{"kind":"order-paid","to":"\#(order.customer)","order":\#(orderJSON)}"#
        do {
            let answer = try await queue.send("POST", "/queue/enqueue", body: message, timeout: .seconds(2))
            if answer.status / 100 == 2 { return true }
            environment.logger.warning("order \(order.id): queue answered \(answer.status)")
        } catch {
            environment.logger.warning("order \(order.id): \(error)")
        }
        metrics.increment("orders_notification_failures_total")
        return false
    }

    func record(_ order: Order) {
        metrics.increment("orders_total", labels: [("status", order.status)])
        orders.withLock { $0.append(order) }
    }
}
