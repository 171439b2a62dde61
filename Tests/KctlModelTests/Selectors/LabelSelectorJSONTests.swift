import Testing

@testable import KctlModel

@Suite struct LabelSelectorJSONTests {
    /// `LabelSelector(json:)` gives what the Codable decoding gives, and nil exactly where it throws.
    @Test(arguments: [
        #"{}"#, #"null"#, #"[]"#, #""app""#, #"{"matchLabels":{"app":"web","tier":"db"}}"#,
        #"{"matchLabels":null,"matchExpressions":null}"#, #"{"matchLabels":{"app":1}}"#,
        #"{"matchLabels":{"app":null}}"#, #"{"matchLabels":[]}"#, #"{"matchLabels":{},"extra":true}"#,
        #"{"matchExpressions":[{"key":"a","operator":"In","values":["x","y"]},{"key":"b","operator":"Exists"}]}"#,
        #"{"matchExpressions":[{"key":"a","operator":"NotIn","values":null}]}"#,
        #"{"matchExpressions":[{"key":"a","operator":"DoesNotExist","values":[]}]}"#,
        #"{"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]}"#,
        #"{"matchExpressions":[{"key":"a","operator":"In","values":["x",null]}]}"#,
        #"{"matchExpressions":[{"key":"a","operator":"In","values":"x"}]}"#,
        #"{"matchExpressions":[{"operator":"In"}]}"#, #"{"matchExpressions":[{"key":null,"operator":"In"}]}"#,
        #"{"matchExpressions":[{"key":"a"}]}"#, #"{"matchExpressions":[null]}"#, #"{"matchExpressions":{}}"#,
        #"{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"a","operator":"Exists","other":1}]}"#,
    ])
    func agreesWithTheCodableDecoding(_ text: String) throws {
        let json = try JSONValue.parse(text)
        #expect(LabelSelector(json: json) == (try? json.decode(LabelSelector.self)))
    }
}
