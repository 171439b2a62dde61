import Foundation
import Testing

@testable import KctlDemo

/// The chat scenario over real HTTP: users, messages and notifications wired by `*_URL` and
/// `*_SERVICE_HOST` variables, as the node agent would set them.
@Suite struct ChatTests {
    static let token = "test-token"

    /// Runs users, notifications and messages together; `body` gets the three base URLs.
    func withChat(
        messagesEnvironment: [String: String] = [:],
        _ body: (_ users: String, _ messages: String, _ notifications: String) async throws -> Void
    ) async throws {
        let directory = try Demo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await Demo.with(.chatUsers, ["CHAT_API_TOKEN": Self.token]) { users in
            try await Demo.with(.chatNotifications) { notifications in
                let usersAddress = try #require(ListenAddress(String(users.dropFirst("http://".count))))
                var environment = [
                    "CHAT_API_TOKEN": Self.token,
                    "USERS_SERVICE_HOST": usersAddress.host, "USERS_SERVICE_PORT": String(usersAddress.port),
                    "NOTIFICATIONS_URL": notifications,
                    "MESSAGES_DB": directory.appendingPathComponent("messages.sqlite").path,
                    "MESSAGE_MAX_LENGTH": "20",
                ]
                environment.merge(messagesEnvironment) { _, new in new }
                try await Demo.with(.chatMessages, environment) { messages in
                    try await body(users, messages, notifications)
                }
            }
        }
    }

    @Test func usersLookupNeedsTheTokenAndServesBothPathForms() async throws {
        try await Demo.with(.chatUsers, ["CHAT_API_TOKEN": Self.token, "USERS": "alice,bob:Bob Builder"]) { users in
            #expect(try await Demo.http.get("\(users)/users/alice").status == 401)
            #expect(
                try await Demo.http.get("\(users)/users/alice", headers: [("Authorization", "Bearer wrong")]).status
                    == 401)
            let auth = [("Authorization", "Bearer \(Self.token)")]
            let alice = try await Demo.http.get("\(users)/users/alice", headers: auth)
            #expect(alice.status == 200)
            #expect(try alice.decode(ChatUsers.User.self) == ChatUsers.User(name: "alice", displayName: "Alice"))
            // Without the Ingress prefix, as a client of the Service would say it.
            let bob = try await Demo.http.get("\(users)/bob", headers: auth)
            #expect(try bob.decode(ChatUsers.User.self).displayName == "Bob Builder")
            #expect(try await Demo.http.get("\(users)/users/zed", headers: auth).status == 404)

            let added = try await Demo.http.post(
                "\(users)/users", json: #"{"name":"zed","displayName":"Zed"}"#, headers: auth)
            #expect(added.status == 201)
            #expect(try await Demo.http.get("\(users)/users/zed", headers: auth).status == 200)
            // The probes need no token.
            #expect(try await Demo.http.get("\(users)/healthz").status == 200)
            #expect(try await Demo.http.get("\(users)/users/healthz").status == 200)
        }
    }

    @Test func aMessageIsStoredAndNotified() async throws {
        try await withChat { _, messages, notifications in
            let posted = try await Demo.http.post("\(messages)/messages", json: #"{"from":"alice","text":"hello"}"#)
            #expect(posted.status == 201)
            let message = try posted.decode(ChatMessage.self)
            #expect(message.from == "alice" && message.text == "hello" && message.id > 0)

            let history = try await Demo.http.get("\(messages)/messages?limit=10").decode([ChatMessage].self)
            #expect(history == [message])

            let alerts = try await Demo.http.get("\(notifications)/notifications")
            let recorded = try alerts.decode([ChatNotifications.Alert].self)
            #expect(recorded.count == 1)
            #expect(recorded.first?.alert["message"]?["text"]?.string == "hello")

            let metrics = try await Demo.http.get("\(messages)/metrics").body
            #expect(Demo.sample("messages_total", in: metrics) == 1)
            #expect((Demo.sample("messages_per_second", in: metrics) ?? 0) > 0)
        }
    }

    @Test func unknownSendersAndLongMessagesAreRefused() async throws {
        try await withChat { _, messages, notifications in
            let unknown = try await Demo.http.post("\(messages)/messages", json: #"{"from":"mallory","text":"hi"}"#)
            #expect(unknown.status == 422)
            #expect(unknown.body.contains("unknown user"))
            let long = try await Demo.http.post(
                "\(messages)/messages", json: #"{"from":"alice","text":"\#(String(repeating: "x", count: 21))"}"#)
            #expect(long.status == 422)
            #expect(try await Demo.http.post("\(messages)/messages", json: "{}").status == 400)
            #expect(try await Demo.http.get("\(messages)/messages").decode([ChatMessage].self).isEmpty)
            #expect(try await Demo.http.get("\(notifications)/notifications").body == "[]\n")
        }
    }

    @Test func withoutTheTokenUsersRefusesAndMessagesSaysSo() async throws {
        try await withChat(messagesEnvironment: ["CHAT_API_TOKEN": "not-the-token"]) { _, messages, _ in
            let answer = try await Demo.http.post("\(messages)/messages", json: #"{"from":"alice","text":"hi"}"#)
            #expect(answer.status == 502)
        }
    }

    @Test func anUnreachableNotifierDoesNotLoseTheMessage() async throws {
        try await withChat(messagesEnvironment: ["NOTIFICATIONS_URL": "http://127.0.0.1:1"]) { _, messages, _ in
            let posted = try await Demo.http.post("\(messages)/messages", json: #"{"from":"bob","text":"still here"}"#)
            #expect(posted.status == 201)
            let metrics = try await Demo.http.get("\(messages)/metrics").body
            #expect(Demo.sample("notifications_failed_total", in: metrics) == 1)
        }
    }

    @Test func messagesWithoutAUsersAddressAnswer503() async throws {
        let directory = try Demo.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = [
            "MESSAGES_DB": directory.appendingPathComponent("m.sqlite").path,
            // What an unresolved $(USERS_SERVICE_HOST) reference leaves behind.
            "USERS_URL": "http://$(USERS_SERVICE_HOST):$(USERS_SERVICE_PORT)",
        ]
        try await Demo.with(.chatMessages, environment) { messages in
            let answer = try await Demo.http.post("\(messages)/messages", json: #"{"from":"alice","text":"hi"}"#)
            #expect(answer.status == 503)
            #expect(answer.body.contains("USERS_SERVICE_HOST"))
        }
    }

    @Test func theStreamPushesNewMessages() async throws {
        try await withChat { _, messages, _ in
            let url = messages.replacingOccurrences(of: "http://", with: "ws://") + "/messages/stream"
            let received = try await WebSocketTail.withMessages(url: url) { stream in
                // Post once the server counts the subscriber, so the message cannot slip by.
                let subscribed = try await Demo.eventually {
                    let metrics = try await Demo.http.get("\(messages)/metrics").body
                    return Demo.sample("websocket_clients", in: metrics) == 1
                }
                #expect(subscribed)
                let posted = try await Demo.http.post("\(messages)/messages", json: #"{"from":"carol","text":"live"}"#)
                #expect(posted.status == 201)
                return try await stream.next()
            }
            let message = try JSONDecoder().decode(ChatMessage.self, from: Data(try #require(received).utf8))
            #expect(message.from == "carol" && message.text == "live")
        }
    }
}
