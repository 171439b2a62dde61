import NIOCore
import NIOHTTP1

/// How the ingress proxy rewrites request and response heads: hop-by-hop headers stay on their
/// hop, the backend learns who asked (`X-Forwarded-*`), and each side's keep-alive is decided
/// separately. Pure functions, so the rules are testable without sockets.
enum ProxyHeaders {
    /// Headers that describe one connection, not the message (RFC 9110 7.6.1). `Transfer-Encoding`
    /// is not among them here: a body goes on framed as it came (chunks as they are), which that
    /// header or `Content-Length` says.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate",
        "proxy-authorization",
    ]

    /// The request head as sent to a backend, in bytes: HTTP/1.1, hop-by-hop headers removed
    /// (those `Connection` names too; an upgrade keeps `Connection: Upgrade` and `Upgrade`),
    /// `X-Forwarded-For` extended with the client's address, `X-Forwarded-Proto: http`, and
    /// `X-Forwarded-Host` set from `Host`, which is kept. The client's lines are copied as they
    /// came; when none has to go (most requests), as one block.
    static func backendRequest(_ head: RequestFramer.Head, clientAddress: String?) -> ByteBuffer {
        backendRequest(head, forwardedLines: forwardedLines(head, clientAddress: clientAddress))
    }

    /// `backendRequest` with the lines the ingress adds made already (`forwardedLines`): a client
    /// connection keeps them while its requests name the same `Host` and carry no
    /// `X-Forwarded-For`, and the head is then two copies.
    static func backendRequest(_ head: RequestFramer.Head, forwardedLines: ByteBuffer) -> ByteBuffer {
        let bytes = head.bytes
        let headersEnd = bytes.readableBytes - 2
        var out = ByteBuffer()
        out.reserveCapacity(bytes.readableBytes + forwardedLines.readableBytes + 32)
        // The request line up to its version (`HTTP/1.x` and CRLF are its last 10 bytes).
        out.writeImmutableBuffer(bytes.getSlice(at: bytes.readerIndex, length: head.headersStart - 10)!)
        out.writeStaticString("HTTP/1.1\r\n")
        if !head.dropsHeaders {
            out.writeImmutableBuffer(
                bytes.getSlice(at: bytes.readerIndex + head.headersStart, length: headersEnd - head.headersStart)!)
        } else {
            bytes.withUnsafeReadableBytes { raw in
                var lineStart = head.headersStart
                while lineStart < headersEnd, let end = HeadLines.lineEnd(raw, from: lineStart) {
                    defer { lineStart = end }
                    let line = UnsafeRawBufferPointer(rebasing: raw[lineStart..<end])
                    let name = UnsafeRawBufferPointer(rebasing: line[..<(line.firstIndex(of: UInt8(ascii: ":")) ?? 0)])
                    if isHopByHop(name) || isForwarded(name)
                        || head.connectionNames.contains(where: { equalIgnoringCase(name, $0) })
                    {
                        continue
                    }
                    out.writeBytes(line)
                }
            }
        }
        if head.isUpgrade {
            out.writeStaticString("Connection: Upgrade\r\n")
            for value in head.upgrade { writeLine("Upgrade", value, to: &out) }
        }
        out.writeImmutableBuffer(forwardedLines)
        return out
    }

    /// The `X-Forwarded-*` lines for a request and the blank line that ends its head.
    static func forwardedLines(_ head: RequestFramer.Head, clientAddress: String?) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(64 + (head.host?.utf8.count ?? 0) + (clientAddress?.utf8.count ?? 0))
        if head.forwardedFor.isEmpty {
            if let clientAddress { writeLine("X-Forwarded-For", clientAddress, to: &out) }
        } else {
            writeLine("X-Forwarded-For", (head.forwardedFor + (clientAddress.map { [$0] } ?? [])).joined(separator: ", "), to: &out)
        }
        out.writeStaticString("X-Forwarded-Proto: http\r\n")
        if let host = head.host { writeLine("X-Forwarded-Host", host, to: &out) }
        out.writeStaticString("\r\n")
        return out
    }

    /// `X-Forwarded-For`, `-Proto` or `-Host`: the ingress sets these itself.
    private static func isForwarded(_ name: some Collection<UInt8>) -> Bool {
        switch name.count {
        case 15: return equalIgnoringCase(name, "x-forwarded-for")
        case 16: return equalIgnoringCase(name, "x-forwarded-host")
        case 17: return equalIgnoringCase(name, "x-forwarded-proto")
        default: return false
        }
    }

    private static func writeLine(_ name: String, _ value: String, to buffer: inout ByteBuffer) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }

    /// The response as sent to the client: hop-by-hop headers removed, the client's HTTP version,
    /// and `Connection: close` when the client connection ends after it (`keep-alive` for an
    /// HTTP/1.0 client that keeps it).
    static func clientResponse(_ head: HTTPResponseHead, version: HTTPVersion, keepAlive: Bool) -> HTTPResponseHead {
        var out = head
        out.version = version
        removeHopByHop(&out.headers)
        if !keepAlive {
            out.headers.add(name: "Connection", value: "close")
        } else if version == .http1_0 {
            out.headers.add(name: "Connection", value: "keep-alive")
        }
        return out
    }

    /// A `101 Switching Protocols` answer as sent to the client: unchanged but for the version, so
    /// that `Connection: Upgrade` and `Upgrade` reach it.
    static func switchingResponse(_ head: HTTPResponseHead, version: HTTPVersion) -> HTTPResponseHead {
        var out = head
        out.version = version
        return out
    }

    /// A backend's response head as the client gets it: the bytes as received when nothing in
    /// them has to change (same version, no hop-by-hop header, the connection kept), else
    /// rewritten by `clientResponse` (or for a `1xx`, `switchingResponse`, without hop-by-hop
    /// headers but for a `101`'s). `unwrapped`: the chunks of the body reach the client unwrapped,
    /// so `Transfer-Encoding` goes too.
    static func clientResponse(
        _ head: ResponseFramer.Head, version: HTTPVersion, keepAlive: Bool, unwrapped: Bool = false
    ) -> ByteBuffer {
        rewrittenResponse(head, version: version, keepAlive: keepAlive, unwrapped: unwrapped) ?? head.bytes
    }

    /// `clientResponse` when the head must change; nil when it goes on as received.
    static func rewrittenResponse(
        _ head: ResponseFramer.Head, version: HTTPVersion, keepAlive: Bool, unwrapped: Bool = false
    ) -> ByteBuffer? {
        let informational = (100..<200).contains(head.status)
        if head.version == version, !head.hasHopByHop || head.status == 101, !unwrapped,
            informational || (keepAlive && version == .http1_1)
        {
            return nil
        }
        var parsed = parseResponseHead(head)
        if head.status == 101 {
            parsed = switchingResponse(parsed, version: version)
        } else if informational {
            parsed = switchingResponse(parsed, version: version)
            removeHopByHop(&parsed.headers)
        } else {
            parsed = clientResponse(parsed, version: version, keepAlive: keepAlive)
            if unwrapped { parsed.headers.remove(name: "Transfer-Encoding") }
        }
        var out = ByteBuffer()
        out.reserveCapacity(head.bytes.readableBytes + 32)
        write(parsed, to: &out)
        return out
    }

    /// The head `ResponseFramer` has checked, as NIO's type (the slow path of a rewrite).
    static func parseResponseHead(_ head: ResponseFramer.Head) -> HTTPResponseHead {
        let text = String(decoding: head.bytes.readableBytesView, as: UTF8.self)
        // "\r\n" is one Character: splitting on newlines takes either line end.
        var lines = text.split(whereSeparator: \.isNewline)[...]
        let statusLine = lines.popFirst() ?? ""
        let reason = statusLine.dropFirst(13)
        var headers = HTTPHeaders()
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(name: String(line[..<colon]), value: line[line.index(after: colon)...].trimmingSpaces())
        }
        return HTTPResponseHead(
            version: head.version, status: HTTPResponseStatus(statusCode: head.status, reasonPhrase: String(reason)),
            headers: headers)
    }

    /// Whether a `Transfer-Encoding` value's last coding is `chunked`.
    static func endsWithChunked(_ value: some Collection<UInt8>) -> Bool {
        guard let last = HeadLines.listElements(value).last else { return false }
        return equalIgnoringCase(last, "chunked")
    }

    /// Writes a response head in HTTP/1.x form.
    static func write(_ head: HTTPResponseHead, to buffer: inout ByteBuffer) {
        buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) \(head.status.code) \(head.status.reasonPhrase)\r\n")
        write(head.headers, to: &buffer)
    }

    /// Writes header lines and the blank line after them.
    static func write(_ headers: HTTPHeaders, to buffer: inout ByteBuffer) {
        for (name, value) in headers { writeLine(name, value, to: &buffer) }
        buffer.writeStaticString("\r\n")
    }

    /// Removes the hop-by-hop headers and those `Connection` names. One pass over the headers
    /// when there is none (most messages), and no copy.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        guard headers.contains(where: { isHopByHop($0.name) }) else { return }
        let named = Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
            .subtracting(["transfer-encoding", "content-length"])
        var kept = HTTPHeaders()
        kept.reserveCapacity(headers.count)
        for (name, value) in headers where !isHopByHop(name) && !(named.contains { equalIgnoringCase(name, $0) }) {
            kept.add(name: name, value: value)
        }
        headers = kept
    }

    /// Whether `name` is one of `hopByHop`, compared without allocating.
    static func isHopByHop(_ name: String) -> Bool { isHopByHop(name.utf8) }

    /// `isHopByHop` on a name's bytes (as the response framer reads them).
    static func isHopByHop(_ name: some Collection<UInt8>) -> Bool {
        switch name.count {
        case 2: return equalIgnoringCase(name, "te")
        case 7: return equalIgnoringCase(name, "trailer") || equalIgnoringCase(name, "upgrade")
        case 10: return equalIgnoringCase(name, "connection") || equalIgnoringCase(name, "keep-alive")
        case 16: return equalIgnoringCase(name, "proxy-connection")
        case 18: return equalIgnoringCase(name, "proxy-authenticate")
        case 19: return equalIgnoringCase(name, "proxy-authorization")
        default: return false
        }
    }

    /// ASCII case-insensitive equality with an already lowercase `lowercased`.
    static func equalIgnoringCase(_ name: String, _ lowercased: String) -> Bool {
        equalIgnoringCase(name.utf8, lowercased)
    }

    /// `equalIgnoringCase` on bytes.
    static func equalIgnoringCase(_ name: some Collection<UInt8>, _ lowercased: String) -> Bool {
        guard name.count == lowercased.utf8.count else { return false }
        return zip(name, lowercased.utf8).allSatisfy { a, b in
            a == b || ((65...90).contains(a) && a | 0x20 == b)
        }
    }
}

extension Substring {
    /// Without the spaces and tabs around it.
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
