import Foundation
import Testing

@testable import KctlDemo

/// The shop scenario: orders charges payment synchronously and leaves the notification to the
/// queue, which the notifier drains on its own time.
@Suite struct ShopTests {
    func withShop(_ body: (_ orders: String, _ queue: String) async throws -> Void) async throws {
        try await Demo.with(.shopPayment, ["PAYMENT_LIMIT": "100"]) { payment in
            try await Demo.with(.shopQueue) { queue in
                try await Demo.with(.shopOrders, ["PAYMENT_URL": payment, "QUEUE_URL": queue]) { orders in
                    try await body(orders, queue)
                }
            }
        }
    }

    @Test func anOrderReturnsBeforeItsNotificationIsSent() async throws {
        try await withShop { orders, queue in
            // No notifier runs yet: the order cannot have waited for the notification.
            let placed = try await Demo.http.post(
                "\(orders)/orders", json: #"{"customer":"alice","item":"teapot","amount":42}"#)
            #expect(placed.status == 201)
            let order = try placed.decode(ShopOrders.Order.self)
            #expect(order.status == "paid" && order.notification == "queued" && order.payment != nil)
            #expect(Demo.sample("queue_depth", in: try await Demo.http.get("\(queue)/metrics").body) == 1)

            try await Demo.with(.shopNotifier, ["QUEUE_URL": queue, "POLL_WAIT": "1s"]) { notifier in
                let delivered = try await Demo.eventually {
                    let sent = try await Demo.http.get("\(notifier)/notifier/sent").decode([ShopNotifier.Sent].self)
                    return sent.contains { $0.notification["order"]?["id"]?.string == order.id }
                }
                #expect(delivered)
                #expect(Demo.sample("queue_depth", in: try await Demo.http.get("\(queue)/metrics").body) == 0)
            }
        }
    }

    @Test func aDeclinedPaymentMakesTheOrder402AndQueuesNothing() async throws {
        try await withShop { orders, queue in
            let placed = try await Demo.http.post(
                "\(orders)/orders", json: #"{"customer":"bob","item":"piano","amount":5000}"#)
            #expect(placed.status == 402)
            #expect(try placed.decode(ShopOrders.Order.self).status == "declined")
            #expect(Demo.sample("queue_depth", in: try await Demo.http.get("\(queue)/metrics").body) == 0)
            let listed = try await Demo.http.get("\(orders)/orders").decode([ShopOrders.Order].self)
            #expect(listed.map(\.status) == ["declined"])
        }
    }

    @Test func theQueueLongPollsAndHandsEachItemOnce() async throws {
        try await Demo.with(.shopQueue) { queue in
            let empty = try await Demo.http.post("\(queue)/queue/dequeue?wait=0", json: "")
            #expect(empty.status == 204)
            async let waiting = Demo.http.post("\(queue)/queue/dequeue?wait=20", json: "")
            // Enqueue once the poll is being served (the metrics request itself is the other one).
            let polling = try await Demo.eventually {
                Demo.sample("http_requests_in_flight", in: try await Demo.http.get("\(queue)/metrics").body) == 2
            }
            #expect(polling)
            #expect(try await Demo.http.post("\(queue)/enqueue", json: #"{"n":1}"#).status == 202)
            let item = try await waiting
            #expect(item.status == 200)
            #expect(try item.decode(ShopQueue.Item.self).payload["n"]?.number == 1)
            #expect(try await Demo.http.post("\(queue)/queue/dequeue?wait=0", json: "").status == 204)
        }
    }
}
