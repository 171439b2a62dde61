import Foundation
import Testing

@testable import KctlModel

/// Splitting ASCII manifests by bytes gives the chunks splitting by characters gave.
@Suite struct ManifestSplittingTests {
    @Test func manifestsSplitAsByCharacters() throws {
        for url in ManifestFilesTests.manifestFiles {
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(Manifest.splitASCIIDocuments(text) == Manifest.splitDocumentsByCharacter(text), "\(url.path)")
        }
    }

    /// Random joins of markers, line ends (`\r\n` among them), blanks and comments.
    @Test func generatedTextsSplitAsByCharacters() {
        let pieces = ["---", "...", "\n", "\r", "\r\n", " ", "\t", "#", "a: 1", "--- b", "-", ".", "x", "--- |"]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            let text = (0...next(12)).map { _ in pieces[next(pieces.count)] }.joined()
            if Manifest.splitASCIIDocuments(text) != Manifest.splitDocumentsByCharacter(text) { mismatches.append(text) }
        }
        for text in ["", "\n", "---", "---\r\n", "---\r", "...\r", "...\r\n", "a\r\n---\r\nb", "\r\n\n---\n"] {
            if Manifest.splitASCIIDocuments(text) != Manifest.splitDocumentsByCharacter(text) { mismatches.append(text) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).map { $0.debugDescription })")
    }

    @Test func nonASCIITextSplitsByCharacters() {
        let text = "a: é\n---\nb: 1\n--\u{301}-\nc: 2\n"
        #expect(Manifest.splitDocuments(text) == Manifest.splitDocumentsByCharacter(text))
        #expect(Manifest.splitDocuments(text).count == 2)
    }
}
