import KctlAgent
import Testing

@Suite struct CrashLoopBackOffTests {
    @Test func firstRestartIsImmediateThenDelaysDoubleUpToTheCap() {
        var backOff = CrashLoopBackOff(policy: BackOffPolicy(initial: .seconds(10), max: .seconds(300)))
        let delays = (0..<9).map { _ in backOff.delayAfterExit(ranFor: .milliseconds(50)) }
        #expect(delays == [0, 10, 20, 40, 80, 160, 300, 300, 300].map { Duration.seconds($0) })
        #expect(backOff.restarts == 9)
    }

    @Test func aCapThatIsNoPowerOfTwoTimesTheBaseIsReachedExactly() {
        var backOff = CrashLoopBackOff(policy: BackOffPolicy(initial: .milliseconds(500), max: .seconds(3)))
        let delays = (0..<6).map { _ in backOff.delayAfterExit(ranFor: .zero) }
        #expect(delays == [.zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3)])
    }

    @Test func aLongRunStartsANewSeries() {
        var backOff = CrashLoopBackOff(policy: BackOffPolicy(initial: .seconds(1), max: .seconds(8), resetAfter: .seconds(60)))
        for _ in 0..<5 { _ = backOff.delayAfterExit(ranFor: .seconds(1)) }
        #expect(backOff.nextDelay == .seconds(8))
        #expect(backOff.delayAfterExit(ranFor: .seconds(59)) == .seconds(8))  // just short of the window
        #expect(backOff.delayAfterExit(ranFor: .seconds(60)) == .zero)
        #expect(backOff.delayAfterExit(ranFor: .seconds(2)) == .seconds(1))
        backOff.reset()
        #expect(backOff.restarts == 0)
        #expect(backOff.delayAfterExit(ranFor: .zero) == .zero)
    }

    @Test func defaultsAreTheKubeletsAndTheResetWindowIsTwiceTheCap() {
        #expect(BackOffPolicy.kubernetes == BackOffPolicy(initial: .seconds(10), max: .seconds(300), resetAfter: .seconds(600)))
        #expect(BackOffPolicy(initial: .seconds(1), max: .seconds(30)).resetAfter == .seconds(60))
    }

    @Test func hugeRestartCountsDoNotOverflow() {
        var backOff = CrashLoopBackOff(policy: BackOffPolicy(initial: .seconds(10), max: .seconds(300)))
        for _ in 0..<10_000 { _ = backOff.delayAfterExit(ranFor: .zero) }
        #expect(backOff.nextDelay == .seconds(300))
    }

    // MARK: The annotation

    @Test func annotationsParseAnySubset() throws {
        #expect(
            try BackOffPolicy.parse(annotation: "initial=1s,max=30s,reset=2m").get()
                == BackOffPolicy.Override(initial: .seconds(1), max: .seconds(30), resetAfter: .seconds(120)))
        #expect(
            try BackOffPolicy.parse(annotation: " max = 30s , initial=500ms ").get()
                == BackOffPolicy.Override(initial: .milliseconds(500), max: .seconds(30)))
        #expect(try BackOffPolicy.parse(annotation: "reset=1h").get() == BackOffPolicy.Override(resetAfter: .seconds(3600)))
    }

    @Test(arguments: [
        ("initial=1s,speed=2", "unknown key \"speed\" (known: initial, max, reset)"),
        ("initial=fast", "invalid duration \"fast\" for initial (write it like 500ms, 10s, 2m, 1h)"),
        ("initial", "\"initial\" is not key=duration"),
        ("initial=1s,", "\"\" is not key=duration"),
        ("=1s", "\"=1s\" is not key=duration"),
        ("max=1m,max=2m", "max is given twice"),
    ])
    func malformedAnnotationsSayWhy(text: String, message: String) {
        #expect(BackOffPolicy.parse(annotation: text) == .failure(BackOffPolicy.ParseError(message)))
    }

    @Test func overridesApplyOverTheNodePolicy() {
        let node = BackOffPolicy(initial: .seconds(10), max: .seconds(300))
        let annotated = { (text: String) in node.overridden(by: [BackOffPolicy.annotation: text]) }

        let full = annotated("initial=1s,max=30s,reset=2m")
        #expect(full.0 == BackOffPolicy(initial: .seconds(1), max: .seconds(30), resetAfter: .seconds(120)))
        #expect(full.warning == nil)

        // A new cap without a reset window resets after twice the new cap.
        #expect(annotated("initial=1s,max=30s").0 == BackOffPolicy(initial: .seconds(1), max: .seconds(30), resetAfter: .seconds(60)))
        #expect(annotated("initial=2s").0 == BackOffPolicy(initial: .seconds(2), max: .seconds(300), resetAfter: .seconds(600)))

        #expect(node.overridden(by: nil) == (node, nil))
        #expect(node.overridden(by: ["other": "x"]) == (node, nil))
        #expect(node.overridden(by: [BackOffPolicy.annotation: "  "]) == (node, nil))
    }

    @Test(arguments: [
        ("max=1s", "max (1s) must not be less than initial (10s)"),
        ("initial=0s", "initial must be positive"),
        ("reset=0", "reset must be positive"),
        ("initial=soon", "invalid duration \"soon\" for initial (write it like 500ms, 10s, 2m, 1h)"),
    ])
    func badOverridesKeepTheNodePolicyWithAWarning(text: String, reason: String) {
        let node = BackOffPolicy(initial: .seconds(10), max: .seconds(300))
        let (policy, warning) = node.overridden(by: [BackOffPolicy.annotation: text])
        #expect(policy == node)
        #expect(
            warning
                == "ignoring annotation kctl.dev/restart-backoff=\"\(text)\": \(reason); using initial=10s,max=5m,reset=10m")
    }
}
