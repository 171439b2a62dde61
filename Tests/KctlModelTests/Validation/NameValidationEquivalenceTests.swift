import Foundation
import Testing

@testable import KctlModel

/// The name rules read bytes where a name's characters are single bytes: every rule gives the
/// same messages as the character-by-character reference, for names valid or not, ASCII or not.
@Suite struct NameValidationEquivalenceTests {
    static var corpus: [String] {
        var texts = [
            "", "a", "A", "0", "-", ".", "_", "/", "a-b", "a_b", "a.b", "-a", "a-", ".a", "a.", "my-name", "My.Name_1",
            "example.com/name", "example.com/", "/name", "a/b/c", "Example.com/x", "ex_ample.com/x", "a..b", "a.-b.c",
            "kubernetes.io/change-cause", "deployment.kubernetes.io/revision", "app", "bench-12-7d9f5c8b6d-x2k9p",
            "café", "naïve-name", "e\u{301}", "a\u{301}", "./\u{301}", "a/\u{301}b", "a.\u{301}b", "a\r\nb", "\r\n",
            "name\r\n", "日本", "a b", "tab\tname", "quote\"", "UPPER", "lower-UPPER", "123-abc", "1.2.3.4",
        ]
        texts.append(String(repeating: "a", count: 63))
        texts.append(String(repeating: "a", count: 64))
        texts.append(String(repeating: "a", count: 253))
        texts.append(String(repeating: "a.", count: 127))
        texts.append(String(repeating: "é", count: 40))
        texts.append(String(repeating: "é", count: 64))
        texts.append(String(repeating: "e\u{301}", count: 63))
        texts.append(String(repeating: "\r\n", count: 40))
        texts.append(String(repeating: "b", count: 253) + ".c")
        texts.append("prefix.example/" + String(repeating: "n", count: 64))
        texts.append(String(repeating: "p", count: 254) + "/name")
        return texts
    }

    @Test func everyRuleAgreesWithTheReference() {
        for text in Self.corpus {
            #expect(NameValidation.dns1123Label(text) == ReferenceNameValidation.dns1123Label(text), "\(text.debugDescription)")
            #expect(NameValidation.dns1123Subdomain(text) == ReferenceNameValidation.dns1123Subdomain(text), "\(text.debugDescription)")
            #expect(NameValidation.qualifiedName(text) == ReferenceNameValidation.qualifiedName(text), "\(text.debugDescription)")
            #expect(NameValidation.labelValue(text) == ReferenceNameValidation.labelValue(text), "\(text.debugDescription)")
            #expect(NameValidation.dns1035Label(text) == ReferenceNameValidation.dns1035Label(text), "\(text.debugDescription)")
            #expect(NameValidation.configMapKey(text) == ReferenceNameValidation.configMapKey(text), "\(text.debugDescription)")
            #expect(NameValidation.portName(text) == ReferenceNameValidation.portName(text), "\(text.debugDescription)")
            #expect(NameValidation.isQualifiedPart(text) == ReferenceNameValidation.isQualifiedPart(text), "\(text.debugDescription)")
        }
    }
}
