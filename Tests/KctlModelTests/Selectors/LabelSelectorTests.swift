import Testing

@testable import KctlModel

@Suite struct LabelSelectorTests {
    @Test func parsesEqualityForms() throws {
        let s = try LabelSelector.parse("app=chat, tier == web")
        #expect(s.matchLabels == ["app": "chat", "tier": "web"])
        #expect(s.matchExpressions == nil)
        #expect(s.matches(["app": "chat", "tier": "web", "x": "y"]))
        #expect(!s.matches(["app": "chat"]))
    }

    @Test func emptySelectsEverything() throws {
        let s = try LabelSelector.parse("   ")
        #expect(s.isEmpty)
        #expect(s.matches([:]))
        #expect(s.matches(["a": "b"]))
        #expect(s.stringForm == "")
    }

    @Test func notEqualsMatchesAbsentKey() throws {
        let s = try LabelSelector.parse("tier!=db")
        #expect(s.matches([:]))
        #expect(s.matches(["tier": "web"]))
        #expect(!s.matches(["tier": "db"]))
    }

    @Test func setOperators() throws {
        let s = try LabelSelector.parse("env in (a, b),zone notin (x,y)")
        #expect(s.matches(["env": "a"]))
        #expect(s.matches(["env": "b", "zone": "z"]))
        #expect(!s.matches(["env": "c"]))
        #expect(!s.matches(["env": "a", "zone": "y"]))
        #expect(!s.matches(["zone": "z"]))
    }

    @Test func existence() throws {
        let s = try LabelSelector.parse("app,!legacy")
        #expect(s.matches(["app": ""]))
        #expect(!s.matches(["app": "x", "legacy": "1"]))
        #expect(!s.matches([:]))
    }

    @Test func prefixedKeysAndEmptyValue() throws {
        let s = try LabelSelector.parse("example.com/role=,kubernetes.io/os=linux")
        #expect(s.matches(["example.com/role": "", "kubernetes.io/os": "linux"]))
        #expect(!s.matches(["kubernetes.io/os": "linux"]))
    }

    @Test func conflictingEqualitiesMatchNothing() throws {
        let s = try LabelSelector.parse("app=a,app=b")
        #expect(!s.matches(["app": "a"]))
        #expect(!s.matches(["app": "b"]))
    }

    @Test func stringFormRoundTrips() throws {
        let text = "app=chat,env in (a,b),tier!=db,zone notin (x,y),ready,!legacy"
        let s = try LabelSelector.parse(text)
        #expect(s.stringForm == text)
        #expect(try LabelSelector.parse(s.stringForm) == s)
    }

    @Test(arguments: [
        "app=", "=x", "app in a", "app in (a", "app=a b", "app==x==y", "-bad=x", "a/b/c=x",
        "app=\(String(repeating: "v", count: 64))", "app=chat,", "app=-x", "UPPER.com/x=y", "app in (a b)",
    ])
    func rejectsBadSelectors(text: String) throws {
        if text == "app=" {
            // An empty value is legal.
            _ = try LabelSelector.parse(text)
            return
        }
        #expect(throws: StatusError.self) { try LabelSelector.parse(text) }
    }

    @Test func errorNamesTheBadPart() throws {
        do {
            _ = try LabelSelector.parse("app=chat,tier=-db")
            Issue.record("expected a failure")
        } catch let error as StatusError {
            #expect(error.code == 400)
            #expect(error.message.contains("\"-db\""))
        }
    }

    @Test func typedSelectorValidation() {
        let s = LabelSelector(
            matchLabels: ["app": "ok", "bad key": "v"],
            matchExpressions: [
                .init(key: "env", operator: .in, values: []),
                .init(key: "x", operator: .exists, values: ["y"]),
            ])
        let causes = s.validate(path: "spec.selector")
        #expect(causes.map(\.field).contains("spec.selector.matchLabels"))
        #expect(causes.map(\.field).contains("spec.selector.matchExpressions[0].values"))
        #expect(causes.map(\.field).contains("spec.selector.matchExpressions[1].values"))
        #expect(LabelSelector(matchLabels: ["app": "chat"]).validate(path: "s").isEmpty)
    }

    @Test func plainMapMatching() {
        #expect(LabelSelector.labelsMatch(["app": "chat"], ["app": "chat", "x": "y"]))
        #expect(!LabelSelector.labelsMatch(["app": "chat"], [:]))
    }
}

@Suite struct FieldSelectorTests {
    let pod = KubeObject([
        "kind": "Pod",
        "metadata": ["name": "web-1", "namespace": "default"],
        "spec": ["nodeName": "node-a"],
        "status": ["phase": "Running"],
    ])

    @Test func matchesDottedPaths() throws {
        #expect(try FieldSelector.parse("metadata.name=web-1").matches(pod))
        #expect(try FieldSelector.parse("metadata.name==web-1,spec.nodeName=node-a").matches(pod))
        #expect(try !FieldSelector.parse("status.phase!=Running").matches(pod))
        #expect(try FieldSelector.parse("status.phase!=Pending").matches(pod))
    }

    @Test func missingFieldIsEmptyString() throws {
        #expect(try FieldSelector.parse("spec.missing=").matches(pod))
        #expect(try FieldSelector.parse("spec.missing!=x").matches(pod))
        #expect(try !FieldSelector.parse("spec.missing=x").matches(pod))
    }

    @Test func emptyMatchesAll() throws {
        let s = try FieldSelector.parse("")
        #expect(s.isEmpty)
        #expect(s.matches(pod))
    }

    @Test func escapesAndRequiredValue() throws {
        let s = try FieldSelector.parse(#"metadata.name=a\,b"#)
        #expect(s.requiredValue(for: "metadata.name") == "a,b")
        #expect(try FieldSelector.parse(s.stringForm) == s)
    }

    @Test(arguments: ["metadata.name", "=x", "a=b=c", "a=b,", "a=b\\"])
    func rejectsBadSelectors(text: String) {
        #expect(throws: StatusError.self) { try FieldSelector.parse(text) }
    }
}
