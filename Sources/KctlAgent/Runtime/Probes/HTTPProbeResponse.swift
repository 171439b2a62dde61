/// Reads just enough of an HTTP/1.x response for a probe: the status code, then at most 10 KiB of
/// body, which is discarded (Kubernetes reads the same amount; reading it lets the server finish
/// its write instead of meeting a reset). A pure value fed with bytes as they arrive.
struct HTTPProbeResponse {
    enum Progress: Equatable {
        case needMore
        /// The status code; the connection can be closed.
        case complete(Int)
        case failed(String)
    }

    static let bodyLimit = 10 * 1024
    static let headLimit = 64 * 1024

    private enum BodyEnd {
        case length(Int)
        case chunked
        case close
    }

    private var head: [UInt8] = []
    private var status: Int?
    private var bodyEnd = BodyEnd.close
    private var bodyRead = 0
    private var bodyTail: [UInt8] = []
    private var finished: Progress?

    /// Feeds the next bytes of the response.
    mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Progress {
        if let finished { return finished }
        if let status { return record(body: Array(bytes)[...], status: status) }
        head.append(contentsOf: bytes)
        // Informational responses (100 Continue) come before the real one; skip them.
        while let end = Self.endOfHead(head) {
            let block = Array(head[..<end])
            head.removeSubrange(..<(end + 4))
            switch parseHead(block) {
            case .failed(let message): return finish(.failed(message))
            case .complete(let code) where (100..<200).contains(code): continue
            case .complete(let code):
                status = code
                let rest = head[...]
                head = []
                if case .length(0) = bodyEnd { return finish(.complete(code)) }
                if code == 204 || code == 304 { return finish(.complete(code)) }
                return record(body: rest, status: code)
            case .needMore: break
            }
        }
        if head.count > Self.headLimit { return finish(.failed("response headers exceed 64 KiB")) }
        return .needMore
    }

    /// The server closed the connection.
    mutating func endOfStream() -> Progress {
        if let finished { return finished }
        if let status { return finish(.complete(status)) }
        if head.isEmpty { return finish(.failed("EOF")) }
        return finish(.failed("malformed HTTP response \(Self.quoted(firstLine(head)))"))
    }

    private mutating func finish(_ progress: Progress) -> Progress {
        finished = progress
        return progress
    }

    private mutating func record(body: ArraySlice<UInt8>, status: Int) -> Progress {
        bodyRead += body.count
        switch bodyEnd {
        case .length(let length):
            if bodyRead >= min(length, Self.bodyLimit) { return finish(.complete(status)) }
        case .chunked:
            // The last chunk: "0\r\n\r\n" (trailers are not expected from a health endpoint).
            bodyTail = Array((bodyTail + body).suffix(5))
            if bodyTail == Array("0\r\n\r\n".utf8) { return finish(.complete(status)) }
        case .close:
            break
        }
        if bodyRead >= Self.bodyLimit { return finish(.complete(status)) }
        return .needMore
    }

    private mutating func parseHead(_ block: [UInt8]) -> Progress {
        let lines = block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map {
            String(decoding: $0.last == UInt8(ascii: "\r") ? $0.dropLast() : $0, as: UTF8.self)
        }
        let statusLine = lines.first ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let code = Int(parts[1]),
            code >= 100
        else { return .failed("malformed HTTP response \(Self.quoted(statusLine))") }
        bodyEnd = .close
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces.lowercased()
            if name == "content-length", let length = Int(value), length >= 0 {
                if case .chunked = bodyEnd { continue }  // chunked wins, as HTTP/1.1 says
                bodyEnd = .length(length)
            } else if name == "transfer-encoding", value.hasSuffix("chunked") {
                bodyEnd = .chunked
            }
        }
        return .complete(code)
    }

    private static func endOfHead(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    private func firstLine(_ bytes: [UInt8]) -> String {
        let line = bytes.prefix { $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }.prefix(80)
        return String(decoding: line, as: UTF8.self)
    }

    private static func quoted(_ text: String) -> String { "\"\(text)\"" }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
