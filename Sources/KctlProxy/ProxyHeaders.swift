import NIOCore
import NIOHTTP1

/// How the ingress proxy rewrites request and response heads: hop-by-hop headers stay on their
/// hop, the backend learns who asked (`X-Forwarded-*`), and each side's keep-alive is decided
/// separately. Pure functions, so the rules are testable without sockets.
enum ProxyHeaders {
    /// Headers that describe one connection, not the message (RFC 9110 7.6.1). `Transfer-Encoding`
    /// is not among them here: NIO decodes the chunks and its encoders frame the body again from
    /// that header and `Content-Length`.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authenticate",
        "proxy-authorization",
    ]

    /// Whether a request asks to switch protocols (`Connection: Upgrade` and an `Upgrade` header).
    static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            && !head.headers["upgrade"].isEmpty
    }

    /// The request as sent to a backend: HTTP/1.1, hop-by-hop headers removed (except the upgrade
    /// pair of an upgrade), `X-Forwarded-For` extended with the client's address,
    /// `X-Forwarded-Proto: http`, and `X-Forwarded-Host` set from `Host`. `Host` is kept.
    /// `upgrade` is `isUpgrade(head)`, when the caller has it already.
    static func backendRequest(_ head: HTTPRequestHead, clientAddress: String?, upgrade: Bool? = nil) -> HTTPRequestHead {
        var out = head
        out.version = .http1_1
        let upgrade = upgrade ?? isUpgrade(head)
        removeHopByHop(&out.headers)
        if upgrade {
            out.headers.add(name: "Connection", value: "Upgrade")
            for value in head.headers["upgrade"] { out.headers.add(name: "Upgrade", value: value) }
        }
        var forwardedFor = head.headers["x-forwarded-for"].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        if let clientAddress { forwardedFor.append(clientAddress) }
        out.headers.remove(name: "X-Forwarded-For")
        if !forwardedFor.isEmpty {
            out.headers.add(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", "))
        }
        out.headers.replaceOrAdd(name: "X-Forwarded-Proto", value: "http")
        if let host = head.headers["host"].first {
            out.headers.replaceOrAdd(name: "X-Forwarded-Host", value: host)
        } else {
            out.headers.remove(name: "X-Forwarded-Host")
        }
        return out
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
        let informational = (100..<200).contains(head.status)
        if head.version == version, !head.hasHopByHop || head.status == 101, !unwrapped,
            informational || (keepAlive && version == .http1_1)
        {
            return head.bytes
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

    /// Writes a request head in HTTP/1.x form.
    static func write(_ head: HTTPRequestHead, to buffer: inout ByteBuffer) {
        buffer.writeString("\(head.method.rawValue) \(head.uri) HTTP/\(head.version.major).\(head.version.minor)\r\n")
        write(head.headers, to: &buffer)
    }

    /// Whether a message's body is chunked (`Transfer-Encoding` ends with `chunked`).
    static func isChunked(_ headers: HTTPHeaders) -> Bool {
        guard let last = headers[canonicalForm: "transfer-encoding"].last else { return false }
        return equalIgnoringCase(String(last), "chunked")
    }

    /// Writes a response head in HTTP/1.x form.
    static func write(_ head: HTTPResponseHead, to buffer: inout ByteBuffer) {
        buffer.writeString("HTTP/\(head.version.major).\(head.version.minor) \(head.status.code) \(head.status.reasonPhrase)\r\n")
        write(head.headers, to: &buffer)
    }

    /// Writes header lines and the blank line after them.
    static func write(_ headers: HTTPHeaders, to buffer: inout ByteBuffer) {
        for (name, value) in headers {
            buffer.writeString(name)
            buffer.writeString(": ")
            buffer.writeString(value)
            buffer.writeString("\r\n")
        }
        buffer.writeString("\r\n")
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
