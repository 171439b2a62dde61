/// Checks `condition` every `interval` until it holds or `limit` has passed, and says whether it
/// held: the one polling loop behind the test targets' `eventually` helpers, each of which keeps
/// its own defaults and way of failing. Tests wait on a condition this way, never on a fixed sleep.
public func pollUntil(
    within limit: Duration, every interval: Duration, _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return false
}
