import Foundation
import NIOCore
import NIOPosix

/// A minimal WebSocket client (RFC 6455, client side, text messages): `kctl-demo tail --url
/// ws://.../messages/stream` prints the chat live, and tests read the streams with it. It reads
/// frames straight off a NIO channel; it answers pings and closes, and does not send messages.
public enum WebSocketTail {
    /// Why the stream could not be opened or read.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to `url` (`ws://host:port/path`), runs `body` with the incoming messages, then closes.
    public static func withMessages<T: Sendable>(
        url: String, _ body: (inout Messages) async throws -> T
    ) async throws -> T {
        guard let parsed = URL(string: url), let host = parsed.host, ["ws", "http"].contains(parsed.scheme ?? "")
        else {
            throw Failure(description: "not a ws:// URL: \(url)")
        }
        let port = parsed.port ?? 80
        var target = parsed.path.isEmpty ? "/" : parsed.path
        if let query = parsed.query { target += "?" + query }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let handshake =
                "GET \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
            try await outbound.write(ByteBuffer(string: handshake))
            var messages = Messages(iterator: inbound.makeAsyncIterator(), outbound: outbound)
            try await messages.readHandshake()
            return try await body(&messages)
        }
    }

    /// The text (and binary, as UTF-8) messages of one connection.
    public struct Messages {
        var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
        var buffer: [UInt8] = []
        var fragments: [UInt8] = []
        var closed = false

        /// The next message; nil once the server closed the stream.
        public mutating func next() async throws -> String? {
            while !closed {
                guard let frame = try parseFrame() else {
                    guard try await fill() else { return nil }
                    continue
                }
                switch frame.opcode {
                case 0x0, 0x1, 0x2:
                    fragments += frame.payload
                    if frame.fin {
                        defer { fragments = [] }
                        return String(decoding: fragments, as: UTF8.self)
                    }
                case 0x8:
                    closed = true
                    try? await outbound.write(Self.clientFrame(opcode: 0x8, payload: Array(frame.payload.prefix(2))))
                    return nil
                case 0x9:
                    try await outbound.write(Self.clientFrame(opcode: 0xA, payload: frame.payload))
                default:
                    continue
                }
            }
            return nil
        }

        mutating func readHandshake() async throws {
            let end: [UInt8] = Array("\r\n\r\n".utf8)
            while true {
                if let range = buffer.firstRange(of: end) {
                    let head = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                    buffer.removeSubrange(..<range.upperBound)
                    guard head.hasPrefix("HTTP/1.1 101") else {
                        throw Failure(description: "no WebSocket upgrade: \(head.prefix { $0 != "\r" })")
                    }
                    return
                }
                guard try await fill() else { throw Failure(description: "connection closed during the handshake") }
            }
        }

        /// Reads more bytes; false at end of stream.
        private mutating func fill() async throws -> Bool {
            guard var chunk = try await iterator.next() else {
                closed = true
                return false
            }
            buffer += chunk.readBytes(length: chunk.readableBytes) ?? []
            return true
        }

        /// One whole frame from the front of the buffer, or nil when more bytes are needed.
        private mutating func parseFrame() throws -> (fin: Bool, opcode: UInt8, payload: [UInt8])? {
            guard buffer.count >= 2 else { return nil }
            var offset = 2
            var length = Int(buffer[1] & 0x7f)
            let extra = length == 126 ? 2 : length == 127 ? 8 : 0
            guard buffer.count >= offset + extra else { return nil }
            if extra > 0 {
                length = buffer[offset..<offset + extra].reduce(0) { $0 << 8 | Int($1) }
                offset += extra
            }
            let masked = buffer[1] & 0x80 != 0
            let mask = masked ? Array(buffer[offset..<min(buffer.count, offset + 4)]) : []
            if masked { offset += 4 }
            guard length >= 0, length < 64 << 20 else { throw Failure(description: "frame too large") }
            guard buffer.count >= offset + length else { return nil }
            var payload = Array(buffer[offset..<offset + length])
            if masked { for i in payload.indices { payload[i] ^= mask[i % 4] } }
            let frame = (fin: buffer[0] & 0x80 != 0, opcode: buffer[0] & 0x0f, payload: payload)
            buffer.removeFirst(offset + length)
            return frame
        }

        /// A frame as a client must send it: masked.
        static func clientFrame(opcode: UInt8, payload: [UInt8]) -> ByteBuffer {
            var bytes: [UInt8] = [0x80 | opcode]
            if payload.count < 126 {
                bytes.append(0x80 | UInt8(payload.count))
            } else {
                bytes.append(0x80 | 126)
                bytes += [UInt8(payload.count >> 8 & 0xff), UInt8(payload.count & 0xff)]
            }
            let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
            bytes += mask
            bytes += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
            return ByteBuffer(bytes: bytes)
        }
    }
}
